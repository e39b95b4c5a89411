using Dialogs.Bench.Load;
using Dialogs.Bench.Reporting;

namespace Dialogs.Bench.Scenarios;

/// <summary>How hard and how long to drive a throughput comparison.</summary>
public sealed record ThroughputSettings(int Concurrency, TimeSpan Warmup, TimeSpan Duration, int Runs);

/// <summary>An operation's throughput and latency through the API and straight to the database.</summary>
public sealed record Comparison(string Operation, int Concurrency, long OperationsPerRun, SideBySideResult Result);

/// <summary>
/// Throughput of one operation, API against raw, at the same concurrency and for the same number of operations per
/// run: that number is what the API did in its warm-up, scaled to the requested run duration, so an API run lasts
/// about that long and a raw run as long as the baseline needs for the same work. The runs are interleaved in
/// pieces of about <see cref="Slice"/>: the machine's speed drifts by a fifth or more over some seconds, and pieces
/// that short put both sides of a run pair in the same phases.
/// </summary>
public static class ThroughputComparison
{
    public static readonly TimeSpan Slice = TimeSpan.FromSeconds(1);

    public static async Task<Comparison> RunAsync(string operation, SideBySide clients, ThroughputSettings settings,
        DialogOperation call, CancellationToken ct)
    {
        ProgressLog.Step($"{operation}: {settings.Concurrency} concurrent callers");
        var warmup = await clients.WarmUpAsync(operation, LoadPlan.Timed(settings.Concurrency, settings.Warmup), call, ct);
        var operations = Math.Max(settings.Concurrency * 100L, (long)(warmup.Throughput * settings.Duration.TotalSeconds));
        var slices = Math.Max(1, (int)Math.Round(settings.Duration / Slice));
        var result = await clients.MeasureAsync(operation, LoadPlan.Counted(settings.Concurrency, operations), settings.Runs, slices, call, ct);
        ProgressLog.Step($"{operation}: api/raw = {Figures.Ratio(result.ThroughputRatio)}");
        return new Comparison(operation, settings.Concurrency, operations, result);
    }
}
