using Dialogs.Bench.Dialogs;
using Dialogs.Bench.Load;
using Dialogs.Bench.Reporting;

namespace Dialogs.Bench.Scenarios;

/// <summary>One operation of the benchmark, done by a client; the sequence number picks its input.</summary>
public delegate ValueTask DialogOperation(IDialogClient client, long sequence, CancellationToken ct);

/// <summary>The API's and the baseline's series of one operation, measured under the same plan.</summary>
public sealed record SideBySideResult(SeriesSummary Api, SeriesSummary Raw)
{
    public double ThroughputRatio => Ratio(Api.MedianThroughput, Raw.MedianThroughput);

    /// <summary>
    /// The lowest and highest API/raw ratio of one run pair (the API's run n against the raw run n, measured back to
    /// back): how far the machine's drift moves the ratio within one series.
    /// </summary>
    public (double Lowest, double Highest) RunPairRatios
    {
        get
        {
            var ratios = Api.RunThroughputs.Zip(Raw.RunThroughputs, Ratio).ToList();
            return (ratios.Min(), ratios.Max());
        }
    }

    private static double Ratio(double api, double raw) => raw > 0 ? api / raw : 0;
}

/// <summary>
/// Runs the same operation through the API and through the raw baseline under one load plan, several runs each,
/// alternating which goes first, so neither always meets a table or cache the other has just warmed or grown.
/// Measured runs are metered with <paramref name="cpu"/>.
/// </summary>
public sealed class SideBySide(IDialogClient api, IDialogClient raw, CpuMeter cpu)
{
    public IDialogClient Api { get; } = api;
    public IDialogClient Raw { get; } = raw;

    /// <summary>Runs both once, unmeasured (JIT, prepared statements, connection pools, caches); returns the API's run.</summary>
    public async Task<LoadResult> WarmUpAsync(string label, LoadPlan plan, DialogOperation operation, CancellationToken ct)
    {
        var apiRun = await LoadRunner.RunAsync(plan, (sequence, token) => operation(Api, sequence, token), ct);
        var rawRun = await LoadRunner.RunAsync(plan, (sequence, token) => operation(Raw, sequence, token), ct);
        ProgressLog.Step($"  {label} warm-up: api {apiRun.Throughput:N0} ops/s, raw {rawRun.Throughput:N0} ops/s");
        if (new[] { apiRun, rawRun }.FirstOrDefault(run => run.Succeeded == 0) is { } failed)
        {
            throw new InvalidOperationException($"{label}: every warm-up operation failed: {failed.FirstError}");
        }

        return apiRun;
    }

    public async Task<SideBySideResult> MeasureAsync(string label, LoadPlan plan, int runs, DialogOperation operation, CancellationToken ct)
    {
        var results = new Dictionary<IDialogClient, List<LoadResult>> { [Api] = [], [Raw] = [] };
        for (var run = 1; run <= runs; run++)
        {
            foreach (var client in run % 2 == 1 ? [Api, Raw] : new[] { Raw, Api })
            {
                var result = await LoadRunner.RunAsync(plan, (sequence, token) => operation(client, sequence, token), ct, cpu);
                results[client].Add(result);
                ProgressLog.Run($"{label} {client.Name}", run, runs, result);
            }
        }

        return new SideBySideResult(SeriesSummary.Of(results[Api]), SeriesSummary.Of(results[Raw]));
    }
}
