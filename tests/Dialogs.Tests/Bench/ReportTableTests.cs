using Dialogs.Bench.Reporting;
using Spectre.Console;

namespace Dialogs.Tests.Bench;

/// <summary>
/// A report table wider than the console is shown in parts that fit, each naming its rows, rather than squeezed by
/// Spectre.Console until headers and numbers break across lines.
/// </summary>
public sealed class ReportTableTests
{
    private static readonly ReportTable Throughput = new ReportTable("Throughput", "cluster", "operation",
            ReportColumn.Number("API ops/s"), ReportColumn.Number("raw ops/s"), ReportColumn.Number("API/raw"),
            ReportColumn.Number("API p99 ms"), ReportColumn.Number("raw p99 ms"), ReportColumn.Number("host steal API / raw"))
        .AddRow("Citus", "send", "1,962", "2,547", "77.3 %", "16.83", "13.66", "0.1 % / 0.1 %")
        .AddRow("Plain", "page read", "4,649", "12,221", "34.5 %", "9.70", "11.74", "1.5 % / 0.7 %");

    [Fact]
    public void A_table_that_fits_is_shown_whole()
    {
        var lines = Render(Throughput, width: 200);

        Assert.Single(lines, line => line.Contains("Throughput", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.Contains("│ Plain   │ page read │     4,649 │    12,221 │  34.5 % │       9.70 │      11.74 │        1.5 % / 0.7 % │", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(80, 2)]
    [InlineData(60, 3)]
    public void A_wider_table_is_split_into_parts_that_fit_each_naming_its_rows(int width, int parts)
    {
        var lines = Render(Throughput, width);

        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} columns: {line}"));
        Assert.Equal(parts, lines.Count(line => line.Contains("│ cluster │ operation │", StringComparison.Ordinal)));
        Assert.Equal(parts, lines.Count(line => line.Contains("│ Plain   │ page read │", StringComparison.Ordinal)));
        Assert.Contains(lines, line => line.Trim() == $"Throughput (1/{parts})");
        // Every header and every number whole, on one line.
        foreach (var cell in new[] { "host steal API / raw", "API p99 ms", "12,221", "34.5 %", "1.5 % / 0.7 %" })
        {
            Assert.Contains(lines, line => line.Contains($" {cell} │", StringComparison.Ordinal));
        }
    }

    private static string[] Render(ReportTable table, int width)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = width;
        foreach (var part in table.ToConsole(width))
        {
            console.Write(part);
        }

        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')).ToArray();
    }
}
