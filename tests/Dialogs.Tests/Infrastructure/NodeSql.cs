using Dialogs.Local.Cluster;
using Npgsql;

namespace Dialogs.Tests.Infrastructure;

/// <summary>Statements a test runs on one node directly, as its operator would with psql.</summary>
public static class NodeSql
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <returns>The first column of the first row, if any.</returns>
    public static async Task<object?> ExecuteAsync(this LocalNode node, string sql, string database = LocalNode.Database)
    {
        // Unpooled: a node may restart within a test, which would leave a pooled connection dead.
        await using var connection = new NpgsqlConnection(node.ConnectionString(database) + ";Pooling=false");
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(Ct);
    }

    /// <summary>
    /// Terminates the backend of a session named <paramref name="applicationName"/> (other than <paramref name="butNot"/>)
    /// once it waits for a lock, as an operator's pg_terminate_backend would.
    /// </summary>
    /// <returns>The backend's process id.</returns>
    public static async Task<int> EndWaitingSessionAsync(this LocalNode node, string applicationName, string what, int butNot = 0)
    {
        var pid = 0;
        await Eventually.UntilAsync(async () => (pid = Convert.ToInt32(await node.ExecuteAsync($"""
            SELECT coalesce(max(pid), 0) FROM pg_stat_activity
            WHERE application_name = '{applicationName}' AND wait_event_type = 'Lock' AND pid <> {butNot}
            """))) != 0, what, Ct);
        await node.ExecuteAsync($"SELECT pg_terminate_backend({pid})");
        return pid;
    }

    /// <summary>Restarts the node with wal_level=replica, on which no shard can move online.</summary>
    public static async Task RestartWithReplicaWalAsync(this LocalNode node)
    {
        await node.ExecuteAsync("ALTER SYSTEM SET wal_level = replica");
        await node.StopAsync();
        await node.StartAsync();
    }
}
