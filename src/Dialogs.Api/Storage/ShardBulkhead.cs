using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// At most a quarter of the connection pool works for any one shard at a time. A shard whose statements stop
/// answering while its worker answers (a lock held on it past the statement timeout) would otherwise gather
/// requests until they hold every pooled connection, and every dialog of every worker would wait for one and fail.
/// Beyond its share a request for that shard is refused at once (a 503 with Retry-After, nothing stored), and the
/// rest of the pool serves the other shards. On PostgreSQL without Citus there is one server, and no share to keep.
/// </summary>
public sealed class ShardBulkhead(int share)
{
    private readonly ConcurrentDictionary<long, StrongBox<int>> _working = new();

    public int Share { get; } = share;

    public static ShardBulkhead For(NpgsqlDataSource db) =>
        new(Math.Max(1, new NpgsqlConnectionStringBuilder(db.ConnectionString).MaxPoolSize / 4));

    /// <summary>Whether a request for <paramref name="placement"/> may go on; if so, it must <see cref="Leave"/>.</summary>
    public bool TryEnter(Placement placement)
    {
        if (placement.ShardId is not { } shard)
        {
            return true;
        }

        var working = _working.GetOrAdd(shard, _ => new StrongBox<int>());
        if (Interlocked.Increment(ref working.Value) <= Share)
        {
            return true;
        }

        Interlocked.Decrement(ref working.Value);
        return false;
    }

    public void Leave(Placement placement)
    {
        if (placement.ShardId is { } shard && _working.TryGetValue(shard, out var working))
        {
            Interlocked.Decrement(ref working.Value);
        }
    }
}

/// <summary>A request for a shard that has its share of the connection pool at work already, refused without trying.</summary>
public sealed class ShardBusyException(Placement placement, int share)
    : Exception($"Shard {placement.ShardId} on {placement.Node} has {share} requests at work already; more are refused until they end.");
