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

    private ShardLock(NpgsqlConnection holder) => _holder = holder;

    public static async Task<ShardLock> TakeAsync(LocalNode worker, long shard, CancellationToken ct)
    {
        var holder = new NpgsqlConnection(worker.ConnectionString());
        await holder.OpenAsync(ct);
        await using var take = new NpgsqlCommand(
            $"SET citus.enable_manual_changes_to_shards TO on; BEGIN; LOCK TABLE {MessageStore.Table}_{shard} IN ACCESS EXCLUSIVE MODE", holder);
        await take.ExecuteNonQueryAsync(ct);
        return new ShardLock(holder);
    }

    /// <summary>Closing the connection rolls its transaction back, and the lock goes with it.</summary>
    public ValueTask DisposeAsync() => _holder.DisposeAsync();
}
