using Dialogs.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.LoadVerifier.Cluster;
using Dialogs.LoadVerifier.Harness;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Reporting;

namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>
/// Grows the cluster under load: a new worker node is started, registered (POST /admin/cluster/workers) and the shards
/// rebalanced onto it (POST /admin/cluster/rebalance, polled until the job is over) while the simulated users keep
/// sending and reading; then every dialog is read back. Passes when no request failed, every acknowledged message is
/// readable exactly once, the job finished and the new worker holds shards.
/// </summary>
public static class ReshardScenario
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    public static async Task<ReshardResult> RunAsync(VerifierTarget target, ReshardSettings settings, Action<string> progress, CancellationToken ct)
    {
        var session = new LoadSession(target, settings.Load, progress);
        var admin = new AdminClient(target.Api, target.Tokens);
        var coordinator = target.Cluster.Coordinator.ConnectionString();
        var placementBefore = await ShardMap.WorkerPortsAsync(coordinator, session.Population.Dialogs, ct);
        TimeSpan? operationStarted = null, operationEnded = null;
        RebalanceStatus? job = null;
        string? newWorker = null, operationError = null;

        var outcome = await session.RunAsync(async token =>
        {
            await session.WaitUntilAsync(settings.MoveAt, token);
            operationStarted = session.Timeline.Mark("starting a new worker node");
            try
            {
                var worker = await target.Cluster.AddWorkerAsync();
                newWorker = worker.Address;
                session.Timeline.Mark($"{worker.Name} runs at {worker.Address}; registering it (POST /admin/cluster/workers)");
                var added = await admin.AddWorkerAsync(LocalNode.Host, worker.Port, token);
                session.Timeline.Mark($"registered as node {added.NodeId}; starting the rebalance (POST /admin/cluster/rebalance)");
                job = await admin.StartRebalanceAsync(token);
                if (job is null)
                {
                    operationError = "the rebalance found nothing to move";
                }
                else
                {
                    job = await WaitForJobAsync(admin, job, session, settings.RebalanceTimeout, token);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
            {
                operationError = e.Message;
                session.Timeline.Mark($"the operation failed: {e.Message}");
            }

            operationEnded = session.Timeline.Mark(job is null ? "operation over" : $"rebalance job {job.JobId} is {job.State}");
            var end = session.Clock.Now + settings.MinimumAfter;
            await session.WaitUntilAsync(settings.Duration, token);
            var remaining = end - session.Clock.Now;
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining, token);
            }
        }, ct);

        var placementAfter = await ShardMap.WorkerPortsAsync(coordinator, session.Population.Dialogs, ct);
        var nodes = (await admin.GetClusterAsync(ct)).Nodes;
        var (moveFrom, moveTo) = (operationStarted ?? outcome.Stopped, operationEnded ?? outcome.Stopped);
        var summary = LoadSummary.Of(outcome, outcome.Phases(moveFrom, moveTo, "during", "after"), settings.Load.Rate);
        var moved = session.Population.Dialogs.Where(d => placementBefore[d.Index] != placementAfter[d.Index])
            .Select(d => d.Index).ToHashSet();
        var newWorkerShards = nodes.FirstOrDefault(n => n.Address == newWorker)?.Shards ?? 0;
        return new ReshardResult(summary, session.Timeline.Events, job, newWorker, nodes,
            session.Population.Dialogs.Count, moved.Count,
            SlowestSend(outcome.Sends.Where(s => s.Scheduled >= outcome.WarmedUp && moved.Contains(s.Dialog))),
            SlowestSend(outcome.Sends.Where(s => s.Scheduled >= outcome.WarmedUp && !moved.Contains(s.Dialog))),
            Checks(summary, job, operationError, newWorker, newWorkerShards,
                dialog => $"node :{placementBefore[dialog]} -> :{placementAfter[dialog]}"),
            session.Log, session.Population, placementBefore);
    }

    private static async Task<RebalanceStatus> WaitForJobAsync(AdminClient admin, RebalanceStatus job, LoadSession session, TimeSpan timeout,
        CancellationToken ct)
    {
        session.Timeline.Mark($"rebalance job {job.JobId} {job.State}: {job.MovesTotal} tasks");
        var deadline = session.Clock.Now + timeout;
        var (state, done) = (job.State, job.MovesDone);
        while (!job.IsOver && session.Clock.Now < deadline)
        {
            await Task.Delay(PollInterval, ct);
            job = await admin.GetRebalanceAsync(job.JobId, ct);
            if (job.State != state || job.MovesDone != done)
            {
                (state, done) = (job.State, job.MovesDone);
                var moving = string.Join(", ", job.Moving.Select(m => $"shard {m.ShardId} {m.Source} -> {m.Target} {m.Status}"));
                session.Timeline.Mark($"job {job.State}, {job.MovesDone}/{job.MovesTotal} tasks done; {session.InFlight} operations in flight"
                    + (moving.Length > 0 ? $"; moving {moving}" : ""));
            }
        }

        return job;
    }

    private static TimeSpan SlowestSend(IEnumerable<SendRecord> sends) =>
        sends.Where(s => s.Acknowledged).Select(s => s.Latency).DefaultIfEmpty().Max();

    private static List<Check> Checks(LoadSummary summary, RebalanceStatus? job, string? operationError, string? newWorker, int newWorkerShards,
        Func<int, string> placement)
    {
        var delivery = summary.Delivery;
        return
        [
            new("rebalance finished", operationError is null && job is { Succeeded: true },
                operationError ?? (job is null ? "no job" : $"job {job.JobId} {job.State}{(job.Error is null ? "" : $": {job.Error}")}")),
            new("new worker holds shards", newWorkerShards > 0, $"{newWorker ?? "no new worker"} holds {newWorkerShards} shards"),
            new("no failed request", summary.Failures == 0,
                $"{summary.Failures} of {summary.Requests} requests failed"
                + string.Concat(summary.FailuresByStatus.Select(f => $"; {f.Value} x {f.Key}"))),
            .. DeliveryChecks.Of(delivery, placement),
        ];
    }
}
