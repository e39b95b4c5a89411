using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Local;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Api;
using Dialogs.Tests.Infrastructure;
using Npgsql;

namespace Dialogs.Tests.Citus;

/// <summary>
/// A worker that could not take online shard moves, or that the coordinator cannot reach, is refused with a 422 that
/// says why, is never registered, and stays refused when asked again. On a cluster of its own, because a regression
/// would register the node and other tests assert the shared cluster's topology.
/// </summary>
public sealed class WorkerRegistrationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_worker_without_logical_wal_or_out_of_reach_is_refused_and_never_registered()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 1, shardCount: 4, "the worker registration test", Ct);
        var tokens = DevTokens.CreateNew();
        await using var api = ApiFactory.Create(nodes.Cluster.Coordinator.ConnectionString(), tokens);
        using var admin = api.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", tokens.Create("operator", TimeSpan.FromMinutes(5), "admin"));
        var replicaOnly = await nodes.Cluster.AddWorkerAsync();
        await WithReplicaWalAsync(replicaOnly);
        var before = await NodeCountAsync(admin);

        foreach (var attempt in new[] { "first", "second" })
        {
            using var refused = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = replicaOnly.Port }, Ct);
            var body = await refused.Content.ReadAsStringAsync(Ct);

            Assert.True(body.Contains("wal_level=replica", StringComparison.Ordinal), $"{attempt} answer: {body}");
            await DialogsApiContract.AssertProblem(refused, 422);
        }

        using var unreachable = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = LocalNode.Host, port = LocalNode.FreePorts(1)[0] }, Ct);
        Assert.Contains("cannot be reached", await unreachable.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(unreachable, 422);

        Assert.Equal(before, await NodeCountAsync(admin));
    }

    private static async Task WithReplicaWalAsync(LocalNode node)
    {
        await using (var connection = new NpgsqlConnection(node.ConnectionString()))
        {
            await connection.OpenAsync(Ct);
            await using var alter = new NpgsqlCommand("ALTER SYSTEM SET wal_level = replica", connection);
            await alter.ExecuteNonQueryAsync(Ct);
        }

        // wal_level takes a restart.
        await node.StopAsync();
        await node.StartAsync();
    }

    private static async Task<int> NodeCountAsync(HttpClient admin) =>
        JsonDocument.Parse(await admin.GetStringAsync("/admin/cluster", Ct)).RootElement.GetProperty("nodes").GetArrayLength();
}
