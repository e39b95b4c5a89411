using Dialogs.Local.Cluster;
using Spectre.Console;

namespace Dialogs.Local.Commands;

/// <summary>Stops the API and every node of the local service; the data stays in its folder.</summary>
public static class DownCommand
{
    public static async Task<int> RunAsync(CancellationToken ct)
    {
        var workspace = Workspace.Find();
        if (!workspace.Used)
        {
            // Nothing made here, not even the claim's lock file: a folder named by mistake is left as it was.
            return NothingToStop(workspace);
        }

        using var claim = workspace.Claim();
        // Every API running from this workspace's build: also one whose `up` was stopped before the API answered
        // /health, and so before its pid was saved.
        var apiStopped = await LocalApi.StopAllFromAsync(workspace.ApiFolder) > 0;
        if (apiStopped)
        {
            AnsiConsole.MarkupLine("API stopped.");
        }

        var postgres = await PostgresInstallation.FindAsync();
        LocalCluster? cluster;
        try
        {
            await workspace.RemoveUnfinishedClusterAsync(postgres);
            cluster = LocalCluster.Open(postgres, workspace.NodesFolder);
        }
        catch (InvalidOperationException)
        {
            // A damaged cluster.json no longer tells the nodes, nor does an unfinished cluster whose node would not stop:
            // each server whose data lies in the folder stops all the same.
            await LocalNode.StopAllUnderAsync(postgres, workspace.NodesFolder);
            throw;
        }

        var orphans = 0;
        if (cluster is not null)
        {
            var stopped = await cluster.StopAsync(ct);
            AnsiConsole.MarkupLineInterpolated(
                $"{(stopped > 0 ? $"Stopped {stopped} PostgreSQL node(s)." : "No PostgreSQL node was running.")} Data kept in {workspace.Folder} (delete it to start afresh).");
        }
        else
        {
            // Nodes' data without the cluster.json that names them (moved away, deleted) is no cluster this tool opens
            // or clears, yet `down` leaves no server of the folder running.
            orphans = await LocalNode.StopAllUnderAsync(postgres, workspace.NodesFolder);
            if (orphans > 0)
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"Stopped {orphans} PostgreSQL server(s) whose data lies in {workspace.NodesFolder} without a {LocalCluster.StateFileName} naming its cluster; their data is untouched. Move that folder away to keep it, or delete it.");
            }
        }

        // Last: a damaged service.json stops nothing from stopping. None is made where there was none (a folder no `up` used).
        if (workspace.SavedService() is { } service)
        {
            workspace.SaveService(service with { ApiPid = null });
        }
        else if (cluster is null && !apiStopped && orphans == 0)
        {
            return NothingToStop(workspace);
        }

        return 0;
    }

    private static int NothingToStop(Workspace workspace)
    {
        AnsiConsole.MarkupLineInterpolated($"No local service in {workspace.Folder}: nothing to stop.");
        return 0;
    }
}
