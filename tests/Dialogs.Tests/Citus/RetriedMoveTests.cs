using Dialogs.LoadVerifier.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Citus;

/// <summary>
/// A move that fails while its job runs is retried by Citus, and the job stays "running": its status carries the
/// move's error meanwhile, so an operator sees why it does not progress. On a cluster of its own: it grows it.
/// </summary>
public sealed class RetriedMoveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_running_job_whose_move_failed_reports_the_error_Citus_retries_it_after()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 1, shardCount: 8, "the retried move test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        var admin = new AdminClient(api.Client(), api.Tokens);
        var worker = await nodes.Cluster.AddWorkerAsync();
        await admin.AddWorkerAsync(LocalNode.Host, worker.Port, Ct);
        var job = await admin.StartRebalanceAsync(Ct) ?? throw new InvalidOperationException("Citus found nothing to move onto the new worker.");

        // Behind the job's back, the target may no longer hold shards: its next moves fail, and Citus retries them.
        await nodes.Cluster.Coordinator.ExecuteAsync($"SELECT citus_set_node_property('{LocalNode.Host}', {worker.Port}, 'shouldhaveshards', false)");
        var status = job;
        await Eventually.UntilAsync(async () =>
        {
            status = await admin.GetRebalanceAsync(job.JobId, Ct);
            return status.Error is not null || status.IsOver;
        }, "the job to report a failed move or end", Ct, TimeSpan.FromMinutes(1));

        await nodes.Cluster.Coordinator.ExecuteAsync("SELECT citus_rebalance_stop()");
        Assert.Equal("running", status.State);
        Assert.Contains("shouldn't have a shard", status.Error);
    }
}
