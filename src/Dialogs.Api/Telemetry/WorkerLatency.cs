using System.Collections.Concurrent;
using System.Diagnostics;

namespace Dialogs.Api.Telemetry;

/// <summary>Store latency of each worker over the last minute, for GET /admin/cluster.</summary>
public sealed record WorkerLatencySummary(string Worker, int Operations, double P50Ms, double P99Ms, double MaxMs);

/// <summary>
/// Per worker, the durations of the last minute in one-second buckets (a bucket keeps at most a few thousand
/// samples), so a summary costs no database query and memory stays bounded whatever the request rate.
/// </summary>
public sealed class WorkerLatency
{
    private const int WindowSeconds = 60;
    private const int SamplesPerSecond = 2_000;

    private readonly ConcurrentDictionary<string, Window> _workers = new();

    public void Record(string worker, TimeSpan duration) =>
        _workers.GetOrAdd(worker, _ => new Window()).Add(duration.TotalMilliseconds);

    public IReadOnlyList<WorkerLatencySummary> LastMinute() =>
        _workers.Select(pair => pair.Value.Summarize(pair.Key)).Where(summary => summary.Operations > 0)
            .OrderBy(summary => summary.Worker, StringComparer.Ordinal).ToList();

    private sealed class Window
    {
        private readonly Lock _gate = new();
        private readonly List<double>[] _buckets = Enumerable.Range(0, WindowSeconds).Select(_ => new List<double>()).ToArray();
        private readonly long[] _bucketSecond = new long[WindowSeconds];

        public void Add(double milliseconds)
        {
            var second = Now();
            lock (_gate)
            {
                var bucket = Bucket(second);
                if (bucket.Count < SamplesPerSecond)
                {
                    bucket.Add(milliseconds);
                }
            }
        }

        public WorkerLatencySummary Summarize(string worker)
        {
            var now = Now();
            double[] samples;
            lock (_gate)
            {
                samples = Enumerable.Range(0, WindowSeconds)
                    .Where(i => now - _bucketSecond[i] < WindowSeconds)
                    .SelectMany(i => _buckets[i]).ToArray();
            }

            Array.Sort(samples);
            return samples.Length == 0
                ? new WorkerLatencySummary(worker, 0, 0, 0, 0)
                : new WorkerLatencySummary(worker, samples.Length, Percentile(samples, 0.50), Percentile(samples, 0.99), samples[^1]);
        }

        private List<double> Bucket(long second)
        {
            var index = (int)(second % WindowSeconds);
            if (_bucketSecond[index] != second)
            {
                _bucketSecond[index] = second;
                _buckets[index].Clear();
            }

            return _buckets[index];
        }

        private static long Now() => Stopwatch.GetTimestamp() / Stopwatch.Frequency;

        private static double Percentile(double[] sorted, double quantile) =>
            Math.Round(sorted[(int)Math.Ceiling(quantile * sorted.Length) - 1], 3);
    }
}
