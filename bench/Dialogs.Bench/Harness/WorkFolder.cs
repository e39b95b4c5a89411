using Dialogs.Local.Cluster;

namespace Dialogs.Bench.Harness;

/// <summary>
/// The folder a benchmark works in: the built API and one sub-folder per cluster. Cleaning it up stops every
/// process that runs from it, found by what only this folder's processes have (a PostgreSQL data directory with a
/// postmaster.pid, a command line naming this folder's API build), so it also clears up after a run that was killed,
/// failed half-way through starting a cluster, or was cancelled while the API was still starting. One run at a time
/// owns it: a second run would take the first one's processes for leftovers and stop them.
/// </summary>
public sealed class WorkFolder : IDisposable
{
    private readonly PostgresInstallation _postgres;
    private readonly FolderClaim _claim;

    private WorkFolder(string path, PostgresInstallation postgres, FolderClaim claim)
    {
        Path = path;
        _postgres = postgres;
        _claim = claim;
    }

    /// <summary>
    /// Takes the folder for this run (<see cref="FolderClaim"/>: the folder itself is deleted at the end). A folder that
    /// holds anything but what an earlier run left (its mark) is refused: deleting it would take someone's files.
    /// </summary>
    public static WorkFolder Claim(string path, PostgresInstallation postgres)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var claim = FolderClaim.TryTake(fullPath) ?? throw new InvalidOperationException(
            $"Another benchmark run is using {fullPath} ({FolderClaim.LockPath(fullPath)} is locked): wait for it to end, or give this one its own --work folder.");
        if (Directory.Exists(fullPath) && Directory.EnumerateFileSystemEntries(fullPath).Any() && !File.Exists(MarkPath(fullPath)))
        {
            claim.Dispose();
            throw new InvalidOperationException(
                $"{fullPath} holds files that no benchmark run made, and a run deletes its work folder: give --work a new or empty folder.");
        }

        return new WorkFolder(fullPath, postgres, claim);
    }

    public string Path { get; }
    public string ApiBuild => System.IO.Path.Combine(Path, "api");

    public string ClusterFolder(ClusterKind kind) => System.IO.Path.Combine(Path, kind.ToString().ToLowerInvariant());

    /// <summary>Clears what an earlier run left, then makes the folder anew, marked as this tool's.</summary>
    public async Task StartAfreshAsync()
    {
        await CleanUpAsync();
        Directory.CreateDirectory(Path);
        await File.WriteAllTextAsync(MarkPath(Path), "The work folder of a Dialogs benchmark run; deleted when the run ends.\n");
    }

    public async Task CleanUpAsync()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }

        await LocalApi.StopAllFromAsync(ApiBuild);

        await LocalNode.StopAllUnderAsync(_postgres, Path);
        Directory.Delete(Path, recursive: true);
    }

    public void Dispose() => _claim.Dispose();

    private static string MarkPath(string folder) => System.IO.Path.Combine(folder, ".dialogs-bench-work");
}
