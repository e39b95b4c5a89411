using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Dialogs.Migrator;
using Dialogs.Tests.Infrastructure;
using Npgsql;

namespace Dialogs.Tests.Citus;

/// <summary>How the data lies on a real Citus cluster (1 coordinator + 2 workers); skipped where Citus is missing.</summary>
public sealed class DistributionTests(CitusCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Messages_are_hash_distributed_by_dialog_over_the_configured_shard_count_on_both_workers()
    {
        cluster.Require();

        var (column, shards, nodes) = await QuerySingleAsync("""
            SELECT column_to_column_name(p.logicalrelid, p.partkey),
                   (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid),
                   (SELECT count(DISTINCT nodeport) FROM citus_shards c WHERE c.table_name = p.logicalrelid)
            FROM pg_dist_partition p WHERE p.logicalrelid = 'messages'::regclass AND p.partmethod = 'h'
            """, r => (r.GetString(0), r.GetInt64(1), r.GetInt64(2)));

        Assert.Equal("dialog_id", column);
        Assert.Equal(CitusCluster.ShardCount, shards);
        Assert.Equal(2, nodes);
    }

    [Fact]
    public async Task All_messages_of_a_dialog_sit_on_one_shard()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var asAlice = cluster.Client(alice);
        using var asBob = cluster.Client(bob);
        for (var i = 0; i < 10; i++)
        {
            await (i % 2 == 0 ? asAlice.SendOk(bob, $"m{i}") : asBob.SendOk(alice, $"m{i}"));
        }

        var dialog = DialogKey.Between(Users.Id(alice), Users.Id(bob)).Value;
        // Count the dialog's rows in every shard, on the workers themselves.
        var perShard = await QueryAllAsync(
            $"SELECT shardid, result::int FROM run_command_on_shards('messages', $$SELECT count(*) FROM %s WHERE dialog_id = '{dialog}'$$)",
            r => (Shard: r.GetInt64(0), Rows: r.GetInt32(1)));

        var holding = Assert.Single(perShard, s => s.Rows > 0);
        Assert.Equal(10, holding.Rows);
        Assert.Equal(CitusCluster.ShardCount, perShard.Count);
    }

    public static TheoryData<string, string> HotPathStatements => new()
    {
        { "insert", MessageStore.InsertSql },
        { "find existing", MessageStore.FindExistingSql },
        { "older page", MessageStore.OlderPageSql },
        { "newer page", MessageStore.NewerPageSql },
    };

    [Theory]
    [MemberData(nameof(HotPathStatements))]
    public async Task Every_hot_path_statement_is_a_single_shard_router_query(string name, string sql)
    {
        cluster.Require();
        var (alice, bob) = (Users.Id(Users.New("alice")), Users.Id(Users.New("bob")));
        object?[] parameters = name == "insert"
            ? [DialogKey.Between(alice, bob).Value, Guid.CreateVersion7(), alice.Value, bob.Value, "x", DateTime.UtcNow, "key"]
            : name == "find existing"
                ? [DialogKey.Between(alice, bob).Value, Guid.CreateVersion7(), alice.Value, "key"]
                : [DialogKey.Between(alice, bob).Value, Guid.CreateVersion7(), 50];

        await using var connection = await cluster.DataSource.OpenConnectionAsync(Ct);
        await using var explain = new NpgsqlCommand($"EXPLAIN {sql}", connection);
        foreach (var value in parameters)
        {
            explain.Parameters.Add(new() { Value = value });
        }

        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                plan.Add(reader.GetString(0));
            }
        }

        Assert.Contains(plan, line => line.Contains("Custom Scan (Citus Adaptive)", StringComparison.Ordinal));
        Assert.Contains(plan, line => line.Trim() == "Task Count: 1");
    }

    [Fact]
    public async Task A_celebrity_talking_to_1000_peers_spreads_over_all_shards_and_both_workers()
    {
        var celebrity = Users.New("star");
        using var client = cluster.Client(celebrity);
        var peers = Enumerable.Range(0, 1000).Select(i => $"fan-{i}-{celebrity}").ToList();
        await Parallel.ForEachAsync(peers, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct },
            async (peer, _) => await client.SendOk(peer, "thanks for following"));

        var perWorker = await QueryAllAsync("""
            SELECT n.nodeport, count(*), count(DISTINCT p.shardid)
            FROM (SELECT DISTINCT dialog_id FROM messages WHERE sender_id = $1) d
            JOIN pg_dist_placement p ON p.shardid = get_shard_id_for_distribution_column('messages', d.dialog_id)
            JOIN pg_dist_node n ON n.groupid = p.groupid
            GROUP BY n.nodeport
            """, r => (Port: r.GetInt32(0), Dialogs: r.GetInt64(1), Shards: r.GetInt64(2)), celebrity);

        Assert.Equal(2, perWorker.Count);
        Assert.Equal(1000, perWorker.Sum(w => w.Dialogs));
        Assert.All(perWorker, w => Assert.InRange(w.Dialogs, 300, 700));
        Assert.Equal(CitusCluster.ShardCount, perWorker.Sum(w => w.Shards));
    }

    [Fact]
    public async Task The_migrator_run_again_on_the_cluster_changes_nothing()
    {
        cluster.Require();
        const string Snapshot = """
            SELECT (SELECT string_agg(nodename || ':' || nodeport || ':' || groupid, ',' ORDER BY nodeid) FROM pg_dist_node),
                   (SELECT string_agg(shardid::text, ',' ORDER BY shardid) FROM pg_dist_shard),
                   (SELECT string_agg(version || checksum || applied_at, ',' ORDER BY version) FROM schema_migrations)
            """;
        var before = await QuerySingleAsync(Snapshot, r => (r.GetString(0), r.GetString(1), r.GetString(2)));
        var errors = new StringWriter();

        var exitCode = await MigratorApp.RunAsync([.. cluster.Cluster.MigratorArguments, .. cluster.MigratorSettings], errors, Ct);

        Assert.Equal(MigratorApp.Succeeded, exitCode);
        Assert.Equal("", errors.ToString());
        Assert.Equal(before, await QuerySingleAsync(Snapshot, r => (r.GetString(0), r.GetString(1), r.GetString(2))));
    }


    private async Task<T> QuerySingleAsync<T>(string sql, Func<NpgsqlDataReader, T> read) =>
        Assert.Single(await QueryAllAsync(sql, read));

    private async Task<List<T>> QueryAllAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        cluster.Require();
        await using var command = cluster.DataSource.CreateCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new() { Value = value });
        }

        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            rows.Add(read(reader));
        }

        return rows;
    }
}
