using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// A process the local tool takes for the API of a folder (its command line carries the folder's API marker), which
/// only sleeps: what an `up` stopped part way, or another clone, leaves running.
/// </summary>
public static class StandInApi
{
    /// <returns>Its pid, once it is sleeping.</returns>
    public static async Task<int> StartAsync(string apiFolder, CancellationToken ct)
    {
        // Two commands, so bash stays (it would exec a single one) with the folder's API in its arguments.
        var pid = Processes.StartDetached("bash", ["-c", "sleep 60; true", Path.Combine(apiFolder, LocalApi.ProcessMarker)],
            apiFolder, Path.Combine(apiFolder, "api.log"), new Dictionary<string, string>());
        await Eventually.UntilAsync(() => Task.FromResult(SleepStarted(pid)), "the stand-in API", ct);
        return pid;
    }

    /// <summary>
    /// Whether the stand-in's shell has started its sleep: until the child it forks for it execs, that child carries
    /// the shell's command line, marker and all, and would count as a second API of the folder.
    /// </summary>
    private static bool SleepStarted(int standIn) =>
        Processes.ChildrenOf(standIn).Any(child => Processes.IsAlive(child.Pid, "sleep") && !Processes.IsAlive(child.Pid, LocalApi.ProcessMarker));
}
