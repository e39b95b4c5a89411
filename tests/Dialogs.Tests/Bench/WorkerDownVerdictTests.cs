using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Scenarios;

namespace Dialogs.Tests.Bench;

/// <summary>
/// The worker-down scenario's verdict on the requests it saw: the run of a whole cluster gives one outcome, these give
/// each way an outage can go wrong. Dialog 0 lives on the stopped worker, dialog 1 on another; the worker is down
/// from 10 s to 20 s, with 5 s of grace after its restart and failures allowed to take 5 s.
/// </summary>
public sealed class WorkerDownVerdictTests
{
    private const int OnStopped = 0, OnOther = 1;
    private static readonly bool[] OnDead = [true, false];
    private static readonly TimeSpan Down = Seconds(10), Up = Seconds(20);

    private static readonly WorkerDownSettings Settings = new(new LoadSettings(), Seconds(40), Worker: 1, StopAt: Down,
        DownFor: Up - Down, FailFastLimit: Seconds(5), RecoveryGrace: Seconds(5));

    [Fact]
    public void An_outage_that_fails_only_the_stopped_workers_dialogs_quickly_and_recovers_passes()
    {
        var outage = Judge([.. Served(), Failed(OnStopped, at: 12, took: 0.1), Failed(OnStopped, at: 21, took: 4.9), Ok(OnStopped, at: 22)]);

        Assert.All(outage.Checks, check => Assert.True(check.Passed, $"{check.Name}: {check.Detail}"));
        // Routed to the stopped worker while it was down: the failures at 12 and 15 s; the one at 21 s is in the grace.
        Assert.Equal((2, 2), (outage.Routed, outage.RoutedFailed));
        Assert.Equal((3, 4_900.0), (outage.FailedFast.Requests, outage.FailedFast.Max));
        Assert.Equal(Seconds(2), outage.FirstSuccessAfterRestart);
    }

    [Fact]
    public void A_failure_of_a_dialog_on_another_worker_fails_the_run()
    {
        AssertOnlyFails("dialogs on the other workers kept working", Failed(OnOther, at: 12, took: 0.1));
    }

    [Theory]
    [InlineData(9.0)] // before the stop
    [InlineData(25.5)] // after the grace
    public void A_failure_of_the_stopped_workers_dialogs_outside_the_outage_fails_the_run(double at)
    {
        AssertOnlyFails("failures only while the worker was down", Failed(OnStopped, at, took: 0.1));
    }

    [Theory]
    [InlineData(503, false)]
    [InlineData(500, true)]
    [InlineData(RequestRecord.NoResponse, false)]
    public void A_failure_other_than_503_with_Retry_After_fails_the_run(int status, bool retryAfter)
    {
        AssertOnlyFails("every failure is 503 with Retry-After", Failed(OnStopped, at: 12, took: 0.1) with { Status = status, HasRetryAfter = retryAfter });
    }

    [Fact]
    public void One_slow_failure_among_many_quick_ones_fails_the_run()
    {
        // Its p99 is quick: the slowest failure is what the limit is about.
        var quick = Enumerable.Range(0, 200).Select(i => Failed(OnStopped, at: 11 + i * 0.01, took: 0.05));
        AssertOnlyFails("requests for the stopped worker failed fast", [.. quick, Failed(OnStopped, at: 14, took: 5.5)]);
    }

    [Fact]
    public void No_success_for_the_stopped_workers_dialogs_after_the_restart_fails_the_run()
    {
        var outage = Judge([Ok(OnStopped, at: 5), Failed(OnStopped, at: 12, took: 0.1), Ok(OnOther, at: 22)]);

        Assert.Null(outage.FirstSuccessAfterRestart);
        Assert.Equal(["the service recovered without an API restart"], outage.Checks.Where(c => !c.Passed).Select(c => c.Name));
    }

    private static void AssertOnlyFails(string check, params RequestRecord[] wrong)
    {
        var outage = Judge([.. Served(), .. wrong]);
        Assert.Equal([check], outage.Checks.Where(c => !c.Passed).Select(c => c.Name));
    }

    /// <summary>The rest of a good outage: served before and after, the other worker's dialogs served throughout.</summary>
    private static RequestRecord[] Served() =>
        [Ok(OnStopped, at: 5), Ok(OnOther, at: 12), Ok(OnOther, at: 15), Failed(OnStopped, at: 15, took: 0.2), Ok(OnStopped, at: 22.5)];

    private static Outage Judge(RequestRecord[] requests) =>
        WorkerDownScenario.Judge(Settings, "worker1", OnDead, requests, Down, Up, []);

    private static RequestRecord Ok(int dialog, double at) => Request(dialog, at, took: 0, status: 200);

    private static RequestRecord Failed(int dialog, double at, double took) => Request(dialog, at, took, status: 503) with { HasRetryAfter = true };

    private static RequestRecord Request(int dialog, double at, double took, int status) =>
        new(0, 1, OperationKind.Send, dialog, Seconds(at), Seconds(at + took), status, false, null, null);

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);
}
