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
/// Sends hold only part of each share (<see cref="DialogSendShare"/>, <see cref="ShardSendShare"/>): a shard move's
/// cutover holds its shard's writes, for as long as the new placement takes to catch up, while Citus serves its reads
/// throughout, and reads queued behind parked sends would be refused for nothing.
/// </summary>
public sealed class StoreBulkhead(int shardShare)
{
    /// <summary>A dialog's sends commit one at a time, and a page takes a millisecond: more at once only wait.</summary>
    public const int DialogShare = 4;

    /// <summary>The turns of a dialog its sends may hold: all but one, kept for its reads.</summary>
    public const int DialogSendShare = DialogShare - 1;

    /// <summary>How long a request waits for its turns before it is refused.</summary>
    public static readonly TimeSpan TurnTimeout = TimeSpan.FromSeconds(StorageSetup.ConnectTimeoutSeconds);

    // Turns of the dialogs with requests at work or waiting, and no others: a dialog's entry goes with its last request,
    // so there are never more than requests in flight. Each dialog has turns of its own: shared ones (stripes of a table)
    // would let a flooded or locked dialog hold back the unrelated dialogs that happen to share them.
    private readonly Dictionary<DialogKey, Turns> _dialogTurns = [];
    private readonly ConcurrentDictionary<long, Turns> _shardTurns = new();

    public int ShardShare { get; } = shardShare;

    /// <summary>The turns of a shard its sends may hold: all but a quarter (at least one where there are two), kept for its reads.</summary>
    public int ShardSendShare { get; } = Math.Max(1, shardShare - Math.Max(1, shardShare / 4));

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

    /// <summary>
    /// Waits for turns at the dialog and its shard, a send for one of their sends' turns too; if given them, they must be
    /// handed back (<see cref="Leave"/>, with the same arguments).
    /// </summary>
    /// <exception cref="NoTurnException">None came in time.</exception>
    public async Task EnterAsync(DialogKey dialog, Placement placement, StoreWork work, CancellationToken ct)
    {
        // Every turn within the one wait, not one wait each.
        var started = Stopwatch.GetTimestamp();
        var send = work == StoreWork.Send;
        var dialogTurns = Join(dialog);
        string? full;
        try
        {
            full = await dialogTurns.TakeAsync(send, started, ct);
        }
        catch
        {
            Quit(dialog);
            throw;
        }

        if (full is not null)
        {
            Quit(dialog);
            throw new NoTurnException($"Dialog {dialog.Value} kept its {full} at work while this one waited", full, atDialog: true);
        }

        if (placement.ShardId is not { } shard)
        {
            return;
        }

        try
        {
            full = await ShardTurns(shard).TakeAsync(send, started, ct);
        }
        catch
        {
            Quit(dialog).Give(send);
            throw;
        }

        if (full is not null)
        {
            Quit(dialog).Give(send);
            throw new NoTurnException($"Shard {shard} on {placement.Node} kept its {full} at work while this one waited", full, atDialog: false);
        }
    }

    public void Leave(DialogKey dialog, Placement placement, StoreWork work)
    {
        var send = work == StoreWork.Send;
        if (placement.ShardId is { } shard)
        {
            ShardTurns(shard).Give(send);
        }

        Quit(dialog).Give(send);
    }

    /// <summary>Counts a request in at its dialog's turns, which it then holds or waits for.</summary>
    private Turns Join(DialogKey dialog)
    {
        lock (_dialogTurns)
        {
            if (!_dialogTurns.TryGetValue(dialog, out var turns))
            {
                turns = new Turns(DialogShare, DialogSendShare);
                _dialogTurns.Add(dialog, turns);
            }

            turns.Requests++;
            return turns;
        }
    }

    /// <summary>Counts a request out; the dialog's turns go with its last request. Returns them, to hand back.</summary>
    private Turns Quit(DialogKey dialog)
    {
        lock (_dialogTurns)
        {
            var turns = _dialogTurns[dialog];
            if (--turns.Requests == 0)
            {
                _dialogTurns.Remove(dialog);
            }

            return turns;
        }
    }

    private Turns ShardTurns(long shard) => _shardTurns.GetOrAdd(shard, _ => new Turns(ShardShare, ShardSendShare));

    /// <summary>
    /// A dialog's or a shard's turns, and the part of them its sends may hold; for a dialog, how many requests hold or
    /// wait for one (guarded by the bulkhead's table).
    /// </summary>
    private sealed class Turns(int share, int sendShare)
    {
        private readonly SemaphoreSlim _all = new(share, share);
        private readonly SemaphoreSlim _sends = new(sendShare, sendShare);

        public int Requests { get; set; }

        /// <summary>Takes a turn, for a send one of the sends' turns first, by the timeout counted from <paramref name="started"/>.</summary>
        /// <returns>Null when taken; else the share that was full ("4 requests", "3 sends"), and nothing is held.</returns>
        public async Task<string?> TakeAsync(bool send, long started, CancellationToken ct)
        {
            if (send && !await _sends.WaitAsync(Left(started), ct))
            {
                return $"{sendShare} sends";
            }

            bool taken;
            try
            {
                taken = await _all.WaitAsync(Left(started), ct);
            }
            catch
            {
                GiveSend(send);
                throw;
            }

            if (!taken)
            {
                GiveSend(send);
            }

            return taken ? null : $"{share} requests";
        }

        /// <summary>Hands back what <see cref="TakeAsync"/> took.</summary>
        public void Give(bool send)
        {
            _all.Release();
            GiveSend(send);
        }

        private void GiveSend(bool send)
        {
            if (send)
            {
                _sends.Release();
            }
        }

        private static TimeSpan Left(long started) =>
            TimeSpan.FromTicks(Math.Max(0, (TurnTimeout - Stopwatch.GetElapsedTime(started)).Ticks));
    }
}

/// <summary>What a request does at the database: a send may be held by a shard move's cutover, a read never is.</summary>
public enum StoreWork
{
    Read,
    Send,
}

/// <summary>
/// A request that got no turn at the database in time (<see cref="StoreBulkhead"/>), refused without trying: its
/// dialog's own requests were at work (<see cref="AtDialog"/>), or its shard's; <see cref="Crowd"/> says how many.
/// </summary>
public sealed class NoTurnException(string reason, string crowd, bool atDialog) : Exception($"{reason}; refused without trying.")
{
    /// <summary>The share that was full, as "4 requests" or "3 sends".</summary>
    public string Crowd { get; } = crowd;

    public bool AtDialog { get; } = atDialog;
}
