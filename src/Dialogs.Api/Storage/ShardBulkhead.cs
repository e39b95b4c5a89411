using System.Collections.Concurrent;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// At most a quarter of the connection pool works for any one shard at a time. A shard whose statements stop
/// answering while its worker answers (a lock held on it past the statement timeout) would otherwise gather
/// requests until they hold every pooled connection, and every dialog of every worker would wait for one and fail.
/// Beyond its share a request for that shard waits for its turn without holding a connection, as long as it would
/// have waited for one from the pool (<see cref="StorageSetup.ConnectTimeoutSeconds"/>: a burst on a shard that
/// answers gets its turn in milliseconds), then is refused (a 503 with Retry-After, nothing stored); the rest of the
/// pool serves the other shards. On PostgreSQL without Citus there is one server, and no share to keep.
/// </summary>
public sealed class ShardBulkhead(int share)
{
    private static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(StorageSetup.ConnectTimeoutSeconds);

    private readonly ConcurrentDictionary<long, SemaphoreSlim> _turns = new();

    public int Share { get; } = share;

    public static ShardBulkhead For(NpgsqlDataSource db) =>
        new(Math.Max(1, new NpgsqlConnectionStringBuilder(db.ConnectionString).MaxPoolSize / 4));

    /// <summary>Waits for a turn at <paramref name="placement"/>'s shard; true if given one, which must be handed back (<see cref="Leave"/>).</summary>
    public Task<bool> EnterAsync(Placement placement, CancellationToken ct) =>
        placement.ShardId is { } shard
            ? _turns.GetOrAdd(shard, _ => new SemaphoreSlim(Share, Share)).WaitAsync(TurnTimeout, ct)
            : Task.FromResult(true);

    public void Leave(Placement placement)
    {
        if (placement.ShardId is { } shard && _turns.TryGetValue(shard, out var turns))
        {
            turns.Release();
        }
    }
}

/// <summary>A request for a shard whose share of the connection pool stayed at work while it waited, refused without trying.</summary>
public sealed class ShardBusyException(Placement placement, int share)
    : Exception($"Shard {placement.ShardId} on {placement.Node} kept its {share} connections at work while this request waited for one; refused without trying.");
