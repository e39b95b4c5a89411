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

    /// <summary>How long a request waits for its turns before it is refused.</summary>
    public static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(StorageSetup.ConnectTimeoutSeconds);

    // Turns of the dialogs with requests at work or waiting, and no others: a dialog's entry goes with its last request,
    // so there are never more than requests in flight. Each dialog has turns of its own: shared ones (stripes of a table)
    // would let a flooded or locked dialog hold back the unrelated dialogs that happen to share them.
    private readonly Dictionary<DialogKey, DialogTurns> _dialogTurns = [];
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _shardTurns = new();

    public int ShardShare { get; } = shardShare;

    /// <summary>How many dialogs have requests holding or waiting for their turns now.</summary>
    internal int DialogsWithRequests
    {
        get
        {
            lock (_dialogTurns)
            {
                return _dialogTurns.Count;
            }
        }
    }

    public static StoreBulkhead For(NpgsqlDataSource db) =>
        new(Math.Max(1, new NpgsqlConnectionStringBuilder(db.ConnectionString).MaxPoolSize / 4));

    /// <summary>Waits for turns at the dialog and its shard; if given them, they must be handed back (<see cref="Leave"/>).</summary>
    /// <exception cref="NoTurnException">None came in time.</exception>
    public async Task EnterAsync(DialogKey dialog, Placement placement, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var dialogTurns = Join(dialog);
        bool entered;
        try
        {
            entered = await dialogTurns.WaitAsync(TurnTimeout, ct);
        }
        catch
        {
            Quit(dialog);
            throw;
        }

        if (!entered)
        {
            Quit(dialog);
            throw new NoTurnException($"Dialog {dialog.Value} kept its {DialogShare} requests at work while this one waited", atDialog: true);
        }

        try
        {
            // Both turns within the one wait, not one wait each.
            var left = TurnTimeout - Stopwatch.GetElapsedTime(started);
            if (placement.ShardId is { } shard && !await ShardTurns(shard).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, ct))
            {
                throw new NoTurnException($"Shard {shard} on {placement.Node} kept its {ShardShare} requests at work while this one waited", atDialog: false);
            }
        }
        catch
        {
            Quit(dialog).Release();
            throw;
        }
    }

    public void Leave(DialogKey dialog, Placement placement)
    {
        if (placement.ShardId is { } shard)
        {
            ShardTurns(shard).Release();
        }

        Quit(dialog).Release();
    }

    /// <summary>Counts a request in at its dialog's turns, which it then holds or waits for.</summary>
    private SemaphoreSlim Join(DialogKey dialog)
    {
        lock (_dialogTurns)
        {
            if (!_dialogTurns.TryGetValue(dialog, out var turns))
            {
                turns = new DialogTurns();
                _dialogTurns.Add(dialog, turns);
            }

            turns.Requests++;
            return turns.Turns;
        }
    }

    /// <summary>Counts a request out; the dialog's turns go with its last request. Returns them, to hand one back.</summary>
    private SemaphoreSlim Quit(DialogKey dialog)
    {
        lock (_dialogTurns)
        {
            var turns = _dialogTurns[dialog];
            if (--turns.Requests == 0)
            {
                _dialogTurns.Remove(dialog);
            }

            return turns.Turns;
        }
    }

    private SemaphoreSlim ShardTurns(long shard) => _shardTurns.GetOrAdd(shard, _ => new SemaphoreSlim(ShardShare, ShardShare));

    /// <summary>One dialog's turns, and how many requests hold or wait for one (guarded by the bulkhead's table).</summary>
    private sealed class DialogTurns
    {
        public SemaphoreSlim Turns { get; } = new(DialogShare, DialogShare);

        public int Requests { get; set; }
    }
}

/// <summary>
/// A request that got no turn at the database in time (<see cref="StoreBulkhead"/>), refused without trying: its
/// dialog's own requests were at work (<see cref="AtDialog"/>), or its shard's.
/// </summary>
public sealed class NoTurnException(string reason, bool atDialog) : Exception($"{reason}; refused without trying.")
{
    public bool AtDialog { get; } = atDialog;
}
