using Dialogs.Local.Cluster;
using Spectre.Console;

namespace Dialogs.Local.Commands;

/// <summary>Stops the API and every node of the local service; the data stays in local-cluster/.</summary>
public static class DownCommand
{
    public static async Task<int> RunAsync()
    {
        var workspace = Workspace.Find();
        var service = workspace.LoadService();
        if (service.Api is { } api)
        {
            await api.StopAsync();
            workspace.SaveService(service with { ApiPid = null });
            AnsiConsole.MarkupLine("API stopped.");
        }

        if (LocalCluster.Open(await PostgresInstallation.FindAsync(), workspace.NodesFolder) is { } cluster)
        {
            await cluster.StopAsync();
            AnsiConsole.MarkupLineInterpolated($"Stopped {cluster.Nodes.Count()} PostgreSQL node(s). Data kept in {workspace.Folder} (delete it to start afresh).");
        }

        return 0;
    }
}
