using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Npgsql;

namespace Dialogs.Bench.Dialogs;

/// <summary>
/// The baseline: the API store's own statements (<see cref="MessageStore.CreateInsert"/>, <see cref="MessageStore.OlderPageSql"/>)
/// with the same parameters it binds, over a data source set up as the API sets up its own, from this process. What
/// the API adds on top (HTTP, authentication, JSON, its process) is the difference between the two.
/// </summary>
public sealed class RawDialogClient(NpgsqlDataSource db, MessageIdGenerator ids) : IDialogClient
{
    public string Name => "raw";

    /// <summary>A pooled data source with the API's own settings (<see cref="StorageSetup.ApplyHotPathSettings"/>).</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName = "dialogs-bench-raw";
        StorageSetup.ApplyHotPathSettings(builder.ConnectionStringBuilder);
        return builder.Build();
    }

    public async ValueTask SendAsync(DialogPair dialog, SampleText text, CancellationToken ct)
    {
        var message = new NewMessage(dialog.Key, ids.Next(), dialog.Sender, dialog.Peer, text.Text, IdempotencyKey: null);
        await using var insert = MessageStore.CreateInsert(db, message);
        if (await insert.ExecuteNonQueryAsync(ct) != 1)
        {
            throw new InvalidOperationException($"The insert of send {message.SendId} stored no row.");
        }
    }

    public async ValueTask ReadPageAsync(DialogPair dialog, MessageId? before, CancellationToken ct)
    {
        // As the store asks: one row more than the page, to learn whether another page follows.
        await using var select = db.CreateCommand(MessageStore.OlderPageSql);
        select.Parameters.Add(new() { Value = dialog.Key.Value });
        select.Parameters.Add(new() { Value = (before ?? MessageId.MaxValue).Value });
        select.Parameters.Add(new() { Value = PageRequest.DefaultLimit + 1 });
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            // Every column is decoded, as the store does to build its messages.
            _ = reader.GetGuid(0);
            _ = reader.GetString(1);
            _ = reader.GetString(2);
            _ = reader.GetString(3);
            _ = reader.GetFieldValue<DateTime>(4);
        }
    }
}
