using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Npgsql;

namespace Dialogs.Bench.Dialogs;

/// <summary>
/// The baseline: the API store's own commands, built and bound, and their rows decoded, by its own code
/// (<see cref="MessageStore.CreateInsert"/>, <see cref="MessageStore.CreatePageQuery(NpgsqlDataSource, DialogKey, PageRequest)"/>, <see cref="MessageStore.ReadMessage"/>), over a data source set up as the API sets up its own, from this process. What
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
        var page = before is { } cursor ? new PageRequest(PageRequest.DefaultLimit, cursor, PageDirection.Older) : PageRequest.Newest();
        await using var select = MessageStore.CreatePageQuery(db, dialog.Key, page);
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            _ = MessageStore.ReadMessage(reader);
        }
    }
}
