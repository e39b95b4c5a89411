using System.Net;
using Dialogs.LoadVerifier.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Api;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Citus;

/// <summary>
/// Citus runs one rebalance at a time; a second request while one runs, or a drain, is the admin API's 409, not a 500,
/// and the running job still succeeds. On a cluster of its own, because it grows the cluster and other tests assert
/// the shared one's topology.
/// </summary>
public sealed class RebalanceConflictTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rebalance_requested_while_one_runs_is_409_and_the_running_one_finishes()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the rebalance conflict test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var http = api.Client();
        var admin = new AdminClient(http, api.Tokens);
        var worker = await nodes.Cluster.AddWorkerAsync();
        await admin.AddWorkerAsync(LocalNode.Host, worker.Port, Ct);

        var running = await admin.StartRebalanceAsync(Ct) ?? throw new InvalidOperationException("Citus found nothing to move onto the new worker.");
        // Each shard move sets up logical replication, so the job runs for seconds; this request comes milliseconds later.
        using var again = new HttpRequestMessage(HttpMethod.Post, "/admin/cluster/rebalance");
        again.Headers.Authorization = new("Bearer", api.Tokens.Create("operator", TimeSpan.FromMinutes(5), "admin"));
        using var conflict = await http.SendAsync(again, Ct);

        Assert.Contains("A rebalance is running", await conflict.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(conflict, (int)HttpStatusCode.Conflict);
        // A drain of the very worker the running job moves shards onto is refused too, and must leave it able to take
        // them: a mark left behind would fail the running job's moves.
        using var drain = new HttpRequestMessage(HttpMethod.Post, $"/admin/cluster/workers/{worker.Address}/drain");
        drain.Headers.Authorization = again.Headers.Authorization;
        await DialogsApiContract.AssertProblem(await http.SendAsync(drain, Ct), (int)HttpStatusCode.Conflict);
        // A job whose moves fail is retried by Citus with growing pauses and stays "running": a bounded wait.
        await Eventually.UntilAsync(async () =>
        {
            running = await admin.GetRebalanceAsync(running.JobId, Ct);
            return running.IsOver;
        }, $"job {running.JobId} to end (a move Citus keeps retrying leaves it running, its error in its status)", Ct,
            TimeSpan.FromMinutes(2));
        Assert.True(running.Succeeded, $"the running job ended {running.State}: {running.Error}");
    }
}
