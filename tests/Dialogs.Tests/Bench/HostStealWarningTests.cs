using Dialogs.Bench.Harness;
using Dialogs.Bench.Load;
using Dialogs.Bench.Scenarios;

namespace Dialogs.Tests.Bench;

/// <summary>A run measured while the machine's host took a tenth of the cores or more says so next to its targets.</summary>
public sealed class HostStealWarningTests
{
    private static readonly SeriesSummary Quiet = SeriesSummary.Of([Runs.Stolen(0.02)]);

    [Fact]
    public void A_quiet_run_has_no_warning() =>
        Assert.Null(ServiceReport.HostStealWarning([Cluster(Quiet)]));

    [Fact]
    public void The_noisiest_series_of_any_side_or_page_raises_it()
    {
        var noisy = SeriesSummary.Of([Runs.Stolen(0.05), Runs.Stolen(0.31)]);

        // The raw side of one big-dialog page, on the second cluster: 18 % on average over its two runs.
        var warning = ServiceReport.HostStealWarning([Cluster(Quiet), Cluster(Quiet, page: new SideBySideResult(Quiet, noisy))]);

        Assert.NotNull(warning);
        Assert.Contains("18 %", warning);
    }

    [Fact]
    public void Unmetered_series_raise_nothing() =>
        Assert.Null(ServiceReport.HostStealWarning([Cluster(SeriesSummary.Of([Runs.Of(100)]))]));

    private static ClusterResult Cluster(SeriesSummary every, SideBySideResult? page = null)
    {
        var pair = new SideBySideResult(every, every);
        return new ClusterResult(ClusterKind.Citus, "test", new Comparison("send", 16, 100, pair), new Comparison("page read", 16, 100, pair),
            new BigDialogResult(1_000, 1, [new PageLatency("newest", null, pair), new PageLatency("oldest", null, page ?? pair)]),
            new MemoryReading(100, 100, 10));
    }
}
