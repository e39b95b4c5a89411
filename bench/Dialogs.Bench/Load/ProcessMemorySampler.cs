using System.Globalization;

namespace Dialogs.Bench.Load;

/// <summary>
/// Watches another process's memory from /proc/&lt;pid&gt;/status: VmRSS sampled periodically (its peak is what the
/// process held at the busiest moment we saw) and VmHWM, the kernel's own high-water mark, read when stopping.
/// </summary>
public sealed class ProcessMemorySampler : IAsyncDisposable
{
    private readonly int _pid;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;
    private long _peakRssKb;
    private int _samples;

    private ProcessMemorySampler(int pid, TimeSpan interval)
    {
        _pid = pid;
        _sampling = SampleAsync(interval, _stop.Token);
    }

    public static ProcessMemorySampler Start(int pid, TimeSpan interval) => new(pid, interval);

    /// <summary>Ends sampling and returns what was seen; call while the process still runs, for its VmHWM.</summary>
    public async Task<MemoryReading> StopAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        Sample();
        return new MemoryReading(ToMegabytes(_peakRssKb), ToMegabytes(ReadKb("VmHWM") ?? 0), _samples);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
            await _sampling;
        }

        _stop.Dispose();
    }

    private async Task SampleAsync(TimeSpan interval, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            do
            {
                Sample();
            }
            while (await timer.WaitForNextTickAsync(ct));
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private void Sample()
    {
        if (ReadKb("VmRSS") is { } rss)
        {
            _peakRssKb = Math.Max(_peakRssKb, rss);
            _samples++;
        }
    }

    /// <summary>A "Name:   123456 kB" line of the status file, or null once the process has gone.</summary>
    private long? ReadKb(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{_pid}/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static double ToMegabytes(long kilobytes) => kilobytes / 1024.0;
}

/// <summary>A process's peak resident memory as sampled, and as the kernel recorded it, in MiB.</summary>
public sealed record MemoryReading(double PeakRssMib, double HighWaterMib, int Samples);
