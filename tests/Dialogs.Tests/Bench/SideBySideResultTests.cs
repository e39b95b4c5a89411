using Dialogs.Bench.Load;
using Dialogs.Bench.Scenarios;

namespace Dialogs.Tests.Bench;

/// <summary>The ratio the target is judged on, and the spread of the run pairs shown beside it.</summary>
public sealed class SideBySideResultTests
{
    [Fact]
    public void The_ratio_is_of_the_medians_and_the_pairs_give_its_spread()
    {
        var result = new SideBySideResult(
            SeriesSummary.Of([Runs.Of(100), Runs.Of(200), Runs.Of(150)]),
            SeriesSummary.Of([Runs.Of(200), Runs.Of(250), Runs.Of(150)]));

        Assert.Equal(0.75, result.ThroughputRatio, 6);
        Assert.Equal((0.5, 1.0), result.RunPairRatios);
    }
}
