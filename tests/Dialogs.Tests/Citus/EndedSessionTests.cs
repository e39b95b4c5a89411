using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Api.Storage;
using Dialogs.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dialogs.Tests.Citus;

/// <summary>
/// Pooled sessions the coordinator ended while they sat idle (its idle_session_timeout, shorter here than anything the
/// API waits) are no outage for what the API runs on its own or for an operator: another session answers.
/// </summary>
public sealed class EndedSessionTests(CitusCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_shard_maps_refresh_warns_of_nothing()
    {
        cluster.Require();
        var logs = new CapturedLogs();
        await using var api = ApiWhoseIdleSessionsEnd(logs);
        using var client = api.Client(Users.New("alice"));
        await client.SendOk(Users.New("bob"), "the pool has sessions");

        // Every refresh, two seconds apart, finds the session it takes from the pool ended.
        await Task.Delay(ShardPlacementRefresher.Interval * 4, Ct);

        Assert.Empty(logs.Of(nameof(ShardPlacementRefresher), LogLevel.Warning));
        Assert.Empty(logs.Of(nameof(ShardPlacementRefresher), LogLevel.Information));
    }

    [Fact]
    public async Task The_clusters_overview_is_read_on_another_session_and_finds_every_node_reachable()
    {
        cluster.Require();
        await using var api = ApiWhoseIdleSessionsEnd();
        using var admin = api.Client(Users.New("ops"), "admin");

        for (var poll = 0; poll < 3; poll++)
        {
            // The sessions of the warm-up, then of the poll before, ended meanwhile.
            await Task.Delay(TimeSpan.FromMilliseconds(700), Ct);
            using var overview = await admin.GetAsync("/admin/cluster", Ct);
            Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
            // An ended session met by a node's check is no node out of reach.
            var nodes = JsonDocument.Parse(await overview.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("nodes").EnumerateArray();
            Assert.All(nodes, node => Assert.True(node.GetProperty("reachable").GetBoolean() && node.GetProperty("bytes").ValueKind == JsonValueKind.Number,
                $"{node}"));
        }

        // HEAD is a read as well, read again as its GET.
        await Task.Delay(TimeSpan.FromMilliseconds(700), Ct);
        using var head = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/admin/cluster"), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task A_change_takes_its_turn_on_another_session()
    {
        cluster.Require();
        await using var api = ApiWhoseIdleSessionsEnd();
        using var admin = api.Client(Users.New("ops"), "admin");
        var worker = cluster.Cluster.Workers[0];

        // Registering a registered worker again changes nothing, and takes the change lock first like any change.
        await Task.Delay(TimeSpan.FromMilliseconds(700), Ct);
        using var again = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = worker.Port }, Ct);

        Assert.True(again.IsSuccessStatusCode, $"{again.StatusCode}: {await again.Content.ReadAsStringAsync(Ct)}");
    }

    [Fact]
    public async Task A_node_check_that_meets_an_ended_session_says_so_instead_of_calling_the_worker_out_of_reach()
    {
        cluster.Require();
        var name = $"node-check-{Guid.NewGuid():N}";
        await using var db = NpgsqlDataSource.Create($"{cluster.ConnectionString};Application Name={name};Maximum Pool Size=1");
        var operations = new ClusterOperations(db);
        var worker = NodeAddress.Parse(cluster.Cluster.Workers[0].Address);
        await using (await db.OpenConnectionAsync(Ct))
        {
        }

        // The pool's one session, idle, ended by an operator.
        await cluster.Cluster.Coordinator.ExecuteAsync($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '{name}'");

        // What the check met says nothing of the worker: it surfaces, for the caller to ask again on another session.
        var ended = await Assert.ThrowsAsync<PostgresException>(() => operations.ReachesAsync(worker, Ct));
        Assert.True(EndedSessions.Ended(ended), ended.SqlState);
        Assert.True(await operations.ReachesAsync(worker, Ct));
    }

    [Fact]
    public async Task A_change_whose_sessions_end_while_it_waits_its_turn_is_a_503_that_says_it_may_have_been_made_in_part_or_not_at_all()
    {
        cluster.Require();
        var name = $"change-{Guid.NewGuid():N}";
        await using var api = new TestApi($"{cluster.ConnectionString};Application Name={name}");
        using var admin = api.Client(Users.New("ops"), "admin");
        var worker = cluster.Cluster.Workers[0];

        // Another change holds the turn, so this one's session waits for it, and is ended there, twice.
        await using var other = await cluster.DataSource.OpenConnectionAsync(Ct);
        await using var turn = await other.BeginTransactionAsync(Ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({ClusterOperations.ChangeLockKey})", other, turn))
        {
            await take.ExecuteNonQueryAsync(Ct);
        }

        var change = admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = worker.Port }, Ct);
        var first = await cluster.Cluster.Coordinator.EndWaitingSessionAsync(name, "the change to wait for its turn");
        // The first is taken for a pooled session that had ended before the change began, and replaced.
        await cluster.Cluster.Coordinator.EndWaitingSessionAsync(name, "the change to wait for its turn again", butNot: first);

        using var response = await change;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        // Nothing ran, which the API cannot tell from a session ended midway.
        Assert.Contains("may have been made in part, or not at all.", problem.GetProperty("detail").GetString());
    }

    /// <summary>An API whose sessions the coordinator ends after 300 ms idle.</summary>
    private TestApi ApiWhoseIdleSessionsEnd(CapturedLogs? logs = null) =>
        new($"{cluster.ConnectionString};Options=-c idle_session_timeout=300", logs: logs);
}
