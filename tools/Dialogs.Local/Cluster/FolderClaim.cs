namespace Dialogs.Local.Cluster;

/// <summary>
/// One process at a time in a folder: an exclusive lock on a file beside it (the folder itself may be deleted while
/// claimed). The system drops the lock with the process, however it ends, so no stale claim outlives a killed run.
/// </summary>
public sealed class FolderClaim : IDisposable
{
    private readonly FileStream _lock;

    private FolderClaim(FileStream lockFile) => _lock = lockFile;

    /// <summary>The file whose lock is the claim on <paramref name="folder"/>.</summary>
    public static string LockPath(string folder) => Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar) + ".lock";

    /// <returns>The claim, or null while another process holds it.</returns>
    public static FolderClaim? TryTake(string folder)
    {
        var lockPath = LockPath(folder);
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        try
        {
            return new FolderClaim(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose() => _lock.Dispose();
}
