namespace Dialogs.Bench.Load;

/// <summary>
/// One run: how many operations succeeded and failed, how long it took, the successes' latencies, and, when it was
/// metered, the CPU time each part of the system spent during it.
/// </summary>
public sealed record LoadResult(long Succeeded, long Failed, TimeSpan Elapsed, LatencyHistogram Latencies, string? FirstError)
{
    public IReadOnlyDictionary<string, TimeSpan>? Cpu { get; init; }

    public double Throughput => Elapsed > TimeSpan.Zero ? Succeeded / Elapsed.TotalSeconds : 0;

    /// <summary>
    /// The share of the machine's core time (elapsed × cores) that its host took during a metered run (steal): on a
    /// virtual machine, what the run could not have whatever it needed. A slow phase of the machine shows here.
    /// </summary>
    public double? HostStealShare => ShareOfCores(CpuMeter.Steal);

    /// <summary>The share of the machine's core time that processes outside the benchmark took during a metered run.</summary>
    public double? OtherProcessesShare => ShareOfCores(CpuMeter.Other);

    private double? ShareOfCores(string part) =>
        Cpu is not null && Cpu.TryGetValue(part, out var time) && Elapsed > TimeSpan.Zero
            ? time / (Elapsed * Environment.ProcessorCount)
            : null;

    /// <summary>One run made of several pieces run at different times: their operations, time and CPU added up.</summary>
    public static LoadResult Combine(IReadOnlyList<LoadResult> pieces) => new(
        pieces.Sum(piece => piece.Succeeded),
        pieces.Sum(piece => piece.Failed),
        pieces.Aggregate(TimeSpan.Zero, (sum, piece) => sum + piece.Elapsed),
        LatencyHistogram.Merge(pieces.Select(piece => piece.Latencies)),
        pieces.Select(piece => piece.FirstError).FirstOrDefault(error => error is not null))
    {
        Cpu = pieces.Any(piece => piece.Cpu is null)
            ? null
            : pieces[0].Cpu!.Keys.ToDictionary(part => part, part => pieces.Aggregate(TimeSpan.Zero, (sum, piece) => sum + piece.Cpu![part])),
    };
}
