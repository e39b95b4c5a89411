using Dialogs.Local.Cluster;
using Spectre.Console;

namespace Dialogs.Local.Commands;

/// <summary>Which parts of the local service are running, and where.</summary>
public static class StatusCommand
{
    public static async Task<int> RunAsync()
    {
        var workspace = Workspace.Find();
        if (LocalCluster.Open(await PostgresInstallation.FindAsync(), workspace.NodesFolder) is not { } cluster)
        {
            AnsiConsole.MarkupLine("No local cluster yet: `dotnet run --project tools/Dialogs.Local -- up` creates one.");
            return 0;
        }

        var table = new Table().AddColumns("part", "address", "state");
        foreach (var node in cluster.Nodes)
        {
            table.AddRow(node.Name, node.Address, await node.IsRunningAsync() ? "[green]running[/]" : "[grey]stopped[/]");
        }

        // Read only: status makes no port or signing key where service.json is gone (the next `up` does).
        if (workspace.SavedService() is { } service)
        {
            table.AddRow("api", service.Url, service.Api is not null ? "[green]running[/]" : "[grey]stopped[/]");
        }
        else
        {
            table.AddRow("api", "-", "[grey]not set up: no service.json, `up` makes one[/]");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{(cluster.Citus ? "Citus" : "Plain PostgreSQL (Citus not installed)")}; data in {workspace.Folder}");
        return 0;
    }
}
