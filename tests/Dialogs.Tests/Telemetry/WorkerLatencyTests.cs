using Dialogs.Api.Telemetry;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Telemetry;

/// <summary>The last minute's latency per worker counts every operation, whatever the rate, and forgets older ones.</summary>
public sealed class WorkerLatencyTests
{
    private const string Worker = "worker1:5432";

    private readonly ManualClock _clock = new();
    private readonly WorkerLatency _latency;

    public WorkerLatencyTests() => _latency = new WorkerLatency(_clock);

    [Fact]
    public void Below_the_sampling_rate_every_duration_is_kept()
    {
        for (var ms = 1; ms <= 100; ms++)
        {
            _latency.Record(Worker, TimeSpan.FromMilliseconds(ms));
        }

        _clock.Advance(TimeSpan.FromSeconds(1));
        _latency.Record("worker2:5432", TimeSpan.FromMilliseconds(7));

        var summaries = _latency.LastMinute();
        Assert.Equal(new WorkerLatencySummary(Worker, 100, 50, 99, 100), summaries[0]);
        Assert.Equal(new WorkerLatencySummary("worker2:5432", 1, 7, 7, 7), summaries[1]);
    }

    [Fact]
    public void Above_the_sampling_rate_the_count_max_and_percentiles_still_describe_every_operation()
    {
        // One second: 9,500 fast operations first, then 500 slow ones (5 %). Keeping only the first samples of the second
        // would miss the slow ones altogether; a uniform sample holds about 100 of them, so p99 is slow.
        const int Fast = 9_500, Slow = 500;
        for (var i = 0; i < Fast; i++)
        {
            _latency.Record(Worker, TimeSpan.FromMilliseconds(1));
        }

        for (var i = 0; i < Slow; i++)
        {
            _latency.Record(Worker, TimeSpan.FromMilliseconds(i == Slow - 1 ? 250 : 100));
        }

        var summary = Assert.Single(_latency.LastMinute());

        Assert.Equal(Fast + Slow, summary.Operations);
        Assert.Equal(1, summary.P50Ms);
        Assert.Equal(100, summary.P99Ms);
        Assert.Equal(250, summary.MaxMs);
    }

    [Fact]
    public void A_minute_later_the_worker_has_nothing_to_report()
    {
        _latency.Record(Worker, TimeSpan.FromMilliseconds(3));
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(1, Assert.Single(_latency.LastMinute()).Operations);

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(_latency.LastMinute());

        // The same bucket, a minute on, starts again from nothing.
        _latency.Record(Worker, TimeSpan.FromMilliseconds(5));
        Assert.Equal(new WorkerLatencySummary(Worker, 1, 5, 5, 5), Assert.Single(_latency.LastMinute()));
    }
}
