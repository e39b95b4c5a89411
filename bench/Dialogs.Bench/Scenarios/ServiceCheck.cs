using Dialogs.Api.Messaging;
using Dialogs.Bench.Dialogs;
using Dialogs.Bench.Reporting;
using Npgsql;

namespace Dialogs.Bench.Scenarios;

/// <summary>
/// Checks made before anything is timed: that the API and the baseline work on the same rows, and that the pages
/// the benchmark reads are the right ones, full and in order, so that a fast error or a short page can never pass
/// for a fast read.
/// </summary>
public sealed class ServiceCheck(ApiDialogClient api, RawDialogClient raw, SampleTexts texts)
{
    private const int PageSize = PageRequest.DefaultLimit;

    /// <summary>A message sent by the baseline and one sent through the API come back through the API, newest first.</summary>
    public async Task SendAndReadAsync(CancellationToken ct)
    {
        var dialog = DialogPair.Create("check", 1)[0];
        await raw.SendAsync(dialog, texts[0], ct);
        await api.SendAsync(dialog, texts[1], ct);
        var page = await api.ReadPageContentAsync(dialog, null, ct);
        Expect(page.Messages.Select(message => message.Text).SequenceEqual([texts[1].Text, texts[0].Text]),
            "a message sent through the API and one inserted by the baseline must both be read back through the API");
    }

    /// <summary>A seeded dialog answers a full newest page that links to the next one.</summary>
    public async Task FullPageAsync(DialogPair dialog, CancellationToken ct)
    {
        var page = await api.ReadPageContentAsync(dialog, null, ct);
        Expect(page.Messages.Count == PageSize && page.HasNextLink && IsNewestFirst(page.Messages),
            $"the newest page of a seeded dialog must have {PageSize} messages, newest first, and a next link");
    }

    /// <summary>The big dialog holds every message, and its newest, middle and oldest pages are where they should be.</summary>
    public async Task BigDialogPagesAsync(NpgsqlDataSource db, DialogPair dialog, int messages, MessageId middle, MessageId oldestCursor,
        CancellationToken ct)
    {
        await using (var count = db.CreateCommand("""
            SELECT count(*),
                   (SELECT id FROM messages WHERE dialog_id = $1 ORDER BY id DESC LIMIT 1),
                   (SELECT id FROM messages WHERE dialog_id = $1 ORDER BY id LIMIT 1)
            FROM messages WHERE dialog_id = $1
            """))
        {
            count.Parameters.Add(new() { Value = dialog.Key.Value });
            await using var reader = await count.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            Expect(reader.GetInt64(0) == messages, $"the big dialog must hold {Figures.Count(messages)} messages, not {Figures.Count(reader.GetInt64(0))}");
            var newest = await api.ReadPageContentAsync(dialog, null, ct);
            Expect(IsFull(newest) && newest.Messages[0].Id == reader.GetGuid(1).ToString("D"),
                "the newest page must start with the dialog's newest message");
            var oldest = await api.ReadPageContentAsync(dialog, oldestCursor, ct);
            Expect(IsFull(oldest) && oldest.Messages[^1].Id == reader.GetGuid(2).ToString("D"),
                "the oldest page must end with the dialog's first message");
        }

        var middlePage = await api.ReadPageContentAsync(dialog, middle, ct);
        Expect(IsFull(middlePage) && string.CompareOrdinal(middlePage.Messages[0].Id, middle.ToString()) < 0,
            "the middle page must hold the messages just before its cursor");
    }

    /// <summary>The id of the dialog's message at <paramref name="offset"/> from its oldest: a cursor a reader could hold.</summary>
    public static async Task<MessageId> IdAtAsync(NpgsqlDataSource db, DialogPair dialog, int offset, CancellationToken ct)
    {
        await using var select = db.CreateCommand("SELECT id FROM messages WHERE dialog_id = $1 ORDER BY id OFFSET $2 LIMIT 1");
        select.Parameters.Add(new() { Value = dialog.Key.Value });
        select.Parameters.Add(new() { Value = offset });
        return new MessageId((Guid)(await select.ExecuteScalarAsync(ct))!);
    }

    private static bool IsFull(DecodedPage page) => page.Messages.Count == PageSize && IsNewestFirst(page.Messages);

    // Ids in their canonical text form sort as PostgreSQL sorts uuids (byte by byte).
    private static bool IsNewestFirst(IReadOnlyList<DialogMessage> messages) =>
        messages.Zip(messages.Skip(1)).All(pair => string.CompareOrdinal(pair.First.Id, pair.Second.Id) > 0);

    private static void Expect(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Check failed: {what}.");
        }
    }
}
