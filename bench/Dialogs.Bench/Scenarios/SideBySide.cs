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
    public RatioRange RunPairRatios => new(PairRatios.Min(), PairRatios.Max());

    /// <summary>
    /// The host's share of the cores during each run pair that was measured again because of it (see
    /// <see cref="SideBySide.MeasureAsync"/>); those pairs count nowhere else.
    /// </summary>
    public IReadOnlyList<double> RepeatedRunSteal { get; init; } = [];

    private IEnumerable<double> PairRatios =>
        Api.RunThroughputs.Zip(Raw.RunThroughputs, (api, raw) => raw > 0 ? api / raw : 0);
}

/// <summary>A record rather than a tuple, whose members the JSON report would leave out.</summary>
public sealed record RatioRange(double Lowest, double Highest);

/// <summary>
/// Runs the same operation through the API and through the raw baseline under one load plan, several runs each,
/// in interleaved pieces, alternating which goes first, so neither always meets a table or cache the other has just
/// warmed or grown.
/// Measured runs are metered with <paramref name="cpu"/>. A run pair during which the machine's host took
/// <see cref="NoisyHostSteal"/> or more of the cores, on either side, is measured again, at most
/// <paramref name="stealRepeats"/> times; the last measurement counts, whatever it shows, and carries the failed
/// operations of the ones it replaces: a failure is never measured away.
/// </summary>
public sealed class SideBySide(IDialogClient api, IDialogClient raw, CpuMeter cpu, int stealRepeats = 0)
{
    /// <summary>
    /// The host's share of the cores above which a run's figures say more about the machine than about the service:
    /// at about a tenth (a quick run of 2026-11-22 06:09) each operation cost a third to a half more CPU and page
    /// reads fell by several points (docs/benchmark-runs.md, "The same, run to run").
    /// </summary>
    public const double NoisyHostSteal = 0.10;

    public IDialogClient Api { get; } = api;
    public IDialogClient Raw { get; } = raw;

    /// <summary>Runs both once, unmeasured (JIT, prepared statements, connection pools, caches); returns the API's run.</summary>
    public async Task<LoadResult> WarmUpAsync(string label, LoadPlan plan, DialogOperation operation, CancellationToken ct)
    {
        var apiRun = await LoadRunner.RunAsync(plan, (sequence, token) => operation(Api, sequence, token), ct);
        var rawRun = await LoadRunner.RunAsync(plan, (sequence, token) => operation(Raw, sequence, token), ct);
        ProgressLog.Step($"  {label} warm-up: api {Figures.Count(apiRun.Throughput)} ops/s, raw {Figures.Count(rawRun.Throughput)} ops/s");
        if (new[] { apiRun, rawRun }.FirstOrDefault(run => run.Succeeded == 0) is { } failed)
        {
            throw new InvalidOperationException($"{label}: every warm-up operation failed: {failed.FirstError}");
        }

        return apiRun;
    }

    /// <summary>
    /// Measures <paramref name="runs"/> runs of each side. Each run is done in <paramref name="slices"/> pieces of
    /// equal work, the two sides' pieces interleaved (api, raw, raw, api, ...), so the API's run n and the raw run n
    /// span the same seconds of the machine and share its slow and fast phases. Which pairs are measured again
    /// depends on the host's share of the cores only, read around each piece, never on what the pair measured.
    /// </summary>
    public async Task<SideBySideResult> MeasureAsync(string label, LoadPlan plan, int runs, int slices, DialogOperation operation,
        CancellationToken ct)
    {
        var results = new Dictionary<IDialogClient, List<LoadResult>> { [Api] = [], [Raw] = [] };
        var repeated = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            var pair = await MeasurePairAsync(plan, run, slices, operation, ct);
            for (var repeat = 0; repeat < stealRepeats && HostSteal(pair) is >= NoisyHostSteal and var steal; repeat++)
            {
                ProgressLog.Step($"  {label} run {run}/{runs}: the host took {Figures.Share(steal, 0)} of the cores; measuring the pair again");
                repeated.Add(steal);
                var again = await MeasurePairAsync(plan, run, slices, operation, ct);
                pair = again.ToDictionary(side => side.Key, side => side.Value with
                {
                    Failed = side.Value.Failed + pair[side.Key].Failed,
                    FirstError = pair[side.Key].FirstError ?? side.Value.FirstError,
                });
            }

            foreach (var client in new[] { Api, Raw })
            {
                results[client].Add(pair[client]);
                ProgressLog.Run($"{label} {client.Name}", run, runs, pair[client]);
            }
        }

        return new SideBySideResult(SeriesSummary.Of(results[Api]), SeriesSummary.Of(results[Raw])) { RepeatedRunSteal = repeated };
    }

    private async Task<Dictionary<IDialogClient, LoadResult>> MeasurePairAsync(LoadPlan plan, int run, int slices,
        DialogOperation operation, CancellationToken ct)
    {
        var slice = plan with { Operations = plan.Operations / slices, Duration = plan.Duration / slices };
        var pieces = new Dictionary<IDialogClient, List<LoadResult>> { [Api] = [], [Raw] = [] };
        for (var piece = 0; piece < slices; piece++)
        {
            foreach (var client in ((run * slices) + piece) % 2 == 1 ? [Api, Raw] : new[] { Raw, Api })
            {
                pieces[client].Add(await LoadRunner.RunAsync(slice, (sequence, token) => operation(client, sequence, token), ct, cpu));
            }
        }

        return pieces.ToDictionary(side => side.Key, side => LoadResult.Combine(side.Value));
    }

    /// <summary>The larger of the two sides' host steal; zero where the runs were not metered.</summary>
    private static double HostSteal(Dictionary<IDialogClient, LoadResult> pair) =>
        pair.Values.Max(result => result.HostStealShare ?? 0);
}
