using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Api.Http;
using Dialogs.Api.Storage;
using Dialogs.Api.Telemetry;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Api;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dialogs.Tests.Citus;

/// <summary>
/// A worker that is down or hung costs its own dialogs a 503, soon, and nothing else: once one request has found it
/// unreachable, the others for it are refused without waiting, the other worker's dialogs are served, and its dialogs
/// are served again soon after it is back. Each on a cluster of its own, because it breaks a worker.
/// </summary>
public sealed class WorkerDownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public Task A_stopped_worker_s_dialogs_get_a_quick_503_and_the_others_are_served() =>
        OnlyTheBrokenWorkersDialogsFailAsync(
            "the worker-down test",
            breakWorker: async worker =>
            {
                await worker.StopAsync();
                return worker.StartAsync;
            },
            // Its connections closed: Citus finds it unreachable at once, and the request retries for its second.
            firstFailure: (store, _) => Assert.NotEmpty(store.Retries));

    [Fact]
    public Task A_hung_worker_s_dialogs_get_a_503_within_the_statement_timeout_and_the_others_are_served() =>
        OnlyTheBrokenWorkersDialogsFailAsync(
            "the hung-worker test",
            // Every process of the server stopped, its connections left open: nothing refuses, nothing answers.
            breakWorker: worker =>
            {
                var suspended = SuspendedNode.Suspend(worker);
                return Task.FromResult<Func<Task>>(() =>
                {
                    suspended.Dispose();
                    return Task.CompletedTask;
                });
            },
            // Npgsql's default would have held the request 30 s; the store's statements give up after 5 s, their
            // cancellation is sent without waiting for its answer, and the coordinator is asked whether it answers and reaches the worker.
            firstFailure: (_, took) => Assert.InRange(took, TimeSpan.FromSeconds(MessageStore.StatementTimeoutSeconds * 0.9),
                TimeSpan.FromSeconds(MessageStore.StatementTimeoutSeconds + 4)));

    [Fact]
    public async Task A_send_a_hung_worker_may_store_yet_is_answered_as_such_and_a_retry_with_its_key_stores_it_once()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the unknown-outcome test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        var me = Users.New("alice");
        using var client = api.Client(me);
        var hung = nodes.Cluster.Workers[0];
        var (onHung, _) = PeersByWorker(api.Services.GetRequiredService<ShardPlacements>(), me, hung.Address, nodes.Cluster.Workers[1].Address);
        await client.SendOk(onHung[0], "before");
        var key = Guid.NewGuid().ToString();
        const string text = "sent while its worker hangs";

        using (SuspendedNode.Suspend(hung))
        {
            // The worker holds the insert it was sent and will commit it when it runs again: nobody can say yet.
            using var unanswered = await client.Send(onHung[0], text, key);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unanswered.StatusCode);
            Assert.Equal(DatabaseUnavailableHandler.UnknownOutcome, await OutcomeAsync(unanswered));

            // Refused without trying: certainly not stored, and not said to be in doubt.
            using var refused = await client.Send(onHung[1], "refused at once");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Null(await OutcomeAsync(refused));
        }

        await Eventually.UntilAsync(async () =>
        {
            using var retried = await client.Send(onHung[0], text, key);
            return retried.StatusCode == HttpStatusCode.OK;
        }, "the retry with the key to be answered", Ct);
        Assert.Single(await client.ListOk(onHung[0]), message => message.Text == text);
    }

    [Fact]
    public async Task A_shard_locked_past_the_statement_timeout_fails_its_own_dialogs_and_no_other_of_its_worker()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the locked-shard test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        var me = Users.New("alice");
        using var client = api.Client(me);
        var worker = nodes.Cluster.Workers[0];
        var placements = api.Services.GetRequiredService<ShardPlacements>();
        var onLocked = Users.PeerOn(placements, me, worker.Address);
        var locked = placements.Find(Users.Dialog(me, onLocked)).ShardId;
        var sameWorker = Enumerable.Range(0, 200).Select(_ => Users.PeerOn(placements, me, worker.Address))
            .First(peer => placements.Find(Users.Dialog(me, peer)).ShardId != locked);
        await client.SendOk(onLocked, "before");
        await client.SendOk(sameWorker, "before");

        await using (await ShardLock.TakeAsync(worker, locked!.Value, Ct))
        {
            using (var waited = await client.Send(onLocked, "waits on the lock"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, waited.StatusCode);
            }

            // The worker answers: its other dialogs are served, not refused by the circuit.
            await client.SendOk(sameWorker, "served beside the locked shard");
            Assert.Equal(2, (await client.ListOk(sameWorker)).Count);
        }

        await client.SendOk(onLocked, "after the lock");
    }

    [Fact]
    public async Task Requests_piling_up_on_a_locked_shard_hold_a_quarter_of_the_pool_and_the_rest_serves_the_other_shards()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the shard-bulkhead test", Ct);
        // A pool of 8 connections: a shard's share is 2.
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString() + ";Maximum Pool Size=8");
        var me = Users.New("alice");
        using var client = api.Client(me);
        var placements = api.Services.GetRequiredService<ShardPlacements>();
        var (onLocked, elsewhere) = (Users.PeerOn(placements, me, nodes.Cluster.Workers[0].Address), Users.PeerOn(placements, me, nodes.Cluster.Workers[1].Address));
        await client.SendOk(onLocked, "before");
        await client.SendOk(elsewhere, "before");
        // A burst on a shard that answers gets its turns in milliseconds: nothing refused.
        foreach (var response in await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => client.List(onLocked))))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        await using (var shardLock = await ShardLock.TakeAsync(nodes.Cluster.Workers[0], placements.Find(Users.Dialog(me, onLocked)).ShardId!.Value, Ct))
        {
            var piling = Enumerable.Range(0, 12).Select(_ => client.List(onLocked)).ToList();
            await Eventually.UntilAsync(async () => await shardLock.WaitersAsync(Ct) >= 2, "statements waiting on the lock", Ct);
            await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);

            // The shard's share waits on the lock, the rest for a turn, holding no connection: without the bulkhead
            // all 8 would wait on the lock, and this request would wait for a connection until it gave up.
            Assert.Equal(2, await shardLock.WaitersAsync(Ct));
            Assert.Single(await client.ListOk(elsewhere));

            var details = new List<string>();
            foreach (var response in await Task.WhenAll(piling))
            {
                Assert.NotNull(response.Headers.RetryAfter);
                details.Add((await DialogsApiContract.AssertProblem(response, 503)).GetProperty("detail").GetString()!);
            }

            // The two at the lock ran out of time; the others say whose requests were the crowd, and that they were not
            // tried. The two that held the dialog's turns waited for the shard's; of the rest, those a turn at the dialog
            // freed up just before their time ran out got no turn at the shard either, so the kinds' counts vary.
            var (timedOut, refused) = (details.Where(IsTimeout).ToList(), details.Where(detail => !IsTimeout(detail)).ToList());
            Assert.Equal(2, timedOut.Count);
            Assert.InRange(refused.Count(detail => detail.StartsWith("The database shard that holds this dialog was busy", StringComparison.Ordinal)), 2, 10);
            Assert.All(refused, detail => Assert.Matches(
                "^(This dialog already had (4 requests|3 sends) in progress|The database shard that holds this dialog was busy with other requests), "
                + @"and this request got no turn within 2 s\. It was not tried, so nothing was stored\. Retry later\.$", detail));
        }

        Assert.Single(await client.ListOk(onLocked));

        static bool IsTimeout(string detail) => detail.StartsWith("The database is temporarily unavailable", StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cluster_status_answers_soon_while_a_worker_hangs_and_names_it_unreachable()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the status-while-hung test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var admin = api.Client(Users.New("ops"), "admin");
        // Sized once, so the coordinator holds connections to both workers, as it does in service.
        Assert.All(await NodesAsync(admin), node =>
        {
            Assert.NotEqual(JsonValueKind.Null, node.GetProperty("bytes").ValueKind);
            Assert.True(node.GetProperty("reachable").GetBoolean());
        });

        using (SuspendedNode.Suspend(nodes.Cluster.Workers[0]))
        {
            var started = Stopwatch.GetTimestamp();
            var status = await NodesAsync(admin);

            Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(8));
            Assert.Equal(3, status.Count);
            var hung = nodes.Cluster.Workers[0].Address;
            Assert.Equal(JsonValueKind.Null, status.Single(node => node.GetProperty("address").GetString() == hung).GetProperty("bytes").ValueKind);
            // The operator is told which node it is.
            Assert.All(status, node => Assert.Equal(node.GetProperty("address").GetString() != hung, node.GetProperty("reachable").GetBoolean()));
        }
    }

    private static async Task<List<JsonElement>> NodesAsync(HttpClient admin) =>
        (await admin.GetFromJsonAsync<JsonElement>("/admin/cluster", Ct)).GetProperty("nodes").EnumerateArray().ToList();

    private static async Task<string?> OutcomeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).TryGetProperty(DatabaseUnavailableHandler.OutcomeMember, out var outcome)
            ? outcome.GetString()
            : null;

    /// <summary>
    /// A worker broken one way or another costs its dialogs a 503 (<paramref name="firstFailure"/> checks the first
    /// one), the next ones at once, and nothing to the other worker's dialogs; repaired (by what
    /// <paramref name="breakWorker"/> returns), it serves again.
    /// </summary>
    private static async Task OnlyTheBrokenWorkersDialogsFailAsync(string what, Func<LocalNode, Task<Func<Task>>> breakWorker,
        Action<StoreErrors, TimeSpan> firstFailure)
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, what, Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        var me = Users.New("alice");
        using var client = api.Client(me);
        var broken = nodes.Cluster.Workers[0];
        var (onBroken, onLive) = PeersByWorker(api.Services.GetRequiredService<ShardPlacements>(), me, broken.Address, nodes.Cluster.Workers[1].Address);
        using var store = new StoreErrors(api.Services.GetRequiredService<IMeterFactory>());
        // The coordinator now keeps a connection to the worker, as it does in service.
        await client.SendOk(onBroken[0], "before");

        var repair = await breakWorker(broken);
        try
        {
            var started = Stopwatch.GetTimestamp();
            using var first = await client.Send(onBroken[0], "the first finds the worker broken");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
            firstFailure(store, Stopwatch.GetElapsedTime(started));

            // Refused without trying: no retry, so no wait (without the circuit each spends its second of retries).
            // Nor are they timed: the worker's latency in /admin/cluster is what it took when tried, not a refusal's 0 ms.
            store.Clear();
            var latency = api.Services.GetRequiredService<WorkerLatency>();
            var timedBefore = OperationsOn(latency, broken.Address);
            foreach (var peer in onBroken.Skip(1))
            {
                using var refused = await client.Send(peer, "refused without waiting");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.Equal(WorkerCircuit.OpenFor, refused.Headers.RetryAfter?.Delta);
            }

            Assert.Empty(store.Retries);
            Assert.Equal(Enumerable.Repeat(nameof(WorkerUnavailableException), onBroken.Count - 1), store.Failures);
            Assert.Equal(timedBefore, OperationsOn(latency, broken.Address));

            await client.SendOk(onLive, "the live worker serves");
        }
        finally
        {
            await repair();
        }

        // Back after the circuit's pause, by the first request that tries.
        await Eventually.UntilAsync(async () =>
        {
            using var response = await client.Send(onBroken[0], "back");
            return response.StatusCode == HttpStatusCode.OK;
        }, "the repaired worker's dialogs to be served again", Ct);
    }

    private static long OperationsOn(WorkerLatency latency, string worker) =>
        latency.LastMinute().SingleOrDefault(summary => summary.Worker == worker)?.Operations ?? 0;

    /// <summary>Three peers whose dialog with <paramref name="me"/> lies on the worker to break, and one on the other worker.</summary>
    private static (List<string> OnDown, string OnLive) PeersByWorker(ShardPlacements placements, string me, string downWorker, string liveWorker) =>
        ([.. Enumerable.Range(0, 3).Select(_ => Users.PeerOn(placements, me, downWorker))], Users.PeerOn(placements, me, liveWorker));

    /// <summary>The error types of the store's retries and failures (its metrics), in the API under test only.</summary>
    private sealed class StoreErrors : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<string> _retries = new();
        private readonly ConcurrentQueue<string> _failures = new();

        public StoreErrors(IMeterFactory apiMeters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == apiMeters && instrument.Name is "dialogs.db.retries" or "dialogs.db.failures")
                {
                    listener.EnableMeasurementEvents(instrument, instrument.Name == "dialogs.db.retries" ? _retries : _failures);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, queue) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == StoreTelemetry.ErrorTag)
                    {
                        ((ConcurrentQueue<string>)queue!).Enqueue((string)tag.Value!);
                    }
                }
            });
            _listener.Start();
        }

        public IReadOnlyList<string> Retries => [.. _retries];
        public IReadOnlyList<string> Failures => [.. _failures];

        public void Clear()
        {
            _retries.Clear();
            _failures.Clear();
        }

        public void Dispose() => _listener.Dispose();
    }
}
