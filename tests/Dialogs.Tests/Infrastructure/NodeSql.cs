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

    /// <summary>How many sessions of clients wait for a lock on the node now.</summary>
    public static async Task<long> SessionsWaitingForALockAsync(this LocalNode node) => (long)(await node.ExecuteAsync(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND backend_type = 'client backend'"))!;

    /// <summary>
    /// Sets a server setting as its operator would (ALTER SYSTEM), and applies it: by a restart where the server takes
    /// it only when it starts (wal_level), else by a reload, once new sessions see it; a session open already sees it
    /// before its next statement, as the reload's signal reaches every backend before a new one starts.
    /// </summary>
    public static async Task ApplySettingAsync(this LocalNode node, string setting, string value)
    {
        await node.ExecuteAsync($"ALTER SYSTEM SET {setting} = '{value}'");
        if ((string?)await node.ExecuteAsync($"SELECT context FROM pg_settings WHERE name = '{setting}'") == "postmaster")
        {
            await node.StopAsync();
            await node.StartAsync();
            return;
        }

        await node.ExecuteAsync("SELECT pg_reload_conf()");
        await Eventually.UntilAsync(async () => (string?)await node.ExecuteAsync($"SELECT current_setting('{setting}')") == value,
            $"{setting} = {value} on a reload", Ct);
    }
}
