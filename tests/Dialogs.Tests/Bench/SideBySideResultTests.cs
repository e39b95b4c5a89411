using Dialogs.Bench.Load;
using Dialogs.Bench.Scenarios;

namespace Dialogs.Tests.Bench;

/// <summary>The ratio the target is judged on, and the spread of the run pairs shown beside it.</summary>
public sealed class SideBySideResultTests
{
    [Fact]
    public void The_ratio_is_the_median_of_the_run_pairs_ratios()
    {
        // Pairs 100/200, 200/250, 150/150: 0.5, 0.8, 1.0. The medians of the series (150 and 200) would give 0.75.
        var result = new SideBySideResult(
            SeriesSummary.Of([Runs.Of(100), Runs.Of(200), Runs.Of(150)]),
            SeriesSummary.Of([Runs.Of(200), Runs.Of(250), Runs.Of(150)]));

        Assert.Equal(0.8, result.ThroughputRatio, 6);
        Assert.Equal(new RatioRange(0.5, 1.0), result.RunPairRatios);
        // In the JSON report too, which leaves a tuple's members out.
        Assert.Contains("\"RunPairRatios\":{\"Lowest\":0.5,\"Highest\":1}", System.Text.Json.JsonSerializer.Serialize(result));
    }

    [Fact]
    public void A_run_of_pieces_adds_up_their_operations_time_latencies_and_cpu()
    {
        var cpu = new Dictionary<string, TimeSpan> { ["api"] = TimeSpan.FromMilliseconds(10) };

        var run = LoadResult.Combine([Runs.Of(100, latencyMicroseconds: 1_000) with { Cpu = cpu }, Runs.Of(300) with { Cpu = cpu }]);

        Assert.Equal((400, TimeSpan.FromSeconds(2), 200.0), (run.Succeeded, run.Elapsed, run.Throughput));
        Assert.Equal(400, run.Latencies.Count);
        Assert.Equal(1.0, run.Latencies.MaxMilliseconds, 2);
        Assert.Equal(TimeSpan.FromMilliseconds(20), run.Cpu!["api"]);
        Assert.Null(LoadResult.Combine([Runs.Of(100) with { Cpu = cpu }, Runs.Of(100)]).Cpu);
    }
}
