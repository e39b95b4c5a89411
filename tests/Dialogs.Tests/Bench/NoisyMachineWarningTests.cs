using Dialogs.Bench.Harness;
using Dialogs.Bench.Load;
using Dialogs.Bench.Scenarios;

namespace Dialogs.Tests.Bench;

/// <summary>
/// A run measured while the machine's host, or processes outside the benchmark, took a tenth of the cores or more
/// says so next to its targets, naming the series.
/// </summary>
public sealed class NoisyMachineWarningTests
{
    private static readonly SeriesSummary Quiet = SeriesSummary.Of([Runs.Stolen(0.02)]);

    [Fact]
    public void A_quiet_run_has_no_warning() =>
        Assert.Empty(ServiceReport.NoisyMachineWarnings([Cluster(Quiet)]));

    [Fact]
    public void The_noisiest_series_of_any_side_or_page_raises_it_by_name()
    {
        var noisy = SeriesSummary.Of([Runs.Stolen(0.05), Runs.Stolen(0.31)]);

        // The raw side of one big-dialog page, on the second cluster: 18 % on average over its two runs.
        var warning = Assert.Single(ServiceReport.NoisyMachineWarnings([Cluster(Quiet), Cluster(Quiet, page: new SideBySideResult(Quiet, noisy))]));

        Assert.StartsWith("During a measured series the machine's host took up to 18 % of the cores' time (Citus, oldest page, raw side)", warning);
    }

    [Fact]
    public void Processes_outside_the_benchmark_raise_one_of_their_own()
    {
        var busy = SeriesSummary.Of([Runs.Stolen(0.02) with
        {
            Cpu = new Dictionary<string, TimeSpan>
            {
                [CpuMeter.Steal] = TimeSpan.Zero,
                [CpuMeter.Other] = TimeSpan.FromSeconds(0.25 * Environment.ProcessorCount),
                [CpuMeter.Idle] = TimeSpan.FromSeconds(0.75 * Environment.ProcessorCount),
            },
        }]);

        var warning = Assert.Single(ServiceReport.NoisyMachineWarnings([Cluster(Quiet, page: new SideBySideResult(busy, Quiet))]));

        Assert.StartsWith("During a measured series processes outside the benchmark took up to 25 % of the cores' time (Citus, oldest page, API side)", warning);
    }

    [Fact]
    public void Unmetered_series_raise_nothing() =>
        Assert.Empty(ServiceReport.NoisyMachineWarnings([Cluster(SeriesSummary.Of([Runs.Of(100)]))]));

    private static ClusterResult Cluster(SeriesSummary every, SideBySideResult? page = null)
    {
        var pair = new SideBySideResult(every, every);
        return new ClusterResult(ClusterKind.Citus, "test", new Comparison("send", 16, 100, pair), new Comparison("page read", 16, 100, pair),
            new BigDialogResult(1_000, 1, [new PageLatency("newest", null, pair), new PageLatency("oldest", null, page ?? pair)]),
            new MemoryReading(100, 100, 10));
    }
}
