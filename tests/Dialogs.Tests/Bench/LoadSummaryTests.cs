using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Reporting;
using Dialogs.LoadVerifier.Scenarios;
using Dialogs.LoadVerifier.Verification;

namespace Dialogs.Tests.Bench;

/// <summary>The load verifier's figures of a load: what counts as a failure and a retry, and the latency ranks.</summary>
public sealed class LoadSummaryTests
{
    private static readonly Phase[] Phases = [new("before", TimeSpan.Zero, Seconds(10)), new("after", Seconds(10), TimeSpan.MaxValue)];

    [Fact]
    public void Every_failed_attempt_counts_as_a_failure_and_every_repeat_as_a_retry_but_only_first_attempts_make_the_rate()
    {
        RequestRecord[] requests =
        [
            Request(1, attempt: 1, OperationKind.Send, at: 1, status: 503),
            Request(1, attempt: 2, OperationKind.Send, at: 2, status: 503),
            Request(1, attempt: 3, OperationKind.Send, at: 3, status: 200),
            Request(2, attempt: 1, OperationKind.Read, at: 4, status: RequestRecord.NoResponse),
            Request(3, attempt: 1, OperationKind.Read, at: 11, status: 200),
        ];

        var summary = LoadSummary.Of(Outcome(requests), Phases, targetRate: 1);

        Assert.Equal((5, 3, 2), (summary.Requests, summary.Sends, summary.Reads));
        Assert.Equal(3, summary.Failures);
        Assert.Equal(new Dictionary<string, int> { ["503"] = 2, ["no response"] = 1 }, summary.FailuresByStatus);
        Assert.Equal(2, summary.ClientRetries);
        Assert.Equal(3 / 20.0, summary.AchievedRate, 9); // three operations over the load's 20 s
        var before = summary.Latencies.Single(row => row is { Phase: "before", Kind: "send" });
        Assert.Equal((3, 2), (before.Requests, before.Failed));
        Assert.Equal((1, 0), (summary.Latencies.Single(row => row is { Phase: "after", Kind: "read" }).Requests,
            summary.Latencies.Single(row => row is { Phase: "after", Kind: "send" }).Requests));
    }

    [Fact]
    public void Latency_percentiles_are_the_nearest_rank_of_every_request()
    {
        // 1 to 1,000 ms, shuffled: the p-th percentile is the request at rank ceil(p/100 × n).
        var requests = Enumerable.Range(1, 1_000).OrderBy(i => (i * 7_919) % 1_000)
            .Select(ms => Request(ms, 1, OperationKind.Read, at: 1, status: 200) with { End = Seconds(1) + TimeSpan.FromMilliseconds(ms) })
            .ToList();

        var row = LatencyRow.Of("before", "read", requests);

        Assert.Equal((500.0, 900.0, 990.0, 999.0, 1_000.0), (row.P50, row.P90, row.P99, row.P999, row.Max));
        Assert.Equal((0.0, 0.0), (LatencyRow.Of("before", "read", []).P99, LatencyRow.Of("before", "read", []).Max));
    }

    private static LoadOutcome Outcome(IReadOnlyList<RequestRecord> requests) =>
        new(requests, [], new Delivery(0, 0, 0, 0, 0, 0, 0, [], []), Started: TimeSpan.Zero, WarmedUp: Seconds(1), Stopped: Seconds(20),
            MostInFlight: 1);

    private static RequestRecord Request(long operation, int attempt, OperationKind kind, double at, int status) =>
        new(operation, attempt, kind, Dialog: 0, Seconds(at), Seconds(at + 0.01), status, false, null, null);

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);
}
