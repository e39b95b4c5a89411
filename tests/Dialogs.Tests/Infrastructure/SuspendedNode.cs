using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL server hung: every process of it stopped (SIGSTOP), its connections left open, so nothing refuses
/// and nothing answers, as a frozen host or a silent network does it. Disposing lets it run on.
/// </summary>
public sealed class SuspendedNode : IDisposable
{
    private readonly List<int> _processes;

    private SuspendedNode(List<int> processes)
    {
        _processes = processes;
        Signal(Processes.SigStop);
    }

    public static SuspendedNode Suspend(LocalNode node)
    {
        var postmaster = node.PostmasterPid();
        return new SuspendedNode([postmaster, .. Processes.ChildrenOf(postmaster).Select(child => child.Pid)]);
    }

    public void Dispose() => Signal(Processes.SigCont);

    /// <summary>Signals each process; one that has ended meanwhile is skipped.</summary>
    private void Signal(int signal)
    {
        foreach (var pid in _processes)
        {
            _ = Processes.Signal(pid, signal);
        }
    }
}
