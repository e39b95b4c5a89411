using System.Globalization;
using Dialogs.Bench.Load;

namespace Dialogs.Tests.Bench;

/// <summary>The API's memory as the memory target reads it: resident set and high-water mark, in MiB.</summary>
public sealed class ProcessMemorySamplerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const double KernelCountingSlackMib = 1;

    [Fact]
    public async Task Memory_is_read_in_MiB_from_the_resident_set_with_the_kernels_high_water_mark_above_every_sample()
    {
        await using var sampler = ProcessMemorySampler.Start(Environment.ProcessId, TimeSpan.FromMilliseconds(20));
        await Task.Delay(TimeSpan.FromMilliseconds(200), Ct);

        var reading = await sampler.StopAsync();
        // The mark only grows, so read after the sampler's it bounds it from above: in kB, as /proc gives it.
        var highWaterKb = long.Parse(File.ReadLines("/proc/self/status").Single(line => line.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

        Assert.True(reading.Samples >= 2, $"{reading.Samples} samples");
        // Within the kernel's batching: each thread counts its pages apart and adds them up now and then, so a sample of
        // the resident set came out a page above the mark read after it (288.3047 against 288.3008 MiB).
        Assert.InRange(reading.PeakRssMib, 1, reading.HighWaterMib + KernelCountingSlackMib);
        // The same batching makes the mark itself read a page lower at times than a moment before (181.6914 against
        // 181.6875 MiB read after it).
        Assert.InRange(reading.HighWaterMib, 1, highWaterKb / 1024.0 + KernelCountingSlackMib);
    }
}
