using System.Text;
using Spectre.Console;

namespace Dialogs.Bench.Reporting;

/// <summary>A titled table of text cells, shown on the console and written as Markdown from the same rows.</summary>
public sealed class ReportTable(string title, params ReportColumn[] columns)
{
    private readonly List<string[]> _rows = [];

    public string Title { get; } = title;

    public ReportTable AddRow(params string[] cells)
    {
        if (cells.Length != columns.Length)
        {
            throw new ArgumentException($"{Title}: a row needs {columns.Length} cells, got {cells.Length}.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    public Table ToConsole()
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(Title)) }.Border(TableBorder.Rounded);
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(Markup.Escape(column.Name)) { Alignment = column.Numeric ? Justify.Right : Justify.Left });
        }

        foreach (var row in _rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }

        return table;
    }

    public string ToMarkdown()
    {
        var markdown = new StringBuilder();
        markdown.Append("### ").AppendLine(Title).AppendLine();
        markdown.Append("| ").AppendJoin(" | ", columns.Select(column => column.Name)).AppendLine(" |");
        markdown.Append('|').AppendJoin('|', columns.Select(column => column.Numeric ? "---:" : "---")).AppendLine("|");
        foreach (var row in _rows)
        {
            markdown.Append("| ").AppendJoin(" | ", row.Select(cell => cell.Replace("|", "\\|", StringComparison.Ordinal))).AppendLine(" |");
        }

        return markdown.ToString();
    }
}

/// <summary>A column of a <see cref="ReportTable"/>; numeric columns are right-aligned.</summary>
public sealed record ReportColumn(string Name, bool Numeric = false)
{
    public static ReportColumn Number(string name) => new(name, Numeric: true);

    public static implicit operator ReportColumn(string name) => new(name);
}
