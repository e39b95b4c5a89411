using System.Diagnostics;
using Dialogs.Bench.Load;
using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Bench;

/// <summary>The benchmark's CPU meter: a process's time in user and kernel mode, and how a piece's time is shared out.</summary>
public sealed class CpuMeterTests
{
    [Fact]
    public async Task A_process_costs_its_time_in_the_kernel_too_and_a_server_its_children()
    {
        // A server whose two children copy bytes one system call at a time: their time is nearly all in the kernel.
        using var server = Process.Start(new ProcessStartInfo("sh", ["-c", "dd if=/dev/zero of=/dev/null bs=1 & dd if=/dev/zero of=/dev/null bs=1 & wait"]))!;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken);
            var children = Processes.ChildrenOf(server.Id).Select(child => child.Pid).ToList();
            Assert.Equal(2, children.Count);

            // Bracketed by the runtime's own reading of the same counters, user and system time.
            var child = Process.GetProcessById(children[0]);
            var before = child.TotalProcessorTime;
            var metered = CpuMeter.OfProcess(children[0]);
            child.Refresh();
            Assert.InRange(metered, before - Tick, child.TotalProcessorTime + Tick);
            Assert.True(metered > TimeSpan.FromSeconds(0.1), $"{metered}");

            var childrenBefore = children.Sum(pid => Process.GetProcessById(pid).TotalProcessorTime.Ticks);
            Assert.True(CpuMeter.OfProcessTree(server.Id) >= TimeSpan.FromTicks(childrenBefore) - 2 * Tick);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void A_pieces_time_is_each_parts_the_rest_of_the_processes_other_and_the_machines_own_columns()
    {
        var (api, machine) = (TimeSpan.FromSeconds(1), new MachineTimes(Seconds(10), Seconds(1), Seconds(0.5), Seconds(4)));
        var meter = new CpuMeter(new Dictionary<string, Func<TimeSpan>> { ["api"] = () => api }, () => machine);

        var start = meter.Read();
        (api, machine) = (Seconds(3), new MachineTimes(Seconds(15), Seconds(1.2), Seconds(0.8), Seconds(4.1)));
        var spent = meter.Read().Since(start);

        Assert.Equal(Seconds(2), spent["api"]);
        Assert.Equal(Seconds(3), spent[CpuMeter.Other]); // the machine's 5 s in processes, but the api's 2
        Assert.Equal((Seconds(0.2), Seconds(0.3), Seconds(0.1)), (spent[CpuMeter.Interrupts], spent[CpuMeter.Steal], spent[CpuMeter.Idle]));

        // The part's counter ticking ahead of the machine's: nothing else ran, not less than nothing.
        api = Seconds(9);
        Assert.Equal(TimeSpan.Zero, meter.Read().Since(start)[CpuMeter.Other]);
    }

    [Fact]
    public void The_machines_columns_are_read_from_their_own_fields_of_proc_stat()
    {
        // Every field its own value, guest time (of virtual machines this one runs, already in user) after steal.
        var times = MachineTimes.Parse("cpu  100 20 300 4000 500 60 7 80 900 10");

        Assert.Equal(new MachineTimes(Seconds(4.2), Seconds(0.67), Seconds(0.8), Seconds(45)), times);
    }

    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(seconds);
}
