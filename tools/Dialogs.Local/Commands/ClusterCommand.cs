using Dialogs.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.Migrator;
using Spectre.Console;

namespace Dialogs.Local.Commands;

/// <summary>
/// Cluster operations on the local service: `add-worker` starts one more worker node on a free port and registers
/// it; `cluster ...` runs the migrator's cluster verbs (status, rebalance, drain, remove) against the local
/// coordinator, so both go through the same implementation as the API's admin endpoints; after `cluster remove`,
/// the local worker it took out is stopped and deleted.
/// </summary>
public static class ClusterCommand
{
    public static async Task<int> AddWorkerAsync(CancellationToken ct)
    {
        var workspace = Workspace.Find();
        using var claim = workspace.ClaimUsed();
        if (await OpenCitusAsync(workspace) is not { } cluster)
        {
            return 1;
        }

        var worker = await cluster.AddWorkerAsync();
        AnsiConsole.MarkupLineInterpolated($"Started {worker.Name} at {worker.Address} (log: {worker.LogPath}).");
        var registered = await RunAsync(cluster, ["add-worker", worker.Address], ct);
        if (registered == 0)
        {
            Console.WriteLine($"It holds no shards yet. Move shards onto it online: {workspace.Command("cluster rebalance")}");
        }
        else
        {
            // Not left running unregistered: the next `up` would register it without being asked.
            await cluster.ForgetWorkerAsync(worker.Address);
            AnsiConsole.MarkupLineInterpolated($"Stopped and deleted {worker.Name}: it was not registered.");
        }

        return registered;
    }

    public static async Task<int> RunAsync(string[] operation, CancellationToken ct)
    {
        // A remove deletes the local worker; status and rebalance must not wait for each other (status follows a rebalance).
        var workspace = Workspace.Find();
        using var claim = operation is ["remove", ..] ? workspace.ClaimUsed() : null;
        if (await OpenCitusAsync(workspace) is not { } cluster)
        {
            return 1;
        }

        var result = await RunAsync(cluster, operation, ct);
        if (result == 0 && operation is ["remove", var address] && await cluster.ForgetWorkerAsync(address) is { } removed)
        {
            AnsiConsole.MarkupLineInterpolated($"Stopped and deleted {removed.Name}: `up` no longer starts it.");
        }

        return result;
    }

    private static Task<int> RunAsync(LocalCluster cluster, string[] operation, CancellationToken ct) =>
        MigratorApp.RunAsync(["cluster", .. operation, $"--ConnectionStrings:{DialogsDatabase.ConnectionStringName}={cluster.Coordinator.ConnectionString()}",
            "--Logging:LogLevel:Default=Warning"], ct: ct);

    /// <summary>The local cluster where it is a Citus one; plain PostgreSQL has no workers to add and no shards to move, which is said.</summary>
    private static async Task<LocalCluster?> OpenCitusAsync(Workspace workspace)
    {
        var cluster = LocalCluster.Open(await PostgresInstallation.FindAsync(), workspace.NodesFolder)
            ?? throw new InvalidOperationException($"No local cluster in {workspace.Folder} yet: run `{workspace.Command("up")}` first.");
        if (cluster.Citus)
        {
            return cluster;
        }

        AnsiConsole.MarkupLine("[yellow]This local cluster is plain PostgreSQL (Citus is not installed): it has no workers to add or manage, and no shards to move.[/]");
        return null;
    }
}
