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

    /// <summary>
    /// The table for a console <paramref name="width"/> columns wide. Spectre.Console squeezes a table wider than its
    /// console by wrapping every cell, breaking headers and numbers across lines; so the columns are split into parts
    /// that fit, each repeating the leading text columns that name a row.
    /// </summary>
    public IEnumerable<Table> ToConsole(int width)
    {
        var keys = Math.Min(columns.TakeWhile(column => !column.Numeric).Count(), columns.Length - 1);
        // A column takes its widest cell, a space either side and one border; the reports' characters ("µ", "≥", "–"
        // among them) each take one column of a console.
        var widths = columns.Select((column, i) => _rows.Select(row => row[i].Length).Prepend(column.Name.Length).Max() + 3).ToArray();
        var keysWidth = 1 + widths[..keys].Sum();
        var parts = new List<List<int>> { new() };
        for (var i = keys; i < columns.Length; i++)
        {
            if (parts[^1].Count > 0 && keysWidth + parts[^1].Sum(column => widths[column]) + widths[i] > width)
            {
                parts.Add([]);
            }

            parts[^1].Add(i);
        }

        return parts.Select((part, n) => Render(parts.Count == 1 ? Title : $"{Title} ({n + 1}/{parts.Count})", [.. Enumerable.Range(0, keys), .. part]));
    }

    private Table Render(string title, int[] shown)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title)) }.Border(TableBorder.Rounded);
        foreach (var column in shown.Select(i => columns[i]))
        {
            table.AddColumn(new TableColumn(Markup.Escape(column.Name)) { Alignment = column.Numeric ? Justify.Right : Justify.Left });
        }

        foreach (var row in _rows)
        {
            table.AddRow(shown.Select(i => Markup.Escape(row[i])).ToArray());
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
