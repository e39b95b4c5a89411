using Dialogs.Cluster;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dialogs.Migrator;

/// <summary>
/// Turns a coordinator into the cluster of the configuration: every node checked for what online shard moves need
/// (<see cref="ClusterOperations.RequireOnlineMovesAsync"/>), coordinator host set, workers registered (each checked
/// the same way), then the tables distributed.
/// </summary>
public sealed partial class CitusTopology(CitusOptions options, ClusterOperations cluster, ILogger<CitusTopology> logger)
{
    /// <summary>Each distributed table and its distribution column.</summary>
    public static readonly IReadOnlyList<(string Table, string Column)> DistributedTables = [("messages", "dialog_id")];

    /// <summary>Citus counts when its extension can be created and the server preloads its library.</summary>
    public static async Task<bool> IsAvailableAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var probe = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'citus')
               AND 'citus' = ANY (string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
            """, connection);
        return (bool)(await probe.ExecuteScalarAsync(ct))!;
    }

    public Task PrepareNodesAsync(NpgsqlConnection connection, CancellationToken ct) =>
        MigratorTelemetry.StepAsync("register citus nodes", async () =>
        {
            await ExecuteAsync(connection, "CREATE EXTENSION IF NOT EXISTS citus", ct);
            // Before anything changes: the coordinator, and the workers registered by an earlier run.
            await cluster.RequireOnlineMovesAsync(ct);

            if (options.CoordinatorHost is { } coordinator)
            {
                await ExecuteAsync(connection, "SELECT citus_set_coordinator_host($1, $2)", ct, coordinator.Host, coordinator.Port);
            }

            foreach (var worker in options.Workers)
            {
                var registered = await cluster.RegisterWorkerAsync(worker, ct);
                if (registered.TakesShards)
                {
                    LogWorkerRegistered(logger, worker.ToString(), registered.NodeId);
                }
                else
                {
                    LogWorkerDrained(logger, worker.ToString(), registered.NodeId);
                }
            }
        });

    public Task DistributeTablesAsync(NpgsqlConnection connection, CancellationToken ct) =>
        MigratorTelemetry.StepAsync("distribute tables", async () =>
        {
            foreach (var (table, column) in DistributedTables)
            {
                await using var current = new NpgsqlCommand(
                    "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = $1::regclass", connection);
                current.Parameters.Add(new() { Value = table });
                var shards = (long)(await current.ExecuteScalarAsync(ct))!;
                if (shards == 0)
                {
                    await ExecuteAsync(connection,
                        "SELECT create_distributed_table($1::regclass, $2, shard_count => $3, colocate_with => 'none')",
                        ct, table, column, options.ShardCount);
                    LogDistributed(logger, table, column, options.ShardCount);
                }
                else if (shards != options.ShardCount)
                {
                    LogShardCountKept(logger, table, shards, options.ShardCount);
                }
            }
        });

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }

        await command.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Citus worker {Worker} is registered as node {NodeId}")]
    private static partial void LogWorkerRegistered(ILogger logger, string worker, int nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Citus worker {Worker} is registered as node {NodeId}, drained: it "
        + "stays so, taking no shards, until an operator adds it again")]
    private static partial void LogWorkerDrained(ILogger logger, string worker, int nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Distributed {Table} by {Column} over {ShardCount} shards")]
    private static partial void LogDistributed(ILogger logger, string table, string column, int shardCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Table} already has {Shards} shards; Citus:ShardCount={Configured} "
        + "applies only when a table is first distributed (alter_distributed_table changes it)")]
    private static partial void LogShardCountKept(ILogger logger, string table, long shards, int configured);
}
