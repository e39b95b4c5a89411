using System.Text.Json.Serialization;
using Dialogs.Local.Cluster;
using Spectre.Console;

namespace Dialogs.Local.Commands;

/// <summary>
/// Where the local service lives: local-cluster/ at the repository root (or the folder <see cref="FolderVariable"/>
/// names) holds the nodes, the built API, the logs and service.json (API port and pid, token issuer). Deleting the
/// folder (after `down`) resets everything.
/// </summary>
public sealed class Workspace
{
    /// <summary>
    /// The environment variable naming another folder than local-cluster/: a second local service beside the first
    /// (each has its own ports, nodes and API), or a test's own that leaves a developer's service alone.
    /// </summary>
    public const string FolderVariable = "DIALOGS_LOCAL_FOLDER";

    // Whether FolderVariable named the folder, so the commands printed for a user to copy must name it too.
    private readonly bool _named;

    private Workspace(string root, string folder, bool named)
    {
        Root = root;
        Folder = folder;
        _named = named;
    }

    public string Root { get; }
    public string Folder { get; }
    public string NodesFolder => Path.Combine(Folder, "nodes");
    public string ApiFolder => Path.Combine(Folder, "api");
    public string ApiLog => Path.Combine(Folder, "api.log");
    private string ServiceFile => Path.Combine(Folder, "service.json");

    /// <summary>The workspace of this repository, or of the folder <see cref="FolderVariable"/> names (a relative one from the current folder).</summary>
    public static Workspace Find()
    {
        var root = LocalApi.FindRepositoryRoot();
        return Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } folder
            ? new(root, Path.GetFullPath(folder), named: true)
            : new(root, Path.Combine(root, "local-cluster"), named: false);
    }

    /// <summary>
    /// A command of this tool as a user would type it to act on this workspace, for the hints the commands print: with
    /// <see cref="FolderVariable"/> where it named the folder, so that a hint copied into another shell does not act on
    /// local-cluster/ instead.
    /// </summary>
    public string Command(string arguments) =>
        $"{(_named ? $"{FolderVariable}={ShellWord(Folder)} " : "")}dotnet run --project tools/Dialogs.Local -- {arguments}";

    /// <summary>Whether an `up` has worked in the folder: its nodes, its API's build or its service.json are there.</summary>
    public bool Used => Directory.Exists(NodesFolder) || Directory.Exists(ApiFolder) || File.Exists(ServiceFile);

    /// <summary>The service's saved state; refused, naming the folder, where no `up` has made one there.</summary>
    public ServiceState RequireService() => SavedService() ?? throw NoService();

    private InvalidOperationException NoService() => new($"No local service in {Folder} yet: `{Command("up")}` makes one.");

    private static string ShellWord(string text) =>
        text.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-') ? text : $"'{text.Replace("'", @"'\''", StringComparison.Ordinal)}'";

    /// <summary>
    /// Takes the workspace for a command that starts, stops, adds or deletes nodes or the API, so that two of them (an
    /// `up` in each of two terminals) never work on the same nodes at once. Commands that only read need none.
    /// </summary>
    public FolderClaim Claim() => FolderClaim.TryTake(NodesFolder) ?? throw new InvalidOperationException(
        $"Another command (up, down, add-worker or cluster remove) is working on {Folder}: let it finish, then try again.");

    /// <summary>
    /// The claim for a command that changes what an `up` made: refused, naming the folder, where no `up` has worked, so
    /// that a folder named by mistake is left as it was (the claim's lock file would lie in it).
    /// </summary>
    public FolderClaim ClaimUsed() => Used ? Claim() : throw NoService();

    /// <summary>Clears what an `up` stopped while it created the cluster left behind (<see cref="LocalCluster.RemoveUnfinishedAsync"/>).</summary>
    public async Task RemoveUnfinishedClusterAsync(PostgresInstallation postgres)
    {
        if (await LocalCluster.RemoveUnfinishedAsync(postgres, NodesFolder) is > 0 and var begun)
        {
            AnsiConsole.MarkupLineInterpolated(
                $"[yellow]An earlier `up` stopped while it created the cluster: removed the {begun} node(s) it had begun.[/]");
        }
    }

    /// <summary>The service's saved state, or null before the first command that needs one has made it.</summary>
    public ServiceState? SavedService() => StateFile.Read<ServiceState>(ServiceFile,
        "fix it, or, with the API stopped, delete it: a new one gets a new API port and a new key, so tokens made before are refused.");

    /// <summary>The service's saved state, made (a free API port, a new signing key) where there is none yet.</summary>
    public ServiceState LoadService()
    {
        if (SavedService() is { } saved)
        {
            return saved;
        }

        Directory.CreateDirectory(Folder);
        var state = new ServiceState(LocalNode.FreePorts(1)[0], null, DevTokens.CreateNew());
        SaveService(state);
        return state;
    }

    /// <summary>The API process the saved state names, if it still runs from this workspace's build.</summary>
    public LocalApi? RunningApi(ServiceState state) => state.ApiPid is { } pid ? LocalApi.Find(ApiFolder, pid, state.ApiPort) : null;

    /// <summary>Saves the service's state, readable by this user alone: it holds the key that signs tokens.</summary>
    public void SaveService(ServiceState state) => StateFile.Write(ServiceFile, state, UnixFileMode.UserRead | UnixFileMode.UserWrite);
}

/// <summary>The API process of the local service and the issuer its tokens come from.</summary>
public sealed record ServiceState(int ApiPort, int? ApiPid, DevTokens Tokens)
{
    // Derived, so not stored in service.json.
    [JsonIgnore]
    public string Url => $"http://{LocalNode.Host}:{ApiPort}";
}
