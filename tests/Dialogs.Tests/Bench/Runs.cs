using Dialogs.Bench.Load;

namespace Dialogs.Tests.Bench;

/// <summary>Made-up measured runs for the benchmark's statistics.</summary>
internal static class Runs
{
    /// <summary>A one-second run of <paramref name="operations"/> operations, all of the same latency.</summary>
    public static LoadResult Of(long operations, long latencyMicroseconds = 500)
    {
        var latencies = new LatencyHistogram();
        for (var i = 0; i < operations; i++)
        {
            latencies.Record(latencyMicroseconds);
        }

        return new LoadResult(operations, 0, TimeSpan.FromSeconds(1), latencies, null);
    }

    /// <summary>A one-second metered run of 100 operations during which the host took <paramref name="share"/> of every core.</summary>
    public static LoadResult Stolen(double share) =>
        Of(100) with
        {
            Cpu = new Dictionary<string, TimeSpan>
            {
                ["api"] = TimeSpan.Zero,
                [CpuMeter.Steal] = TimeSpan.FromSeconds(share * Environment.ProcessorCount),
                [CpuMeter.Idle] = TimeSpan.FromSeconds((1 - share) * Environment.ProcessorCount),
            },
        };
}
