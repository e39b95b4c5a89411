using System.Diagnostics;
using System.Net;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Dialogs.Tests.Api;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dialogs.Tests.Citus;

/// <summary>
/// The API takes requests only once it knows where each dialog lives, so its first requests name their worker (and a
/// fault there opens that worker's circuit, not the coordinator's); a coordinator that does not answer delays startup
/// by a bounded time, not forever. On a cluster of its own, because it locks Citus' placement table.
/// </summary>
public sealed class StartupShardMapTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_API_starts_serving_once_it_knows_each_dialogs_worker_and_at_the_latest_after_the_limit()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 1, shardCount: 4, "the startup shard map test", Ct);
        var coordinator = nodes.Cluster.Coordinator.ConnectionString();
        var worker = nodes.Cluster.Workers[0].Address;
        var dialog = Users.Dialog(Users.New(), Users.New());

        await using (var slow = new TestApi(coordinator))
        {
            var (took, known) = await StartWhilePlacementsAreLockedAsync(coordinator, slow, dialog, TimeSpan.FromSeconds(1));

            Assert.True(took >= TimeSpan.FromSeconds(0.9), $"the API started after {took.TotalMilliseconds:0} ms, before its shard map loaded");
            Assert.Equal(worker, known.Node);
        }

        await using var stuck = new TestApi(coordinator);
        var lockedFor = ShardPlacementRefresher.FirstLoadLimit * 3;
        var (tookStuck, knownStuck) = await StartWhilePlacementsAreLockedAsync(coordinator, stuck, dialog, lockedFor);

        // Gave up waiting at its limit: started well before the lock went, however slowly the host itself started.
        Assert.InRange(tookStuck, ShardPlacementRefresher.FirstLoadLimit * 0.9, lockedFor - TimeSpan.FromSeconds(2));
        var placements = stuck.Services.GetRequiredService<ShardPlacements>();
        Assert.Equal(placements.Server, knownStuck);
        Assert.Equal(worker, (await OnceKnownAsync(placements, dialog)).Node);
    }

    [Fact]
    public async Task An_API_started_ahead_of_the_migrator_answers_503_until_the_schema_is_there_then_names_each_dialogs_worker()
    {
        await using var nodes = await TemporaryCluster.StartUnmigratedCitusAsync(workers: 1, "the API-before-migrator test");
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        var (me, peer) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(me);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health", Ct)).StatusCode);
        foreach (var early in new[] { await client.Send(peer, "too early"), await client.List(peer) })
        {
            await DialogsApiContract.AssertProblem(early, (int)HttpStatusCode.ServiceUnavailable);
            Assert.NotNull(early.Headers.RetryAfter);
        }

        await nodes.Cluster.MigrateAsync(shardCount: 4, Ct);

        // Once the answer before it has stood its second (DatabaseHealthCheck.AnswerStands).
        await Eventually.UntilAsync(async () => (await client.GetAsync("/health", Ct)).StatusCode == HttpStatusCode.OK, "/health ready", Ct);
        await client.SendOk(peer, "once the schema is there");
        var known = await OnceKnownAsync(api.Services.GetRequiredService<ShardPlacements>(), Users.Dialog(me, peer));
        Assert.Equal(nodes.Cluster.Workers[0].Address, known.Node);
    }

    /// <summary>The dialog's placement once a refresh has loaded it.</summary>
    private static async Task<Placement> OnceKnownAsync(ShardPlacements placements, DialogKey dialog)
    {
        await Eventually.UntilAsync(() => Task.FromResult(placements.Find(dialog) != placements.Server),
            "the shard map to know the dialog's worker", Ct);
        return placements.Find(dialog);
    }

    /// <summary>
    /// Starts the API while a transaction holds Citus' placement table for <paramref name="hold"/>, so the shard map's
    /// query waits; returns how long the start took and what the started API knew about the dialog at that moment.
    /// </summary>
    private static async Task<(TimeSpan Took, Placement Known)> StartWhilePlacementsAreLockedAsync(
        string coordinator, TestApi api, DialogKey dialog, TimeSpan hold)
    {
        await using var connection = new NpgsqlConnection(coordinator);
        await connection.OpenAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE pg_dist_placement IN ACCESS EXCLUSIVE MODE", connection, transaction))
        {
            await lockTable.ExecuteNonQueryAsync(Ct);
        }

        var clock = Stopwatch.StartNew();
        var started = Task.Run(() =>
        {
            var placements = api.Services.GetRequiredService<ShardPlacements>();
            return (clock.Elapsed, placements.Find(dialog));
        }, Ct);
        await Task.WhenAny(started, Task.Delay(hold, Ct));
        await transaction.CommitAsync(Ct);
        return await started;
    }
}
