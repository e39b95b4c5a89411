using Dialogs.Api.Messaging;
using Dialogs.Bench.Dialogs;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Bench;

/// <summary>The benchmark's raw baseline runs, and decodes, the store's own statements against a real database.</summary>
public sealed class RawDialogClientTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task It_sends_and_reads_pages_as_the_store_does()
    {
        database.Require();
        await using var db = RawDialogClient.CreateDataSource(database.ConnectionString);
        var client = new RawDialogClient(db, new MessageIdGenerator(TimeProvider.System));
        var dialog = DialogPair.Create($"raw{Guid.NewGuid():N}"[..11], count: 1)[0];
        var texts = new SampleTexts();

        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(dialog, texts[i], Ct);
        }

        // Every row of a full page decoded, the newest page and one reached by cursor.
        await client.ReadPageAsync(dialog, before: null, Ct);
        await client.ReadPageAsync(dialog, MessageId.MaxValue, Ct);
        Assert.Equal(3, (await database.Client(dialog.Peer.Value).ListOk(dialog.Sender.Value)).Count);
    }
}
