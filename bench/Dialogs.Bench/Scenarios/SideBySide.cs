using Dialogs.Bench.Dialogs;
using Dialogs.Bench.Load;
using Dialogs.Bench.Reporting;

namespace Dialogs.Bench.Scenarios;

/// <summary>One operation of the benchmark, done by a client; the sequence number picks its input.</summary>
public delegate ValueTask DialogOperation(IDialogClient client, long sequence, CancellationToken ct);

/// <summary>The API's and the baseline's series of one operation, measured under the same plan.</summary>
public sealed record SideBySideResult(SeriesSummary Api, SeriesSummary Raw)
{
    /// <summary>
    /// The median of the run pairs' API/raw ratios. The API's run n and the raw run n were measured over the same
    /// seconds (see <see cref="SideBySide.MeasureAsync"/>), so each pair's ratio is free of the machine's drift between
    /// runs, which a ratio of the two series' medians, taken from different runs, is not.
    /// </summary>
    public double ThroughputRatio => SeriesSummary.Median(PairRatios);

    /// <summary>The lowest and highest API/raw ratio of one run pair: how far the ratio moves within one series.</summary>
    public (double Lowest, double Highest) RunPairRatios => (PairRatios.Min(), PairRatios.Max());

    private IEnumerable<double> PairRatios =>
        Api.RunThroughputs.Zip(Raw.RunThroughputs, (api, raw) => raw > 0 ? api / raw : 0);
}

/// <summary>
/// Runs the same operation through the API and through the raw baseline under one load plan, several runs each,
/// in interleaved pieces, alternating which goes first, so neither always meets a table or cache the other has just
/// warmed or grown.
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

    /// <summary>
    /// Measures <paramref name="runs"/> runs of each side. Each run is done in <paramref name="slices"/> pieces of
    /// equal work, the two sides' pieces interleaved (api, raw, raw, api, ...), so the API's run n and the raw run n
    /// span the same seconds of the machine and share its slow and fast phases.
    /// </summary>
    public async Task<SideBySideResult> MeasureAsync(string label, LoadPlan plan, int runs, int slices, DialogOperation operation,
        CancellationToken ct)
    {
        var slice = plan with { Operations = plan.Operations / slices, Duration = plan.Duration / slices };
        var results = new Dictionary<IDialogClient, List<LoadResult>> { [Api] = [], [Raw] = [] };
        for (var run = 1; run <= runs; run++)
        {
            var pieces = new Dictionary<IDialogClient, List<LoadResult>> { [Api] = [], [Raw] = [] };
            for (var piece = 0; piece < slices; piece++)
            {
                foreach (var client in ((run * slices) + piece) % 2 == 1 ? [Api, Raw] : new[] { Raw, Api })
                {
                    pieces[client].Add(await LoadRunner.RunAsync(slice, (sequence, token) => operation(client, sequence, token), ct, cpu));
                }
            }

            foreach (var client in new[] { Api, Raw })
            {
                results[client].Add(LoadResult.Combine(pieces[client]));
                ProgressLog.Run($"{label} {client.Name}", run, runs, results[client][^1]);
            }
        }

        return new SideBySideResult(SeriesSummary.Of(results[Api]), SeriesSummary.Of(results[Raw]));
    }
}
