using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Storage;

/// <summary>
/// A ready API has its pool's first connections open, through to every node, so the first requests under load do not
/// each open their own at once. At times there is one more: the API's shard map may be loading over a connection of its
/// own meanwhile.
/// </summary>
public sealed class StoreWarmupTests(PlainPostgres plain, CitusCluster citus)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ready_on_PostgreSQL_means_the_pools_first_connections_are_open()
    {
        plain.Require();
        var name = NewName();
        await using var api = await ReadyApiAsync(plain, name);

        Assert.InRange((await BackendsAsync(plain, name)).Length, StorageSetup.WarmConnections, int.MaxValue);
    }

    [Fact]
    public async Task Ready_on_Citus_means_the_pools_first_connections_are_open_each_with_its_connection_to_every_worker()
    {
        citus.Require();
        var name = NewName();
        await using var api = await ReadyApiAsync(citus, name);
        var backends = await BackendsAsync(citus, name);

        Assert.InRange(backends.Length, StorageSetup.WarmConnections, int.MaxValue);
        foreach (var worker in citus.Cluster.Workers)
        {
            // A coordinator backend's connections to a worker name it by its global pid: node id × 10^10 + its pid.
            var reached = await worker.ExecuteAsync($"""
                SELECT count(DISTINCT split_part(application_name, '=', 2)::bigint % 10000000000)
                FROM pg_stat_activity
                WHERE application_name LIKE 'citus_internal gpid=%'
                  AND split_part(application_name, '=', 2)::bigint % 10000000000 IN ({string.Join(',', backends)})
                """);
            Assert.InRange((long)reached!, StorageSetup.WarmConnections, backends.Length);
        }
    }

    private static string NewName() => $"warm-{Guid.NewGuid():N}";

    /// <summary>An API whose connections carry <paramref name="name"/>, once it answers that it is ready.</summary>
    private static async Task<TestApi> ReadyApiAsync(Database database, string name)
    {
        var api = new TestApi($"{database.ConnectionString};Application Name={name}");
        try
        {
            using var anonymous = api.Client();
            using var health = await anonymous.GetAsync("/health", Ct);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            return api;
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }

    /// <summary>The pids of the coordinator's (or the single node's) backends serving the API named <paramref name="name"/>.</summary>
    private static async Task<int[]> BackendsAsync(Database database, string name)
    {
        var pids = (string)(await database.Cluster.Coordinator.ExecuteAsync(
            $"SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE application_name = '{name}'"))!;
        return [.. pids.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
    }
}
