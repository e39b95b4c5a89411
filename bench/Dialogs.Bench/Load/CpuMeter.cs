using System.Globalization;
using Dialogs.Local.Cluster;

namespace Dialogs.Bench.Load;

/// <summary>
/// CPU time spent by named parts of the system (this client, the API process, the PostgreSQL servers), by the
/// kernel's interrupt handling (loopback networking runs there, charged to no process) and by every other process
/// on the machine, from /proc. On a machine whose cores are shared by all of them, what an operation costs in CPU,
/// and where, explains its throughput better than its latency can; "other" shows when something outside the
/// benchmark was competing for the cores, "steal" when the virtual machine's host was (time its cores wanted to run
/// and the host ran something else), and "idle" how much of the cores nobody used. Together they account for every
/// core's whole time.
/// </summary>
/// <param name="machine">The whole machine's times; /proc/stat unless given (a test's made-up host).</param>
public sealed class CpuMeter(IReadOnlyDictionary<string, Func<TimeSpan>> parts, Func<MachineTimes>? machine = null)
{
    public const string Interrupts = "irq";
    public const string Other = "other";
    public const string Steal = "steal";
    public const string Idle = "idle";

    // USER_HZ: the unit of every CPU time in /proc, 100 on every Linux ABI .NET runs on.
    private const double TicksPerSecond = 100;

    public CpuReading Read()
    {
        var (processes, interrupts, steal, idle) = (machine ?? Machine)();
        return new CpuReading(parts.ToDictionary(part => part.Key, part => part.Value()), processes, interrupts, steal, idle);
    }

    /// <summary>CPU time of one process (user + system) so far; zero once it has gone.</summary>
    public static TimeSpan OfProcess(int pid) => Processes.StatFields(pid) is { } fields ? Ticks(fields[11]) + Ticks(fields[12]) : TimeSpan.Zero;

    /// <summary>
    /// CPU time of a server and its workers: its own, its ended children's (reaped, so counted in its own record)
    /// and its running children's. A PostgreSQL postmaster with its backends is such a tree.
    /// </summary>
    public static TimeSpan OfProcessTree(int pid)
    {
        if (Processes.StatFields(pid) is not { } server)
        {
            return TimeSpan.Zero;
        }

        var total = Ticks(server[11]) + Ticks(server[12]) + Ticks(server[13]) + Ticks(server[14]);
        foreach (var (_, child) in Processes.ChildrenOf(pid))
        {
            total += Ticks(child[11]) + Ticks(child[12]);
        }

        return total;
    }

    /// <summary>
    /// Time of the whole machine (all cores) in processes, in hard and soft interrupts, taken by its host, and idle
    /// (waiting for a disk included: nothing else was ready to run).
    /// </summary>
    private static MachineTimes Machine() => MachineTimes.Parse(File.ReadLines("/proc/stat").First());

    internal static TimeSpan Ticks(string value) =>
        TimeSpan.FromSeconds(long.Parse(value, CultureInfo.InvariantCulture) / TicksPerSecond);
}

/// <summary>The whole machine's cumulative time (all cores) in processes, in interrupts, taken by its host, and idle.</summary>
public sealed record MachineTimes(TimeSpan Processes, TimeSpan Interrupts, TimeSpan Steal, TimeSpan Idle)
{
    /// <summary>From /proc/stat's first line, the sums over every core.</summary>
    public static MachineTimes Parse(string cpuLine)
    {
        // cpu user nice system idle iowait irq softirq steal guest guest_nice
        var cpu = cpuLine.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new(CpuMeter.Ticks(cpu[1]) + CpuMeter.Ticks(cpu[2]) + CpuMeter.Ticks(cpu[3]), CpuMeter.Ticks(cpu[6]) + CpuMeter.Ticks(cpu[7]),
            CpuMeter.Ticks(cpu[8]), CpuMeter.Ticks(cpu[4]) + CpuMeter.Ticks(cpu[5]));
    }
}

/// <summary>Cumulative CPU times at one moment: per part, and for the whole machine.</summary>
public sealed record CpuReading(IReadOnlyDictionary<string, TimeSpan> Parts, TimeSpan Processes, TimeSpan Interrupts, TimeSpan Steal,
    TimeSpan Idle)
{
    /// <summary>What each part spent since <paramref name="earlier"/>, the interrupts, every other process, the host, and idle time.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Since(CpuReading earlier)
    {
        var spent = Parts.ToDictionary(part => part.Key, part => part.Value - earlier.Parts[part.Key]);
        var others = Processes - earlier.Processes - spent.Values.Aggregate(TimeSpan.Zero, (sum, part) => sum + part);
        // Per-process and machine-wide counters tick separately, so a quiet machine can come out a tick below zero.
        spent[CpuMeter.Other] = others > TimeSpan.Zero ? others : TimeSpan.Zero;
        spent[CpuMeter.Interrupts] = Interrupts - earlier.Interrupts;
        spent[CpuMeter.Steal] = Steal - earlier.Steal;
        spent[CpuMeter.Idle] = Idle - earlier.Idle;
        return spent;
    }
}
