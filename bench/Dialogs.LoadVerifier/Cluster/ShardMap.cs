using Dialogs.LoadVerifier.Load;
using Npgsql;

namespace Dialogs.LoadVerifier.Cluster;

/// <summary>Which worker (by port) holds each dialog's shard, as the coordinator's metadata says right now.</summary>
public static class ShardMap
{
    public static async Task<int[]> WorkerPortsAsync(string coordinator, IReadOnlyList<DialogPair> dialogs, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(coordinator);
        await connection.OpenAsync(ct);
        await using var select = new NpgsqlCommand("""
            SELECT n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n USING (groupid)
            WHERE p.shardid = get_shard_id_for_distribution_column('messages', $1::uuid)
            """, connection);
        var key = new NpgsqlParameter<Guid>();
        select.Parameters.Add(key);
        await select.PrepareAsync(ct);
        var ports = new int[dialogs.Count];
        foreach (var dialog in dialogs)
        {
            key.TypedValue = dialog.Key;
            ports[dialog.Index] = (int)(await select.ExecuteScalarAsync(ct))!;
        }

        return ports;
    }
}
