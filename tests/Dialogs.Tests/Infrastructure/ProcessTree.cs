using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Infrastructure;

public static class ProcessTree
{
    /// <summary>The running processes whose parent is <paramref name="parent"/>, from /proc.</summary>
    public static IEnumerable<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc")
            .Select(folder => int.TryParse(Path.GetFileName(folder), out var pid) ? pid : -1)
            .Where(pid => pid > 0 && Processes.StatFields(pid) is { } fields && fields[1] == parent.ToString());
}
