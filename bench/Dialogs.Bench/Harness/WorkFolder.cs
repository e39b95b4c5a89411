using Dialogs.Local.Cluster;

namespace Dialogs.Bench.Harness;

/// <summary>
/// The folder a benchmark works in: the built API and one sub-folder per cluster. Cleaning it up stops every
/// process that runs from it, found by what only this folder's processes have (a PostgreSQL data directory with a
/// postmaster.pid, a command line naming this folder's API build), so it also clears up after a run that was killed,
/// failed half-way through starting a cluster, or was cancelled while the API was still starting.
/// </summary>
public sealed class WorkFolder(string path, PostgresInstallation postgres)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);
    public string ApiBuild => System.IO.Path.Combine(Path, "api");
    private string ApiMarker => System.IO.Path.Combine(ApiBuild, LocalApi.ProcessMarker);

    public string ClusterFolder(ClusterKind kind) => System.IO.Path.Combine(Path, kind.ToString().ToLowerInvariant());

    public async Task CleanUpAsync()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }

        foreach (var pid in ApiProcesses())
        {
            await Processes.StopAsync(pid, ApiMarker, TimeSpan.FromSeconds(15));
        }

        foreach (var pidFile in Directory.EnumerateFiles(Path, "postmaster.pid", SearchOption.AllDirectories))
        {
            // A node's folder holds its data directory; stopping needs only that (the port is not used).
            var nodeFolder = System.IO.Path.GetDirectoryName(System.IO.Path.GetDirectoryName(pidFile))!;
            await new LocalNode(postgres, System.IO.Path.GetFileName(nodeFolder), nodeFolder, port: 0).StopAsync();
        }

        Directory.Delete(Path, recursive: true);
    }

    private IEnumerable<int> ApiProcesses()
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(folder), out var pid) && RunsFrom(pid, ApiMarker))
            {
                yield return pid;
            }
        }
    }

    private static bool RunsFrom(int pid, string marker)
    {
        try
        {
            return Processes.IsAlive(pid, marker);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // ended while we looked
        }
    }
}
