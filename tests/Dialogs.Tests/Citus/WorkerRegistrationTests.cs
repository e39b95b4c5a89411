using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Api;
using Dialogs.Tests.Infrastructure;
using Npgsql;

namespace Dialogs.Tests.Citus;

/// <summary>
/// A worker that could not take online shard moves, or that the coordinator cannot reach, is refused with a 422 that
/// says why, is never registered, and stays refused when asked again; the coordinator, or a worker under another name,
/// offered as a worker is a 422; draining or removing a node that is no worker is a 404, removing a worker that holds
/// shards is a 409, a drain whose job does not start (Citus refuses it, or its caller gives up) leaves the worker as it
/// was, and so does one of a worker that is down (a 503, as that may pass; the status gives its shards no size); two
/// drains of one worker at once leave it drained, and a drained worker added again takes shards again. On clusters of
/// their own, because a regression would change the topology other tests assert.
/// </summary>
public sealed class WorkerRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_worker_without_logical_wal_or_out_of_reach_is_refused_and_never_registered()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 1, shardCount: 4, "the worker registration test", Ct);
        // Citus asks TLS of the nodes it connects to, and a plain node (below) has none: allowed, so that the coordinator
        // gets as far as citus_add_node with it. Before the API opens its first connection, as a reload takes a moment.
        await nodes.Cluster.Coordinator.ExecuteAsync("ALTER SYSTEM SET citus.node_conninfo = 'sslmode=prefer'");
        await nodes.Cluster.Coordinator.ExecuteAsync("SELECT pg_reload_conf()");
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var admin = api.Client("operator", "admin");
        var replicaOnly = await nodes.Cluster.AddWorkerAsync();
        await replicaOnly.ApplySettingAsync("wal_level", "replica");
        var before = await NodeCountAsync(admin);

        foreach (var attempt in new[] { "first", "second" })
        {
            using var refused = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = replicaOnly.Port }, Ct);
            var body = await refused.Content.ReadAsStringAsync(Ct);

            Assert.True(body.Contains("wal_level=replica", StringComparison.Ordinal), $"{attempt} answer: {body}");
            Assert.Contains("every node needs wal_level=logical", body);
            await DialogsApiContract.AssertProblem(refused, 422);
        }

        using var unreachable = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = LocalNode.FreePorts(1)[0] }, Ct);
        var unreachableBody = await unreachable.Content.ReadAsStringAsync(Ct);
        Assert.Contains("cannot be reached", unreachableBody);
        // Nothing was learnt of its wal_level: no advice about it.
        Assert.DoesNotContain("wal_level", unreachableBody);
        await DialogsApiContract.AssertProblem(unreachable, 422);

        // A node with wal_level=logical, as the local nodes all have, but without the citus extension.
        await using (var plain = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0))
        {
            using var withoutCitus = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = plain.Cluster.Coordinator.Port }, Ct);
            var body = await withoutCitus.Content.ReadAsStringAsync(Ct);
            Assert.True(body.Contains("Citus could not add worker", StringComparison.Ordinal), body);
            await DialogsApiContract.AssertProblem(withoutCitus, 422);
        }

        Assert.Equal(before, await NodeCountAsync(admin));
    }

    [Fact]
    public async Task A_node_that_commits_asynchronously_is_refused_as_a_worker_and_no_job_moves_shards_while_a_worker_does()
    {
        // An online move may drop what its source acknowledged before writing it to its WAL (docs/resharding.md).
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 4, "the asynchronous commit test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var admin = api.Client("operator", "admin");
        var candidate = await nodes.Cluster.AddWorkerAsync();
        await candidate.ApplySettingAsync("synchronous_commit", "off");

        using var refusedWorker = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = candidate.Port }, Ct);
        var refusal = await refusedWorker.Content.ReadAsStringAsync(Ct);
        Assert.True(refusal.Contains($"worker {candidate.Address} has synchronous_commit=off", StringComparison.Ordinal), refusal);
        Assert.Contains("an online shard move can lose what a node acknowledged before writing it to its WAL", refusal);
        Assert.DoesNotContain("wal_level", refusal);
        await DialogsApiContract.AssertProblem(refusedWorker, 422);
        Assert.Equal(3, await NodeCountAsync(admin));

        // A registered worker tuned so since: neither a rebalance nor a drain, of it or of another worker, starts.
        var (drained, tuned) = (nodes.Cluster.Workers[0], nodes.Cluster.Workers[1]);
        await tuned.ApplySettingAsync("synchronous_commit", "off");
        foreach (var path in (string[])["/admin/cluster/rebalance", $"/admin/cluster/workers/{drained.Address}/drain", $"/admin/cluster/workers/{tuned.Address}/drain"])
        {
            using var refusedJob = await admin.PostAsync(path, null, Ct);
            var said = await refusedJob.Content.ReadAsStringAsync(Ct);
            Assert.True(said.Contains($"worker {tuned.Address} has synchronous_commit=off", StringComparison.Ordinal), $"{path}: {said}");
            await DialogsApiContract.AssertProblem(refusedJob, 409);
        }

        var status = await StatusAsync(admin);
        Assert.All(status.GetProperty("nodes").EnumerateArray().Where(node => !node.GetProperty("is_coordinator").GetBoolean()),
            worker => Assert.True(worker.GetProperty("should_have_shards").GetBoolean(), worker.ToString()));
        Assert.Equal(JsonValueKind.Null, status.GetProperty("rebalance").ValueKind);

        // Set right again, the same requests go through.
        await tuned.ApplySettingAsync("synchronous_commit", "on");
        await candidate.ApplySettingAsync("synchronous_commit", "on");
        using var added = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = candidate.Port }, Ct);
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        using var rebalanced = await admin.PostAsync("/admin/cluster/rebalance", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, rebalanced.StatusCode);
    }

    [Fact]
    public async Task A_worker_whose_registration_loses_its_session_is_a_503_that_says_it_may_have_been_made_in_part_not_a_422()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 1, shardCount: 4, "the ended registration test", Ct);
        var name = $"registration-{Guid.NewGuid():N}";
        await using var api = new TestApi($"{nodes.Cluster.Coordinator.ConnectionString()};Application Name={name}");
        using var admin = api.Client(Users.New("ops"), "admin");
        var worker = await nodes.Cluster.AddWorkerAsync();

        // Its checks read the node list; citus_add_node writes it, and waits behind this lock, where it is ended.
        await using var db = NpgsqlDataSource.Create(nodes.Cluster.Coordinator.ConnectionString());
        await using var holder = await db.OpenConnectionAsync(Ct);
        await using var hold = await holder.BeginTransactionAsync(Ct);
        await using (var lockNodes = new NpgsqlCommand("LOCK TABLE pg_dist_node IN EXCLUSIVE MODE", holder, hold))
        {
            await lockNodes.ExecuteNonQueryAsync(Ct);
        }

        var adding = admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = worker.Port }, Ct);
        await nodes.Cluster.Coordinator.EndWaitingSessionAsync(name, "citus_add_node to wait for the node list");

        using var added = await adding;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, added.StatusCode);
        Assert.Contains("may have been made in part, or not at all.", await added.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Nodes_that_are_no_new_worker_and_changes_Citus_refuses_are_answered_4xx_and_change_nothing()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 1, shardCount: 4, "the worker drain test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var admin = api.Client("operator", "admin");
        var (coordinator, worker) = (nodes.Cluster.Coordinator.Address, nodes.Cluster.Workers[0].Address);
        var unknown = $"{LocalNode.Host}:{LocalNode.FreePorts(1)[0]}";

        using var unknownDrained = await admin.PostAsync($"/admin/cluster/workers/{unknown}/drain", null, Ct);
        Assert.Contains($"No worker is registered at {unknown}; GET /admin/cluster lists the nodes.", await unknownDrained.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(unknownDrained, 404);
        await DialogsApiContract.AssertProblem(await admin.DeleteAsync($"/admin/cluster/workers/{unknown}", Ct), 404);
        await DialogsApiContract.AssertProblem(await admin.DeleteAsync($"/admin/cluster/workers/{coordinator}", Ct), 404);
        foreach (var host in (string[])[LocalNode.Host, "localhost"])
        {
            using var coordinatorAdded = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host, port = nodes.Cluster.Coordinator.Port }, Ct);
            var said = await coordinatorAdded.Content.ReadAsStringAsync(Ct);
            Assert.Contains($"{host}:{nodes.Cluster.Coordinator.Port} is the coordinator", said);
            Assert.Contains("; a worker is another PostgreSQL server.", said);
            await DialogsApiContract.AssertProblem(coordinatorAdded, 422);
        }

        using var workerRenamed = await admin.PostAsJsonAsync("/admin/cluster/workers",
            new { host = "localhost", port = nodes.Cluster.Workers[0].Port }, Ct);
        Assert.Contains($"is the PostgreSQL server registered as worker {worker}", await workerRenamed.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(workerRenamed, 422);

        // The only worker: no other node may hold shards, so the drain is refused.
        using var refused = await admin.PostAsync($"/admin/cluster/workers/{worker}/drain", null, Ct);
        Assert.Contains($"No other worker takes shards, so those of {worker} would have nowhere to go: add a worker first.",
            await refused.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(refused, 409);
        // Nor may it be removed while it holds them.
        using var kept = await admin.DeleteAsync($"/admin/cluster/workers/{worker}", Ct);
        Assert.Contains($"Worker {worker} still holds 4 shards: drain it first, and remove it once the drain's job has finished. To drain it: POST /admin/cluster/workers/{worker}/drain.",
            await kept.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(kept, 409);

        var nodesAfter = (await StatusAsync(admin)).GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(2, nodesAfter.Count);
        Assert.True(nodesAfter.Single(node => node.GetProperty("address").GetString() == worker).GetProperty("should_have_shards").GetBoolean());
        using var rebalance = await admin.PostAsync("/admin/cluster/rebalance", null, Ct);
        Assert.Equal(HttpStatusCode.OK, rebalance.StatusCode);
    }

    [Fact]
    public async Task A_drain_cancelled_before_its_job_starts_leaves_the_worker_taking_shards()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 4, "the cancelled drain test", Ct);
        await using var db = NpgsqlDataSource.Create(nodes.Cluster.Coordinator.ConnectionString());
        var operations = new ClusterOperations(db);
        var worker = nodes.Cluster.Workers[0].Address;

        // Another session holds Citus's job table, so the drain's job cannot start; the caller gives up meanwhile.
        await using var blocker = await db.OpenConnectionAsync(Ct);
        await using var hold = await blocker.BeginTransactionAsync(Ct);
        await using (var lockJobs = new NpgsqlCommand("LOCK TABLE pg_dist_background_job IN ACCESS EXCLUSIVE MODE", blocker, hold))
        {
            await lockJobs.ExecuteNonQueryAsync(Ct);
        }

        using var givingUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        givingUp.CancelAfter(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => operations.DrainWorkerAsync(NodeAddress.Parse(worker), givingUp.Token));
        await hold.RollbackAsync(Ct);

        var status = await operations.GetStatusAsync(Ct);
        Assert.True(status.Nodes.Single(node => node.Address == worker).ShouldHaveShards);
        Assert.Null(status.Rebalance);
    }

    [Fact]
    public async Task Two_drains_of_one_worker_at_once_leave_it_drained()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 4, "the concurrent drain test", Ct);
        await using var db = NpgsqlDataSource.Create(nodes.Cluster.Coordinator.ConnectionString());
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var admin = api.Client("operator", "admin");
        var worker = nodes.Cluster.Workers[0].Address;

        // Another session holds back writes to the node table, not reads of it, so both drains are under way before
        // either has marked the worker. Were they not to take turns, both would find it taking shards, and the one whose
        // job Citus refuses would undo the mark the other's job relies on.
        await using var blocker = await db.OpenConnectionAsync(Ct);
        await using var hold = await blocker.BeginTransactionAsync(Ct);
        await using (var lockNodes = new NpgsqlCommand("LOCK TABLE pg_dist_node IN EXCLUSIVE MODE", blocker, hold))
        {
            await lockNodes.ExecuteNonQueryAsync(Ct);
        }

        var drains = Enumerable.Range(0, 2).Select(_ => admin.PostAsync($"/admin/cluster/workers/{worker}/drain", null, Ct)).ToList();
        await Eventually.UntilAsync(async () => await nodes.Cluster.Coordinator.SessionsWaitingForALockAsync() == 2, "both drains to wait for a lock", Ct);
        await hold.RollbackAsync(Ct);
        var answers = await Task.WhenAll(drains);

        // One job started; Citus refused the other, as a rebalance was running.
        Assert.Equal([HttpStatusCode.Accepted, HttpStatusCode.Conflict], answers.Select(answer => answer.StatusCode).Order());
        var job = await JobIdAsync(answers.Single(answer => answer.StatusCode == HttpStatusCode.Accepted));
        var operations = new ClusterOperations(db);
        var ended = await operations.WaitForRebalanceAsync(job, progress: null, Ct);
        Assert.True(ended.Succeeded, $"the drain ended {ended.State}: {ended.Error}");
        var drained = (await operations.GetStatusAsync(Ct)).Nodes.Single(node => node.Address == worker);
        Assert.False(drained.ShouldHaveShards, "a drained worker was marked as taking shards again");
        Assert.Equal(0, drained.Shards);
    }

    [Fact]
    public async Task A_drained_worker_added_again_takes_shards_again()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 4, "the worker re-add test", Ct);
        await using var db = NpgsqlDataSource.Create(nodes.Cluster.Coordinator.ConnectionString());
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var admin = api.Client("operator", "admin");
        var operations = new ClusterOperations(db);
        var worker = nodes.Cluster.Workers[0];
        var drain = await operations.DrainWorkerAsync(NodeAddress.Parse(worker.Address), Ct) ?? throw new InvalidOperationException("nothing to drain");
        Assert.True((await operations.WaitForRebalanceAsync(drain, progress: null, Ct)).Succeeded);

        using var added = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = worker.Port }, Ct);
        using var rebalance = await admin.PostAsync("/admin/cluster/rebalance", null, Ct);

        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.True((await operations.GetStatusAsync(Ct)).Nodes.Single(node => node.Address == worker.Address).ShouldHaveShards);
        Assert.Equal(HttpStatusCode.Accepted, rebalance.StatusCode);
        var job = await JobIdAsync(rebalance);
        Assert.True((await operations.WaitForRebalanceAsync(job, progress: null, Ct)).Succeeded);
        Assert.NotEqual(0, (await operations.GetStatusAsync(Ct)).Nodes.Single(node => node.Address == worker.Address).Shards);
    }

    [Fact]
    public async Task Draining_a_worker_that_is_down_is_a_503_that_leaves_it_as_it_was()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 4, "the down worker drain test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var admin = api.Client("operator", "admin");
        var worker = nodes.Cluster.Workers[0];
        // The coordinator's sessions keep connections to the workers, as in service (the status asks every worker).
        await StatusAsync(admin);
        await worker.StopAsync();

        using var drain = await admin.PostAsync($"/admin/cluster/workers/{worker.Address}/drain", null, Ct);

        // Not Citus refusing the change (409): the cluster cannot be reached in full, which may pass.
        Assert.NotNull(drain.Headers.RetryAfter);
        var problem = await DialogsApiContract.AssertProblem(drain, 503);
        // A node out of reach, not the coordinator ending the session, pointing at the status, which names the worker.
        Assert.StartsWith("A node this change needs could not be reached. Retry later; GET /admin/cluster", problem.GetProperty("detail").GetString());
        // Meanwhile the status says it is not reachable, and gives its shards no size, rather than none: it could not be asked.
        var workers = await WorkersAsync(admin);
        Assert.False(workers[worker.Address].GetProperty("reachable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, workers[worker.Address].GetProperty("bytes").ValueKind);
        Assert.True(workers[nodes.Cluster.Workers[1].Address].GetProperty("reachable").GetBoolean());
        Assert.Equal(JsonValueKind.Number, workers[nodes.Cluster.Workers[1].Address].GetProperty("bytes").ValueKind);
        await worker.StartAsync();
        // The coordinator's first check right after the restart can still fail (seen once, in a CI run): reachable again
        // within a few seconds is as it was.
        await Eventually.UntilAsync(async () => (await WorkersAsync(admin))[worker.Address].GetProperty("reachable").GetBoolean(),
            "the restarted worker reachable", Ct);
        Assert.True((await WorkersAsync(admin))[worker.Address].GetProperty("should_have_shards").GetBoolean());
    }

    private static async Task<Dictionary<string, JsonElement>> WorkersAsync(HttpClient admin) =>
        (await StatusAsync(admin)).GetProperty("nodes").EnumerateArray()
            .Where(node => !node.GetProperty("is_coordinator").GetBoolean())
            .ToDictionary(node => node.GetProperty("address").GetString()!);

    /// <summary>The job a 202 from a rebalance or drain started.</summary>
    private static async Task<long> JobIdAsync(HttpResponseMessage accepted) =>
        JsonDocument.Parse(await accepted.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("job_id").GetInt64();

    private static async Task<int> NodeCountAsync(HttpClient admin) => (await StatusAsync(admin)).GetProperty("nodes").GetArrayLength();

    private static async Task<JsonElement> StatusAsync(HttpClient admin) =>
        JsonDocument.Parse(await admin.GetStringAsync("/admin/cluster", Ct)).RootElement;
}
