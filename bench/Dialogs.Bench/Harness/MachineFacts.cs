using System.Globalization;
using System.Runtime.InteropServices;

namespace Dialogs.Bench.Harness;

/// <summary>The facts of the machine a run was made on, so its numbers are never read without them.</summary>
public sealed record MachineFacts(int Cores, double MemoryGiB, string Cpu, string Os, string Runtime)
{
    public static MachineFacts Read()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))
            ?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memoryKb = File.ReadLines("/proc/meminfo").First(line => line.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        return new MachineFacts(Environment.ProcessorCount, double.Parse(memoryKb, CultureInfo.InvariantCulture) / 1024 / 1024,
            cpu, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription);
    }
}
