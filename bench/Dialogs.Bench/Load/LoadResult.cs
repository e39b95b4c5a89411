namespace Dialogs.Bench.Load;

/// <summary>
/// One run: how many operations succeeded and failed, how long it took, the successes' latencies, and, when it was
/// metered, the CPU time each part of the system spent during it.
/// </summary>
public sealed record LoadResult(long Succeeded, long Failed, TimeSpan Elapsed, LatencyHistogram Latencies, string? FirstError)
{
    public IReadOnlyDictionary<string, TimeSpan>? Cpu { get; init; }

    public double Throughput => Elapsed > TimeSpan.Zero ? Succeeded / Elapsed.TotalSeconds : 0;
}
