using System.Collections.Concurrent;
using System.Diagnostics;
using Dialogs.Api.Messaging;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// How many requests may be at work on the database for one dialog (<see cref="DialogShare"/>) and for one shard (a
/// quarter of the connection pool) at a time. A shard whose statements stop answering while its worker answers (a
/// lock held on it past the statement timeout) would otherwise gather requests until they hold every pooled
/// connection, and every dialog of every worker would wait for one and fail; a user flooding one dialog would fill
/// its shard's share with sends that only wait on each other (a dialog's sends commit one at a time), and the other
/// dialogs of the shard would wait behind them. A request beyond a share waits for its turn without holding a
/// connection, as long as it would have waited for one from the pool (<see cref="StorageSetup.ConnectTimeoutSeconds"/>:
/// a burst on a database that answers gets its turn in milliseconds), then is refused (a 503 with Retry-After,
/// nothing stored). On PostgreSQL without Citus there is one server, and no shard's share to keep.
/// </summary>
public sealed class StoreBulkhead(int shardShare)
{
    /// <summary>A dialog's sends commit one at a time, and a page takes a millisecond: more at once only wait.</summary>
    public const int DialogShare = 4;

    private static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(StorageSetup.ConnectTimeoutSeconds);

    // Dialogs share turns by stripes, so there is no turn to create, or forget, per dialog; two on one stripe rarely
    // both have requests at work.
    private readonly SemaphoreSlim[] _dialogTurns = [.. Enumerable.Range(0, 4_096).Select(_ => new SemaphoreSlim(DialogShare, DialogShare))];
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _shardTurns = new();

    public int ShardShare { get; } = shardShare;

    public static StoreBulkhead For(NpgsqlDataSource db) =>
        new(Math.Max(1, new NpgsqlConnectionStringBuilder(db.ConnectionString).MaxPoolSize / 4));

    /// <summary>Waits for turns at the dialog and its shard; if given them, they must be handed back (<see cref="Leave"/>).</summary>
    /// <exception cref="NoTurnException">None came in time.</exception>
    public async Task EnterAsync(DialogKey dialog, Placement placement, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var dialogTurns = DialogTurns(dialog);
        if (!await dialogTurns.WaitAsync(TurnTimeout, ct))
        {
            throw new NoTurnException($"Dialog {dialog.Value} kept its {DialogShare} requests at work while this one waited");
        }

        try
        {
            // Both turns within the one wait, not one wait each.
            var left = TurnTimeout - Stopwatch.GetElapsedTime(started);
            if (placement.ShardId is { } shard && !await ShardTurns(shard).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, ct))
            {
                throw new NoTurnException($"Shard {shard} on {placement.Node} kept its {ShardShare} requests at work while this one waited");
            }
        }
        catch
        {
            dialogTurns.Release();
            throw;
        }
    }

    public void Leave(DialogKey dialog, Placement placement)
    {
        if (placement.ShardId is { } shard)
        {
            ShardTurns(shard).Release();
        }

        DialogTurns(dialog).Release();
    }

    private SemaphoreSlim DialogTurns(DialogKey dialog) => _dialogTurns[(uint)dialog.Value.GetHashCode() % (uint)_dialogTurns.Length];

    private SemaphoreSlim ShardTurns(long shard) => _shardTurns.GetOrAdd(shard, _ => new SemaphoreSlim(ShardShare, ShardShare));
}

/// <summary>A request that got no turn at the database in time (<see cref="StoreBulkhead"/>), refused without trying.</summary>
public sealed class NoTurnException(string reason) : Exception($"{reason}; refused without trying.");
