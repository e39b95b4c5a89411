using System.Collections.Concurrent;

namespace Dialogs.Api.Telemetry;

/// <summary>Store latency of each worker over the last minute, for GET /admin/cluster.</summary>
public sealed record WorkerLatencySummary(string Worker, long Operations, double P50Ms, double P99Ms, double MaxMs);

/// <summary>
/// Per worker, the durations of the last minute in one-second buckets, so a summary costs no database query. A bucket
/// counts every operation and keeps the slowest, but keeps at most <see cref="SamplesPerSecond"/> durations: a uniform
/// sample of its second (reservoir sampling), in which each kept duration stands for the operations it was drawn from.
/// Memory stays bounded whatever the request rate, and above that rate the percentiles still describe every operation.
/// </summary>
public sealed class WorkerLatency(TimeProvider time)
{
    public const int SamplesPerSecond = 2_000;
    private const int WindowSeconds = 60;

    private readonly ConcurrentDictionary<string, Window> _workers = new();

    public void Record(string worker, TimeSpan duration) =>
        _workers.GetOrAdd(worker, _ => new Window()).Add(Now(), duration.TotalMilliseconds);

    public IReadOnlyList<WorkerLatencySummary> LastMinute()
    {
        var now = Now();
        return _workers.Select(pair => pair.Value.Summarize(pair.Key, now)).Where(summary => summary.Operations > 0)
            .OrderBy(summary => summary.Worker, StringComparer.Ordinal).ToList();
    }

    private long Now() => time.GetTimestamp() / time.TimestampFrequency;

    private sealed class Window
    {
        private readonly Lock _gate = new();
        private readonly Second[] _seconds = Enumerable.Range(0, WindowSeconds).Select(_ => new Second()).ToArray();

        public void Add(long now, double milliseconds)
        {
            lock (_gate)
            {
                var second = _seconds[now % WindowSeconds];
                if (second.At != now)
                {
                    second.Reset(now);
                }

                second.Add(milliseconds);
            }
        }

        public WorkerLatencySummary Summarize(string worker, long now)
        {
            var weighted = new List<(double Milliseconds, double Weight)>();
            long operations = 0;
            double max = 0;
            lock (_gate)
            {
                foreach (var second in _seconds.Where(second => second.Operations > 0 && now - second.At < WindowSeconds))
                {
                    var weight = (double)second.Operations / second.Samples.Count;
                    weighted.AddRange(second.Samples.Select(sample => (sample, weight)));
                    operations += second.Operations;
                    max = Math.Max(max, second.Max);
                }
            }

            if (operations == 0)
            {
                return new WorkerLatencySummary(worker, 0, 0, 0, 0);
            }

            weighted.Sort((one, other) => one.Milliseconds.CompareTo(other.Milliseconds));
            return new WorkerLatencySummary(worker, operations,
                Percentile(weighted, 0.50 * operations), Percentile(weighted, 0.99 * operations), Math.Round(max, 3));
        }

        /// <summary>The smallest duration at or below which <paramref name="rank"/> operations lie (nearest rank).</summary>
        private static double Percentile(List<(double Milliseconds, double Weight)> sorted, double rank)
        {
            double seen = 0;
            foreach (var (milliseconds, weight) in sorted)
            {
                seen += weight;
                if (seen >= rank - 1e-9)
                {
                    return Math.Round(milliseconds, 3);
                }
            }

            return Math.Round(sorted[^1].Milliseconds, 3);
        }
    }

    private sealed class Second
    {
        public long At { get; private set; } = long.MinValue;
        public long Operations { get; private set; }
        public double Max { get; private set; }
        public List<double> Samples { get; } = [];

        public void Reset(long at)
        {
            At = at;
            Operations = 0;
            Max = 0;
            Samples.Clear();
        }

        public void Add(double milliseconds)
        {
            Operations++;
            Max = Math.Max(Max, milliseconds);
            if (Samples.Count < SamplesPerSecond)
            {
                Samples.Add(milliseconds);
                return;
            }

            // Algorithm R: the n-th duration replaces a kept one with probability SamplesPerSecond / n.
            var slot = Random.Shared.NextInt64(Operations);
            if (slot < SamplesPerSecond)
            {
                Samples[(int)slot] = milliseconds;
            }
        }
    }
}
