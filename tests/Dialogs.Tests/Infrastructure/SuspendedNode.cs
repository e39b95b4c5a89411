using System.Runtime.InteropServices;
using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server hung: every process of it stopped (SIGSTOP), its connections left open, so nothing refuses
/// and nothing answers, as a frozen host or a silent network does it. Disposing lets it run on.
/// </summary>
public sealed class SuspendedNode : IDisposable
{
    private const int SigCont = 18, SigStop = 19; // Linux on x86-64 and arm64

    private readonly List<int> _processes;

    private SuspendedNode(List<int> processes)
    {
        _processes = processes;
        Signal(SigStop);
    }

    public static SuspendedNode Suspend(LocalNode node)
    {
        var postmaster = node.PostmasterPid();
        return new SuspendedNode([postmaster, .. Processes.ChildrenOf(postmaster).Select(child => child.Pid)]);
    }

    public void Dispose() => Signal(SigCont);

    /// <summary>Signals each process; one that has ended meanwhile is skipped.</summary>
    private void Signal(int signal)
    {
        foreach (var pid in _processes)
        {
            _ = kill(pid, signal);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
