using System.Diagnostics;
using System.Numerics;

namespace Dialogs.Bench.Load;

/// <summary>
/// Latencies in log-linear buckets (the HdrHistogram layout): exact to the microsecond below 256 µs, then 128
/// buckets per power of two, so every percentile is within 0.8% of the true value. Memory stays fixed however long a
/// run lasts, and histograms of several workers or runs merge by adding counts.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 7;
    private const int SubBuckets = 1 << SubBucketBits;

    private readonly long[] _counts = new long[BucketIndex(long.MaxValue) + 1];

    public long Count { get; private set; }
    public long MaxMicroseconds { get; private set; }
    public double MaxMilliseconds => MaxMicroseconds / 1000.0;

    /// <summary>Records the time since <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public void RecordSince(long startTimestamp) =>
        Record((long)Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds);

    public void Record(long microseconds)
    {
        microseconds = Math.Max(0, microseconds);
        _counts[BucketIndex(microseconds)]++;
        Count++;
        MaxMicroseconds = Math.Max(MaxMicroseconds, microseconds);
    }

    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxMicroseconds = Math.Max(MaxMicroseconds, other.MaxMicroseconds);
    }

    public static LatencyHistogram Merge(IEnumerable<LatencyHistogram> histograms)
    {
        var merged = new LatencyHistogram();
        foreach (var histogram in histograms)
        {
            merged.Add(histogram);
        }

        return merged;
    }

    /// <summary>The latency below which <paramref name="percent"/>% of the recorded operations fall, in milliseconds.</summary>
    public double PercentileMilliseconds(double percent)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percent / 100 * Count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                // The bucket's middle, but never beyond the largest value actually seen.
                return Math.Min(BucketMiddle(i), MaxMicroseconds) / 1000.0;
            }
        }

        return MaxMilliseconds;
    }

    private static int BucketIndex(long microseconds)
    {
        if (microseconds < SubBuckets)
        {
            return (int)microseconds;
        }

        // The top SubBucketBits + 1 bits of the value select the bucket; the bits below are the rounding.
        var shift = 63 - BitOperations.LeadingZeroCount((ulong)microseconds) - SubBucketBits;
        return (SubBuckets * shift) + (int)(microseconds >> shift);
    }

    private static double BucketMiddle(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return index;
        }

        var shift = (index >> SubBucketBits) - 1;
        var lower = (long)(index - (SubBuckets * shift)) << shift;
        return lower + ((1L << shift) / 2.0);
    }
}
