using Dialogs.Cluster;
using Spectre.Console;

namespace Dialogs.Migrator;

/// <summary>`dialogs-migrator cluster ...`: the operator's command line over <see cref="ClusterOperations"/>.</summary>
public static class ClusterCommands
{
    public const string Usage =
        "usage: cluster status | cluster add-worker HOST:PORT | cluster rebalance | cluster drain HOST:PORT | cluster remove HOST:PORT | cluster cancel JOB";

    public static async Task<int> RunAsync(string[] operation, ClusterOperations cluster, TextWriter errors, CancellationToken ct)
    {
        switch (operation)
        {
            case ["status"]:
                Show(await cluster.GetStatusAsync(ct));
                return MigratorApp.Succeeded;
            case ["add-worker", var address]:
                var node = NodeAddress.Parse(address);
                AnsiConsole.MarkupLineInterpolated($"Worker {node} is node {await cluster.AddWorkerAsync(node, ct)} of the cluster.");
                return MigratorApp.Succeeded;
            case ["rebalance"]:
                return await FollowAsync("Rebalance", await cluster.StartRebalanceAsync(ct), cluster, errors, ct);
            case ["drain", var address]:
                return await FollowAsync($"Drain of {address}", await cluster.DrainWorkerAsync(NodeAddress.Parse(address), ct), cluster, errors, ct);
            case ["remove", var address]:
                await cluster.RemoveWorkerAsync(NodeAddress.Parse(address), ct);
                AnsiConsole.MarkupLineInterpolated($"Removed worker {address}.");
                return MigratorApp.Succeeded;
            case ["cancel", var job] when long.TryParse(job, System.Globalization.CultureInfo.InvariantCulture, out var jobId):
                return await CancelAsync(jobId, cluster, errors, ct);
            default:
                return MigratorApp.Fail(errors, MigratorApp.BadConfiguration, Usage);
        }
    }

    /// <summary>Shows the job's progress until it is over and ends with one success or failure line.</summary>
    private static async Task<int> FollowAsync(string what, long? jobId, ClusterOperations cluster, TextWriter errors, CancellationToken ct)
    {
        if (jobId is not { } job)
        {
            AnsiConsole.MarkupLineInterpolated($"{what}: nothing to move, the shards are already where they should be.");
            return MigratorApp.Succeeded;
        }

        AnsiConsole.MarkupLineInterpolated($"{what} started as Citus background job {job}; the service keeps serving meanwhile.");
        RebalanceStatus final;
        try
        {
            final = await FollowProgressAsync(job, cluster, ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C stops the following, not the job: Citus goes on moving shards in the background.
            AnsiConsole.MarkupLineInterpolated(
                $"[yellow]Stopped following job {job}; Citus goes on with it: `cluster status` shows it, `cluster cancel {job}` stops it.[/]");
            throw;
        }

        if (final.Succeeded)
        {
            AnsiConsole.MarkupLineInterpolated($"[green]{what} finished: {final.MovesDone} of {final.MovesTotal} tasks done (job {job}).[/]");
            return MigratorApp.Succeeded;
        }

        return MigratorApp.Fail(errors, MigratorApp.Failed,
            $"{what} ended {final.State} after {final.MovesDone} of {final.MovesTotal} tasks (job {job}): {final.Error ?? "no error recorded"}");
    }

    private static Task<RebalanceStatus> FollowProgressAsync(long job, ClusterOperations cluster, CancellationToken ct) =>
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var bar = context.AddTask("waiting for the first move");
                var progress = new Progress<RebalanceStatus>(status =>
                {
                    bar.MaxValue = Math.Max(1, status.MovesTotal);
                    bar.Value = status.MovesDone;
                    bar.Description = Markup.Escape(Describe(status));
                });
                var status = await cluster.WaitForRebalanceAsync(job, progress, ct);
                bar.Value = bar.MaxValue;
                return status;
            });

    /// <summary>Cancels the job and waits until Citus has stopped it.</summary>
    private static async Task<int> CancelAsync(long jobId, ClusterOperations cluster, TextWriter errors, CancellationToken ct)
    {
        if (await cluster.CancelRebalanceAsync(jobId, ct) is null)
        {
            return MigratorApp.Fail(errors, MigratorApp.Failed, $"There is no rebalance job {jobId}.");
        }

        var final = await cluster.WaitForRebalanceAsync(jobId, progress: null, ct);
        AnsiConsole.MarkupLineInterpolated(
            $"Job {jobId} ended {final.State} after {final.MovesDone} of {final.MovesTotal} tasks; the shards moved so far stay where they are.");
        return MigratorApp.Succeeded;
    }

    private static string Describe(RebalanceStatus status) =>
        (status.Moving is [var move, ..]
            ? $"{status.MovesDone}/{status.MovesTotal} shard {move.ShardId} {move.Source} -> {move.Target}: {move.Status} ({move.TargetBytes / 1024} of {move.SourceBytes / 1024} KiB)"
            : $"{status.MovesDone}/{status.MovesTotal} {status.State}")
        + (status.Error is { } error && !status.IsOver ? $"; a move failed and Citus retries it: {error}" : "");

    private static void Show(ClusterStatus status)
    {
        var table = new Table().AddColumns("node", "address", "role", "active", "takes shards", "shards", "reachable", "size");
        foreach (var node in status.Nodes)
        {
            table.AddRow(node.NodeId.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(node.Address),
                node.IsCoordinator ? "coordinator" : "worker", node.IsActive ? "yes" : "no", node.ShouldHaveShards ? "yes" : "no",
                node.Shards.ToString(System.Globalization.CultureInfo.InvariantCulture), node.Reachable ? "yes" : "[red]no[/]", node.Bytes is { } bytes ? $"{bytes / 1024} KiB" : "?");
        }

        AnsiConsole.Write(table);
        if (status.Rebalance is { } job)
        {
            AnsiConsole.MarkupLineInterpolated($"Latest rebalance or drain: job {job.JobId} {job.State}, {job.MovesDone}/{job.MovesTotal} tasks done{(job.Error is null ? "" : $": {job.Error}")}");
        }
    }
}
