using Dialogs.Api.Storage;
using Dialogs.Local.Cluster;
using Npgsql;

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// One shard locked on its worker, as an operator or a long transaction would hold it: the worker answers, the
/// shard's statements wait. Released when disposed.
/// </summary>
public sealed class ShardLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _holder;
    private readonly long _shard;

    private ShardLock(NpgsqlConnection holder, long shard)
    {
        _holder = holder;
        _shard = shard;
    }

    public static async Task<ShardLock> TakeAsync(LocalNode worker, long shard, CancellationToken ct)
    {
        var holder = new NpgsqlConnection(worker.ConnectionString());
        await holder.OpenAsync(ct);
        await using var take = new NpgsqlCommand(
            $"SET citus.enable_manual_changes_to_shards TO on; BEGIN; LOCK TABLE {MessageStore.Table}_{shard} IN ACCESS EXCLUSIVE MODE", holder);
        await take.ExecuteNonQueryAsync(ct);
        return new ShardLock(holder, shard);
    }

    /// <summary>How many statements wait for the lock now.</summary>
    public async Task<long> WaitersAsync(CancellationToken ct)
    {
        await using var count = new NpgsqlCommand(
            $"SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = '{MessageStore.Table}_{_shard}'::regclass", _holder);
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Closing the connection rolls its transaction back, and the lock goes with it.</summary>
    public ValueTask DisposeAsync() => _holder.DisposeAsync();
}
