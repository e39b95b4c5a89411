using Npgsql;

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// A dialog's send lock, the advisory lock each send takes to commit in order (migration 0002), held from a session
/// of the test's as a slow send would hold it: the dialog's sends wait until it is released (disposed).
/// </summary>
public sealed class SendLock : IAsyncDisposable
{
    /// <summary>The lock's first key, migration 0002's (in pg_locks, the classid of a send's lock).</summary>
    public const int Key = 1147756908;

    private readonly NpgsqlCommand _release;

    /// <summary>Sends waiting in pg_locks for a dialog's send lock, whichever dialog's.</summary>
    private static readonly string SendsWaiting = $"FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2 AND classid = {Key}";

    /// <summary>How many sends wait for their dialog's send lock on the node that runs it, whoever holds it.</summary>
    public static readonly string CountSendsWaitingSql = $"SELECT count(*) {SendsWaiting}";

    private SendLock(NpgsqlCommand release) => _release = release;

    /// <summary>How many sends wait for their dialog's send lock now, whoever holds it.</summary>
    public static async Task<long> SendsWaitingAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var count = db.CreateCommand(CountSendsWaitingSql);
        return (long)(await count.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Whether a send of the dialog waits for the lock now.</summary>
    public async Task<bool> HoldsUpASendAsync(CancellationToken ct)
    {
        // Two int keys: the first in classid, the second, an oid, in objid (so the hash taken as unsigned).
        await using var waiting = new NpgsqlCommand(
            $"SELECT EXISTS (SELECT 1 {SendsWaiting} AND objid::bigint = uuid_hash($1)::bigint & 4294967295)", _release.Connection)
        {
            Parameters = { _release.Parameters[0].Clone() },
        };
        return (bool)(await waiting.ExecuteScalarAsync(ct))!;
    }

    public static async Task<SendLock> TakeAsync(NpgsqlDataSource db, Guid dialog, CancellationToken ct)
    {
        var holder = await db.OpenConnectionAsync(ct);
        await using (var take = Call("pg_advisory_lock", dialog, holder))
        {
            await take.ExecuteNonQueryAsync(ct);
        }

        return new SendLock(Call("pg_advisory_unlock", dialog, holder));
    }

    /// <summary>Unlocked before the session goes back to its pool, where the lock would outlive it.</summary>
    public async ValueTask DisposeAsync()
    {
        var holder = _release.Connection!;
        await _release.ExecuteNonQueryAsync();
        await _release.DisposeAsync();
        await holder.DisposeAsync();
    }

    private static NpgsqlCommand Call(string function, Guid dialog, NpgsqlConnection holder) =>
        new($"SELECT {function}({Key}, uuid_hash($1))", holder) { Parameters = { new() { Value = dialog } } };
}
