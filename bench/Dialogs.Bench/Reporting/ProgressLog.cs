using System.Diagnostics;
using Dialogs.Bench.Load;
using Spectre.Console;

namespace Dialogs.Bench.Reporting;

/// <summary>One line per step on the console, with the time since the benchmark started, so a long run shows where it is.</summary>
public static class ProgressLog
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Step(string text) =>
        AnsiConsole.MarkupLineInterpolated($"[grey]{Clock.Elapsed:mm\\:ss}[/] {text}");

    public static void Run(string label, int run, int runs, LoadResult result) =>
        // Cut as the tables cut them, so that a run's figure and the table's read the same.
        Step($"  {label} run {run}/{runs}: {Figures.Count(result.Throughput)} ops/s, p50 {Figures.Ms(result.Latencies.PercentileMilliseconds(50))} ms, "
            + $"p99 {Figures.Ms(result.Latencies.PercentileMilliseconds(99))} ms{HostSteal(result)}"
            + (result.Failed > 0 ? $", {result.Failed} failed: {result.FirstError}" : ""));

    private static string HostSteal(LoadResult result) =>
        result.HostStealShare is { } share ? $", host steal {Figures.Share(share, 0)}" : "";
}
