using Dialogs.Bench.Load;

namespace Dialogs.Tests.Bench;

/// <summary>The benchmark's percentiles are what its report claims: within 0.8% of the exact ones.</summary>
public sealed class LatencyHistogramTests
{
    private static readonly double[] Percents = [1, 50, 90, 99, 99.9, 100];

    [Fact]
    public void Percentiles_are_within_0_8_percent_of_the_exact_ones()
    {
        // Log-uniform from 1 µs to 10 s: every bucket width the histogram has, from exact to coarse.
        var random = new Random(6);
        var values = Enumerable.Range(0, 100_000).Select(_ => (long)Math.Pow(10, random.NextDouble() * 7)).ToArray();
        var histogram = new LatencyHistogram();
        foreach (var value in values)
        {
            histogram.Record(value);
        }

        Array.Sort(values);
        foreach (var percent in Percents)
        {
            var exact = values[(int)Math.Ceiling(percent / 100 * values.Length) - 1] / 1000.0;
            Assert.InRange(histogram.PercentileMilliseconds(percent), exact * 0.992, exact * 1.008);
        }

        Assert.Equal(values[^1] / 1000.0, histogram.MaxMilliseconds);
    }

    [Fact]
    public void Below_256_microseconds_every_value_is_exact()
    {
        var histogram = new LatencyHistogram();
        foreach (var value in new long[] { 3, 7, 7, 120, 255 })
        {
            histogram.Record(value);
        }

        Assert.Equal(0.003, histogram.PercentileMilliseconds(20));
        Assert.Equal(0.007, histogram.PercentileMilliseconds(60));
        Assert.Equal(0.120, histogram.PercentileMilliseconds(80));
        Assert.Equal(0.255, histogram.PercentileMilliseconds(100));
    }

    [Fact]
    public void Merged_histograms_answer_as_one_that_recorded_everything()
    {
        var random = new Random(7);
        var parts = Enumerable.Range(0, 4).Select(_ => new LatencyHistogram()).ToArray();
        var whole = new LatencyHistogram();
        for (var i = 0; i < 20_000; i++)
        {
            var value = random.NextInt64(1, 5_000_000);
            parts[i % parts.Length].Record(value);
            whole.Record(value);
        }

        var merged = LatencyHistogram.Merge(parts);

        Assert.Equal(whole.Count, merged.Count);
        Assert.Equal(whole.MaxMilliseconds, merged.MaxMilliseconds);
        Assert.All(Percents, percent => Assert.Equal(whole.PercentileMilliseconds(percent), merged.PercentileMilliseconds(percent)));
    }

    [Fact]
    public void No_percentile_is_above_the_slowest_value_recorded()
    {
        // 256 µs opens a bucket two microseconds wide, whose middle is 257.
        var histogram = new LatencyHistogram();
        histogram.Record(256);

        Assert.Equal(0.256, histogram.PercentileMilliseconds(99));
    }

    [Fact]
    public void An_empty_histogram_reports_zero()
    {
        var histogram = new LatencyHistogram();

        Assert.Equal(0, histogram.PercentileMilliseconds(99));
        Assert.Equal(0, histogram.MaxMilliseconds);
    }
}
