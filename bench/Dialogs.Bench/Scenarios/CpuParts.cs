using Dialogs.Bench.Harness;
using Dialogs.Bench.Load;

namespace Dialogs.Bench.Scenarios;

/// <summary>
/// The parts whose CPU the benchmark meters: this process (the HTTP or the Npgsql client), the API, the PostgreSQL
/// servers; the meter adds the kernel's interrupt time, every other process, the time the host took (steal) and idle
/// time.
/// </summary>
public static class CpuParts
{
    public const string Client = "client";
    public const string Api = "api";
    public const string Postgres = "postgres";

    /// <summary>What the benchmark itself costs: its processes and the kernel's interrupt work (loopback networking).</summary>
    public static readonly string[] Benchmark = [Client, Api, Postgres, CpuMeter.Interrupts];

    public static readonly string[] All = [.. Benchmark, CpuMeter.Other, CpuMeter.Steal, CpuMeter.Idle];

    public static CpuMeter Meter(BenchCluster cluster)
    {
        var servers = cluster.ServerPids();
        var api = cluster.Api.Pid;
        return new CpuMeter(new Dictionary<string, Func<TimeSpan>>
        {
            [Client] = () => CpuMeter.OfProcess(Environment.ProcessId),
            [Api] = () => CpuMeter.OfProcess(api),
            [Postgres] = () => servers.Aggregate(TimeSpan.Zero, (sum, pid) => sum + CpuMeter.OfProcessTree(pid)),
        });
    }
}
