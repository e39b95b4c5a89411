using Dialogs.Local.Cluster;
using Dialogs.Migrator;
using Spectre.Console;

namespace Dialogs.Local.Commands;

/// <summary>
/// Starts the whole service locally: the nodes (a Citus coordinator and workers, or one plain PostgreSQL node where
/// Citus is not installed), the migrator, then the API in the background.
/// </summary>
public static class UpCommand
{
    public static async Task<int> RunAsync(int workers, CancellationToken ct)
    {
        var workspace = Workspace.Find();
        using var claim = workspace.Claim();
        var postgres = await PostgresInstallation.FindAsync();
        await workspace.RemoveUnfinishedClusterAsync(postgres);
        var cluster = LocalCluster.Open(postgres, workspace.NodesFolder);
        if (cluster is null)
        {
            if (!postgres.HasCitus)
            {
                AnsiConsole.MarkupLineInterpolated(
                    $"[yellow]Citus is not installed for {postgres.BinDirectory} (no citus.control in {postgres.ExtensionDirectory}).[/]");
                AnsiConsole.MarkupLine("[yellow]Starting one plain PostgreSQL node instead: the service works the same, without sharding.[/]");
            }

            AnsiConsole.MarkupLineInterpolated($"Creating the local cluster in [blue]{workspace.NodesFolder}[/] ...");
            cluster = await LocalCluster.CreateAsync(postgres, workspace.NodesFolder, postgres.HasCitus, workers, Durability.Safe, ct);
        }
        else
        {
            await cluster.StartAsync(ct);
        }

        foreach (var node in cluster.Nodes)
        {
            Console.WriteLine($"  {node.Name,-12} postgres://{node.Address}/{LocalNode.Database}  log: {node.LogPath}");
        }

        if (await MigratorApp.RunAsync([.. cluster.MigratorArguments], ct: ct) != MigratorApp.Succeeded)
        {
            AnsiConsole.MarkupLine("[red]The migrator failed (reason above); the nodes keep running. `down` stops them.[/]");
            return 1;
        }

        var service = workspace.LoadService();
        if (workspace.RunningApi(service) is null)
        {
            service = await StartApiAsync(workspace, service, cluster, ct);
        }

        // Plain output: these lines are meant to be copied, so the console must not wrap or colour them.
        Console.WriteLine($"""

            Dialogs is running at {service.Url}
              OpenAPI: {service.Url}/openapi/v1.json    API log: {workspace.ApiLog}

            Get a token for a user and send a message:
              TOKEN=$({workspace.Command("token alice")})
              curl -s -X POST {service.Url}/dialog/bob/send -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"{"}"text":"hi bob"{"}"}'
              curl -s {service.Url}/dialog/bob/list -H "Authorization: Bearer $TOKEN"

            Stop everything: {workspace.Command("down")}
            """);
        return 0;
    }

    private static async Task<ServiceState> StartApiAsync(Workspace workspace, ServiceState service, LocalCluster cluster, CancellationToken ct)
    {
        // An API left by an `up` stopped before its API answered /health (its pid unsaved) would hold the port.
        await LocalApi.StopAllFromAsync(workspace.ApiFolder);
        AnsiConsole.MarkupLine("Building the API ...");
        await LocalApi.BuildAsync(workspace.Root, workspace.ApiFolder, ct);
        if (!LocalNode.IsFree(service.ApiPort))
        {
            var port = LocalNode.FreePorts(1)[0];
            AnsiConsole.MarkupLineInterpolated($"[yellow]Another program listens on the API's port {service.ApiPort}: the API moves to port {port}.[/]");
            service = service with { ApiPort = port };
        }

        var api = await LocalApi.StartAsync(workspace.ApiFolder, service.ApiPort, cluster.Coordinator.ConnectionString(),
            service.Tokens, workspace.ApiLog, ct: ct);
        service = service with { ApiPid = api.Pid };
        workspace.SaveService(service);
        return service;
    }
}
