using Dialogs.Bench.Load;

namespace Dialogs.Tests.Bench;

/// <summary>A series reports the median run, the spread, latencies over every operation and CPU per operation.</summary>
public sealed class SeriesSummaryTests
{
    [Fact]
    public void Throughput_is_the_median_run_with_the_lowest_and_highest_beside_it()
    {
        var odd = SeriesSummary.Of([Runs.Of(300), Runs.Of(100), Runs.Of(200)]);
        var even = SeriesSummary.Of([Runs.Of(400), Runs.Of(100), Runs.Of(300), Runs.Of(200)]);

        Assert.Equal((200, 100, 300), (odd.MedianThroughput, odd.MinThroughput, odd.MaxThroughput));
        Assert.Equal(250, even.MedianThroughput);
    }

    [Fact]
    public void Latency_percentiles_cover_every_operation_of_every_run()
    {
        // The slow run alone holds the top 10% of operations: p50 comes from the fast runs, p99 from the slow one.
        var summary = SeriesSummary.Of([.. Enumerable.Range(0, 9).Select(_ => Runs.Of(100, latencyMicroseconds: 1_000)), Runs.Of(100, latencyMicroseconds: 20_000)]);

        Assert.Equal(1.0, summary.P50Ms, 2);
        Assert.Equal(20.0, summary.P99Ms, 1);
    }

    [Fact]
    public void Cpu_is_per_successful_operation_over_all_runs_and_absent_when_a_run_was_not_metered()
    {
        var cpu = new Dictionary<string, TimeSpan> { ["api"] = TimeSpan.FromMilliseconds(30) };
        // A failed operation is no operation served: it counts for nothing, and its CPU goes on the ones that were.
        var metered = SeriesSummary.Of([Runs.Of(100) with { Cpu = cpu }, Runs.Of(200) with { Cpu = cpu, Failed = 100 }]);
        var partly = SeriesSummary.Of([Runs.Of(100) with { Cpu = cpu }, Runs.Of(200)]);

        // 60 ms over 300 successful operations.
        Assert.Equal(200, metered.CpuMicrosecondsPerOperation!["api"], 6);
        Assert.Null(partly.CpuMicrosecondsPerOperation);
    }

    [Fact]
    public void Host_steal_is_the_share_of_the_runs_core_time_the_host_took_and_absent_when_not_metered()
    {
        var metered = SeriesSummary.Of([Runs.Stolen(0.1), Runs.Stolen(0.3)]);
        var unmetered = SeriesSummary.Of([Runs.Of(100), Runs.Of(100)]);

        // Two one-second runs: 0.4 s of each core's 2 s.
        Assert.Equal(0.2, metered.HostStealShare!.Value, 6);
        Assert.Equal(0.3, Runs.Stolen(0.3).HostStealShare!.Value, 6);
        Assert.Null(unmetered.HostStealShare);
    }

    [Fact]
    public void A_share_of_the_cores_is_of_the_meters_own_window_which_may_outlast_the_run()
    {
        // Reading every process took 0.3 s on a busy machine: the meter saw 1.3 s of a 1 s run, all of it others'.
        var run = Runs.Of(100) with
        {
            Cpu = new Dictionary<string, TimeSpan>
            {
                ["api"] = TimeSpan.Zero,
                [CpuMeter.Other] = TimeSpan.FromSeconds(1.3 * Environment.ProcessorCount),
                [CpuMeter.Steal] = TimeSpan.Zero,
                [CpuMeter.Idle] = TimeSpan.Zero,
            },
        };

        Assert.Equal(1.0, run.OtherProcessesShare!.Value, 6);
    }
}
