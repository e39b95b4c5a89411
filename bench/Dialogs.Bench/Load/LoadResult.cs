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
    /// The share of the machine's core time that its host took during a metered run (steal): on a
    /// virtual machine, what the run could not have whatever it needed. A slow phase of the machine shows here.
    /// </summary>
    public double? HostStealShare => ShareOfCores(CpuMeter.Steal);

    /// <summary>The share of the machine's core time that processes outside the benchmark took during a metered run.</summary>
    public double? OtherProcessesShare => ShareOfCores(CpuMeter.Other);

    /// <summary>
    /// Over the cores' whole time between the meter's two readings, every part of it accounted for (the processes,
    /// interrupts, steal and idle time add up to it), rather than over <see cref="Elapsed"/>: reading every process
    /// takes a while on a busy machine, and its window outlasted a short run's by up to a third.
    /// </summary>
    private double? ShareOfCores(string part) =>
        Cpu is not null && Cpu.TryGetValue(part, out var time) && Cpu.Values.Aggregate(TimeSpan.Zero, (sum, spent) => sum + spent) is var cores
        && cores > TimeSpan.Zero
            ? time / cores
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
