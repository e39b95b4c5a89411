using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Api.Storage;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

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

    /// <summary>An API whose sessions the coordinator ends after 300 ms idle.</summary>
    private TestApi ApiWhoseIdleSessionsEnd(CapturedLogs? logs = null) =>
        new($"{cluster.ConnectionString};Options=-c idle_session_timeout=300", logs: logs);
}
