using Npgsql;
using NpgsqlTypes;

namespace Dialogs.Bench.Dialogs;

/// <summary>
/// Loads messages with one binary COPY. On Citus it goes through the coordinator, which routes each row to its
/// dialog's shard, so the data lands exactly where the API's inserts would have put it.
/// </summary>
public static class BulkLoader
{
    private const string CopySql =
        "COPY messages (dialog_id, id, sender_id, recipient_id, body, created_at) FROM STDIN (FORMAT BINARY)";

    private const int ProgressEvery = 10_000;

    /// <param name="progress">Called with the number of rows written so far, every few thousand rows.</param>
    public static async Task<long> LoadAsync(NpgsqlDataSource db, IEnumerable<MessageRow> rows, Action<long> progress, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var copy = await connection.BeginBinaryImportAsync(CopySql, ct);
        long written = 0;
        foreach (var row in rows)
        {
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(row.Dialog.Value, NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(row.Id.Value, NpgsqlDbType.Uuid, ct);
            await copy.WriteAsync(row.From.Value, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.To.Value, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.Text, NpgsqlDbType.Text, ct);
            await copy.WriteAsync(row.Id.CreatedAt, NpgsqlDbType.TimestampTz, ct);
            if (++written % ProgressEvery == 0)
            {
                progress(written);
            }
        }

        await copy.CompleteAsync(ct);
        progress(written);
        return written;
    }
}
