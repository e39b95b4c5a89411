using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dialogs.Cluster;
using Dialogs.LoadVerifier.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.Migrator;
using Dialogs.Tests.Api;
using Dialogs.Tests.Infrastructure;
using Npgsql;

namespace Dialogs.Tests.Citus;

/// <summary>
/// Citus runs one rebalance at a time, and the nodes stay as they are while it runs: a second rebalance, a drain, a
/// worker added or removed while one runs is the admin API's 409, not a 500, changes nothing, and the running job
/// still succeeds; a job cancelled leaves every message in place and the cluster open to changes. On clusters of
/// their own, because they grow the cluster and other tests assert the shared one's topology.
/// </summary>
public sealed class RebalanceConflictTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_change_requested_while_a_rebalance_runs_is_409_and_the_running_one_finishes()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the rebalance conflict test", Ct);
        await using var db = NpgsqlDataSource.Create(nodes.Cluster.Coordinator.ConnectionString());
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var http = api.Client("operator", "admin");
        var admin = new AdminClient(http, api.Tokens);
        var operations = new ClusterOperations(db);
        var worker = await nodes.Cluster.AddWorkerAsync();
        await admin.AddWorkerAsync(LocalNode.Host, worker.Port, Ct);

        var running = await admin.StartRebalanceAsync(Ct) ?? throw new InvalidOperationException("Citus found nothing to move onto the new worker.");
        // Each shard move sets up logical replication, so the job runs for seconds; these requests come milliseconds later.
        await AssertRefusedAsync(await http.PostAsync("/admin/cluster/rebalance", null, Ct), "start another once it is over");
        // A drain of the very worker the running job moves shards onto is refused too, and must leave it able to take
        // them: a mark left behind would fail the running job's moves. So must a removal: the job would keep retrying
        // its moves onto a node that no longer exists, and hold off every later change.
        await AssertRefusedAsync(await http.PostAsync($"/admin/cluster/workers/{worker.Address}/drain", null, Ct), $"drain {worker.Address} once it is over");
        await AssertRefusedAsync(await http.DeleteAsync($"/admin/cluster/workers/{worker.Address}", Ct), $"remove {worker.Address} once it is over");
        await AssertEndsSucceededAsync(running.JobId);
        var moved = Node(await operations.GetStatusAsync(Ct), worker.Address);
        Assert.True(moved is { ShouldHaveShards: true, Shards: > 0 }, $"the new worker ended as {moved}");

        // While it is drained, adding it again would have the next rebalance move its shards back; a worker that is new
        // waits for its turn as well. That one started first: starting a node takes seconds, time enough for the drain
        // to end (a full run failed so, its add accepted).
        var another = await nodes.Cluster.AddWorkerAsync();
        var drain = await operations.DrainWorkerAsync(NodeAddress.Parse(worker.Address), Ct) ?? throw new InvalidOperationException("nothing to drain");
        // Draining it again: under way already, not one to ask for once the job is over.
        using (var again = await http.PostAsync($"/admin/cluster/workers/{worker.Address}/drain", null, Ct))
        {
            Assert.Contains($"{worker.Address} is marked drained already, and that job moves away any shards it holds", await again.Content.ReadAsStringAsync(Ct));
            await DialogsApiContract.AssertProblem(again, (int)HttpStatusCode.Conflict);
        }

        await AssertRefusedAsync(await http.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = worker.Port }, Ct),
            $"add {worker.Address} again once it is over");
        await AssertRefusedAsync(await http.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = another.Port }, Ct),
            $"add {another.Address} once it is over");
        await AssertEndsSucceededAsync(drain);
        var status = await operations.GetStatusAsync(Ct);
        var drained = Node(status, worker.Address);
        Assert.True(drained is { ShouldHaveShards: false, Shards: 0 }, $"the drained worker ended as {drained}");
        Assert.DoesNotContain(status.Nodes, node => node.Address == another.Address);

        async Task AssertEndsSucceededAsync(long job)
        {
            // A job whose moves fail is retried by Citus with growing pauses and stays "running": a bounded wait.
            RebalanceStatus? ended = null;
            await Eventually.UntilAsync(async () => (ended = await admin.GetRebalanceAsync(job, Ct)).IsOver,
                $"job {job} to end (a move Citus keeps retrying leaves it running, its error in its status)", Ct, TimeSpan.FromMinutes(2));
            Assert.True(ended!.Succeeded, $"job {job} ended {ended.State}: {ended.Error}");
        }
    }

    [Fact]
    public async Task A_running_rebalance_cancelled_stops_keeping_every_message_and_the_cluster_takes_changes_again()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the rebalance cancel test", Ct);
        var connectionString = nodes.Cluster.Coordinator.ConnectionString();
        await using var api = new TestApi(connectionString);
        using var http = api.Client("operator", "admin");
        var admin = new AdminClient(http, api.Tokens);
        var alice = Users.New("alice");
        using var user = api.Client(alice);
        var peers = Enumerable.Range(0, 16).Select(_ => Users.New("bob")).ToList();
        foreach (var peer in peers)
        {
            await user.SendOk(peer, $"before the move, to {peer}");
        }

        var worker = await nodes.Cluster.AddWorkerAsync();
        await admin.AddWorkerAsync(LocalNode.Host, worker.Port, Ct);
        var running = await admin.StartRebalanceAsync(Ct) ?? throw new InvalidOperationException("Citus found nothing to move onto the new worker.");

        using (var cancel = await http.DeleteAsync($"/admin/cluster/rebalance/{running.JobId}", Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        }

        RebalanceStatus? ended = null;
        await Eventually.UntilAsync(async () => (ended = await admin.GetRebalanceAsync(running.JobId, Ct)).IsOver, $"job {running.JobId} to stop", Ct);
        Assert.Equal("cancelled", ended!.State);
        using (var again = await http.DeleteAsync($"/admin/cluster/rebalance/{running.JobId}", Ct))
        {
            Assert.Contains($"Job {running.JobId} is over already: it ended cancelled.", await again.Content.ReadAsStringAsync(Ct));
            await DialogsApiContract.AssertProblem(again, (int)HttpStatusCode.Conflict);
        }

        await DialogsApiContract.AssertProblem(await http.DeleteAsync($"/admin/cluster/rebalance/{running.JobId + 1000}", Ct), (int)HttpStatusCode.NotFound);
        var errors = new StringWriter();
        Assert.Equal(MigratorApp.Failed, await MigratorApp.RunAsync(
            ["cluster", "cancel", $"{running.JobId}", $"--ConnectionStrings:dialogs={connectionString}"], errors, Ct));
        Assert.Contains("is over already", errors.ToString());

        // Every shard is still placed once, on an active node, and every message is there; the next rebalance runs.
        var next = await admin.StartRebalanceAsync(Ct);
        if (next is not null)
        {
            await Eventually.UntilAsync(async () => (next = await admin.GetRebalanceAsync(next.JobId, Ct)).IsOver, $"job {next.JobId} to end", Ct,
                TimeSpan.FromMinutes(2));
            Assert.True(next.Succeeded, $"the rebalance after the cancelled one ended {next.State}: {next.Error}");
        }

        var status = await admin.GetClusterAsync(Ct);
        Assert.Equal(8, status.Nodes.Sum(node => node.Shards));
        Assert.All(status.Nodes.Where(node => node.Shards > 0), node => Assert.True(node.IsActive));
        foreach (var peer in peers)
        {
            Assert.Equal([$"before the move, to {peer}"], (await user.ListOk(peer)).Select(message => message.Text));
        }
    }

    /// <summary>A 409 naming the running job, with the advice of the change refused.</summary>
    private static async Task AssertRefusedAsync(HttpResponseMessage answer, string advice)
    {
        using (answer)
        {
            Assert.Matches($@"A rebalance is already running as job \d+: {Regex.Escape(advice)}\.", await answer.Content.ReadAsStringAsync(Ct));
            await DialogsApiContract.AssertProblem(answer, (int)HttpStatusCode.Conflict);
        }
    }

    private static NodeStatus? Node(ClusterStatus status, string address) => status.Nodes.SingleOrDefault(node => node.Address == address);
}
