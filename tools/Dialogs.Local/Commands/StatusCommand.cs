using Dialogs.Local.Cluster;
using Spectre.Console;

namespace Dialogs.Local.Commands;

/// <summary>Which parts of the local service are running, and where.</summary>
public static class StatusCommand
{
    private static readonly TimeSpan HealthWait = TimeSpan.FromSeconds(3);

    public static async Task<int> RunAsync()
    {
        var workspace = Workspace.Find();
        if (LocalCluster.Open(await PostgresInstallation.FindAsync(), workspace.NodesFolder) is not { } cluster)
        {
            AnsiConsole.MarkupLineInterpolated($"No local cluster in {workspace.Folder} yet: `{workspace.Command("up")}` creates one.");
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
            table.AddRow("api", service.Url, await ApiStateAsync(workspace, service));
        }
        else
        {
            table.AddRow("api", "-", "[grey]not set up: no service.json, `up` makes one[/]");
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"{(cluster.Citus ? "Citus" : "Plain PostgreSQL (Citus not installed)")}; data in {workspace.Folder}");
        return 0;
    }

    /// <summary>
    /// Running means answering: a process that is there yet does not answer (stopped by a signal, hung) or answers that
    /// it is unhealthy is shown as such, and so is one whose `up` ended before it saved the pid (a closed terminal).
    /// </summary>
    private static async Task<string> ApiStateAsync(Workspace workspace, ServiceState service)
    {
        if (workspace.RunningApi(service) is not { } api)
        {
            return LocalApi.RunningFrom(workspace.ApiFolder) is [var unsaved, ..]
                ? $"[yellow]running as pid {unsaved}, which an interrupted `up` did not save: `down` stops it[/]"
                : "[grey]stopped[/]";
        }

        return await api.HealthAsync(HealthWait) switch
        {
            >= 200 and < 300 => "[green]running[/]",
            { } status => $"[yellow]running, but /health answers {status}: see {Markup.Escape(workspace.ApiLog)}[/]",
            null => $"[red]running as pid {api.Pid}, but not answering /health within {HealthWait.TotalSeconds:0} s: see {Markup.Escape(workspace.ApiLog)}[/]",
        };
    }
}
