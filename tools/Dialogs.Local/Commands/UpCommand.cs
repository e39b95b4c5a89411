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
    private static readonly TimeSpan ApiStartTimeout = TimeSpan.FromSeconds(90);

    public static async Task<int> RunAsync(int workers, CancellationToken ct)
    {
        var workspace = Workspace.Find();
        var postgres = await PostgresInstallation.FindAsync();
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
            cluster = await LocalCluster.CreateAsync(postgres, workspace.NodesFolder, postgres.HasCitus, workers, Durability.Safe);
        }
        else
        {
            await cluster.StartAsync();
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
        if (!service.ApiRunning)
        {
            service = await StartApiAsync(workspace, service, cluster, ct);
        }

        // Plain output: these lines are meant to be copied, so the console must not wrap or colour them.
        Console.WriteLine($"""

            Dialogs is running at {service.Url}
              OpenAPI: {service.Url}/openapi/v1.json    API log: {workspace.ApiLog}

            Get a token for a user and send a message:
              TOKEN=$(dotnet run --project tools/Dialogs.Local -- token alice)
              curl -s -X POST {service.Url}/dialog/bob/send -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"{"}"text":"hi bob"{"}"}'
              curl -s {service.Url}/dialog/bob/list -H "Authorization: Bearer $TOKEN"

            Stop everything: dotnet run --project tools/Dialogs.Local -- down
            """);
        return 0;
    }

    private static async Task<ServiceState> StartApiAsync(Workspace workspace, ServiceState service, LocalCluster cluster, CancellationToken ct)
    {
        AnsiConsole.MarkupLine("Building the API ...");
        await Processes.RunAsync("dotnet",
            ["build", Path.Combine(workspace.Root, "src", "Dialogs.Api", "Dialogs.Api.csproj"), "-c", "Release", "-o", workspace.ApiFolder, "--nologo", "-v", "q"],
            ct: ct);

        var environment = new Dictionary<string, string>(service.Tokens.ApiConfiguration.Select(setting =>
            KeyValuePair.Create(setting.Key.Replace(":", "__", StringComparison.Ordinal), setting.Value)))
        {
            ["ConnectionStrings__dialogs"] = cluster.Coordinator.ConnectionString(),
            ["ASPNETCORE_URLS"] = service.Url,
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        var pid = Processes.StartDetached("dotnet", [Path.Combine(workspace.ApiFolder, ServiceState.ApiProcessMarker)], workspace.ApiLog, environment);
        service = service with { ApiPid = pid };
        workspace.SaveService(service);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + ApiStartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (!service.ApiRunning)
            {
                throw new InvalidOperationException($"The API exited during startup; see {workspace.ApiLog}.");
            }

            try
            {
                if ((await http.GetAsync($"{service.Url}/health", ct)).IsSuccessStatusCode)
                {
                    return service;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250, ct);
        }

        throw new InvalidOperationException($"The API did not become healthy within {ApiStartTimeout.TotalSeconds:0} s; see {workspace.ApiLog}.");
    }
}
