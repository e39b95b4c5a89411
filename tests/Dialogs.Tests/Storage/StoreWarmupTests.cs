using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

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

        Assert.InRange((await BackendsAsync(plain.Cluster.Coordinator, name)).Length, StorageSetup.WarmConnections, int.MaxValue);
    }

    [Theory]
    [InlineData("Minimum Pool Size=0", 0)]
    [InlineData("MinPoolSize=3", 3)]
    public async Task A_connection_strings_own_pool_minimum_is_what_is_warmed_0_too(string setting, int warmed)
    {
        plain.Require();
        var name = NewName();
        await using var api = await ReadyApiAsync(plain, name, setting);

        // Up to two more: the readiness query's and the shard map's connections, which the pool keeps a while.
        Assert.InRange((await BackendsAsync(plain.Cluster.Coordinator, name)).Length, warmed, warmed + 2);
    }

    [Fact]
    public async Task A_warm_up_that_cannot_open_every_connection_leaves_the_API_ready_and_logs_why()
    {
        plain.Require();
        // Fewer connections than the pool's minimum, as on a coordinator near its max_connections.
        await using var role = await TemporaryRole.CreateAsync(plain.Cluster.Coordinator,
            $"CONNECTION LIMIT {StorageSetup.WarmConnections / 2}", $"SELECT ON {MessageStore.Table}");
        Assert.Contains("too many connections", await WarningOfReadyApiAsync(role));
    }

    [Fact]
    public async Task A_warm_up_the_database_refuses_leaves_the_API_ready_and_logs_why()
    {
        plain.Require();
        // Its role may insert and not read: the warm-up's reads are refused (42501), as the requests' reads will be.
        await using var role = await TemporaryRole.CreateAsync(plain.Cluster.Coordinator, privileges: $"INSERT ON {MessageStore.Table}");
        Assert.Contains("permission denied", await WarningOfReadyApiAsync(role));
    }

    [Fact]
    public async Task A_shard_map_that_cannot_be_read_is_the_callers_error_not_ready_and_the_next_call_reads_it_again()
    {
        plain.Require();
        var coordinator = plain.Cluster.Coordinator;
        var name = $"unmapped_{Guid.NewGuid():N}";
        await using var db = NpgsqlDataSource.Create($"{coordinator.ConnectionString(name)};Pooling=false");
        var warmup = new StoreWarmup(db, new ShardPlacements(db), NullLogger<StoreWarmup>.Instance);

        // The database is not there yet: whether the table is distributed cannot be known.
        await Assert.ThrowsAsync<PostgresException>(warmup.WarmAsync);

        await coordinator.ExecuteAsync($"CREATE DATABASE {name}");
        try
        {
            // Read this time, and no table in it yet: not ready, rather than the first attempt's answer kept.
            Assert.False(await warmup.WarmAsync());
        }
        finally
        {
            await coordinator.ExecuteAsync($"DROP DATABASE {name} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task Ready_on_Citus_means_the_pools_first_connections_are_open_each_with_its_connection_to_every_worker()
    {
        citus.Require();
        var name = NewName();
        await using var api = await ReadyApiAsync(citus, name);

        await AssertWarmThroughEveryWorkerAsync(citus.Cluster, name);
    }

    [Fact]
    public async Task On_Citus_an_API_is_ready_once_the_table_is_distributed_and_then_warm_through_to_every_worker()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the warm-up's wait for the distributed table", Ct);
        var coordinator = nodes.Cluster.Coordinator;
        // As between the migrator's migrations and its distribution of the table, where a first deployment's API may start.
        await coordinator.ExecuteAsync($"SELECT undistribute_table('{MessageStore.Table}')");
        var name = NewName();
        await using var api = new TestApi($"{coordinator.ConnectionString()};Application Name={name}");
        using var anonymous = api.Client();
        using (var early = await anonymous.GetAsync("/health", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        }

        await coordinator.ExecuteAsync($"SELECT create_distributed_table('{MessageStore.Table}', 'dialog_id', shard_count => 8, colocate_with => 'none')");
        await Eventually.UntilAsync(async () =>
        {
            using var health = await anonymous.GetAsync("/health", Ct);
            return health.StatusCode == HttpStatusCode.OK;
        }, "the API to be ready", Ct);

        await AssertWarmThroughEveryWorkerAsync(nodes.Cluster, name);
    }

    private static string NewName() => $"warm-{Guid.NewGuid():N}";

    /// <summary>The one warning the warm-up logged in an API signed in as <paramref name="role"/>, which answered that it is ready.</summary>
    private async Task<string> WarningOfReadyApiAsync(TemporaryRole role)
    {
        var logs = new CapturedLogs();
        await using (var api = new TestApi($"{plain.ConnectionString};Username={role.Name}", logs: logs))
        {
            using var anonymous = api.Client();
            using var health = await anonymous.GetAsync("/health", Ct);
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        return Assert.Single(logs.Of(nameof(StoreWarmup), LogLevel.Warning));
    }

    /// <summary>An API whose connections carry <paramref name="name"/>, once it answers that it is ready.</summary>
    private static async Task<TestApi> ReadyApiAsync(Database database, string name, string settings = "")
    {
        var api = new TestApi($"{database.ConnectionString};Application Name={name};{settings}");
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

    /// <summary>The API named <paramref name="name"/> holds its warm connections, and each has reached every worker.</summary>
    private static async Task AssertWarmThroughEveryWorkerAsync(LocalCluster cluster, string name)
    {
        var backends = await BackendsAsync(cluster.Coordinator, name);
        Assert.InRange(backends.Length, StorageSetup.WarmConnections, int.MaxValue);
        foreach (var worker in cluster.Workers)
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

    /// <summary>The pids of the backends of <paramref name="node"/> serving the API named <paramref name="name"/>.</summary>
    private static async Task<int[]> BackendsAsync(LocalNode node, string name)
    {
        var pids = (string)(await node.ExecuteAsync(
            $"SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity WHERE application_name = '{name}'"))!;
        return [.. pids.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
    }
}
