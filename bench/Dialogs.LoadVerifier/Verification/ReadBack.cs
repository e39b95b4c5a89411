using Dialogs.Api.Messaging;
using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Verification;

/// <summary>
/// After the load: pages through every dialog with the API, as one of its participants, and checks each acknowledged
/// send against what is stored. Reading through the API (not SQL) is the point: a message a user cannot page to is lost.
/// </summary>
public static class ReadBack
{
    private const int PageLimit = PageRequest.MaxLimit;
    private const int PageAttempts = 10;
    private const int MaxExamples = 10;

    public static async Task<Delivery> CheckAsync(DialogsClient client, Population population, IReadOnlyList<SendRecord> sends,
        CancellationToken ct)
    {
        var sendsByText = sends.ToDictionary(send => send.Text);
        var acknowledgedByDialog = sends.Where(s => s.Acknowledged).ToLookup(s => s.Dialog);
        var examples = new List<string>();
        var missingSends = new List<SendRecord>();
        long storedTotal = 0, missing = 0, duplicated = 0, storedUnacknowledged = 0, unexpected = 0;
        var unreadable = 0;
        foreach (var dialog in population.Dialogs)
        {
            if (await ReadDialogAsync(client, dialog, ct) is not { } messages)
            {
                unreadable++;
                Note(examples, $"dialog {dialog.Index} ({dialog.A} / {dialog.B}) could not be read to the end");
                continue;
            }

            storedTotal += messages.Count;
            var byId = messages.ToLookup(m => m.Id);
            var byText = messages.GroupBy(m => m.Text).ToDictionary(g => g.Key, g => g.Count());
            foreach (var (text, count) in byText)
            {
                if (!sendsByText.TryGetValue(text, out var send) || send.Dialog != dialog.Index)
                {
                    unexpected += count;
                    Note(examples, $"dialog {dialog.Index}: unexpected message \"{text}\"");
                }
                else if (!send.Acknowledged)
                {
                    storedUnacknowledged++;
                }
            }

            // One send stored twice shows as its text twice (two ids); a paging defect shows as one id twice.
            var copies = byText.Values.Sum(count => count - 1L) + byId.Sum(copiesOfId => copiesOfId.Count() - 1L);
            if (copies > 0)
            {
                duplicated += copies;
                Note(examples, $"dialog {dialog.Index}: {copies} duplicated copies");
            }

            foreach (var send in acknowledgedByDialog[dialog.Index])
            {
                var found = byId[send.MessageId!].FirstOrDefault();
                if (found is null || found.Text != send.Text)
                {
                    missing++;
                    if (missingSends.Count < MaxExamples)
                    {
                        missingSends.Add(send);
                    }
                }
            }
        }

        return new Delivery(sends.Count(s => s.Acknowledged), storedTotal, missing, duplicated, storedUnacknowledged, unexpected,
            unreadable, missingSends, examples);

        static void Note(List<string> examples, string example)
        {
            if (examples.Count < MaxExamples)
            {
                examples.Add(example);
            }
        }
    }

    /// <summary>Every message of the dialog, following the Link header's next page; null when a page kept failing.</summary>
    private static async Task<List<DialogMessage>?> ReadDialogAsync(DialogsClient client, DialogPair dialog, CancellationToken ct)
    {
        var messages = new List<DialogMessage>();
        string? page = null;
        do
        {
            var result = await ReadPageAsync(client, dialog, page, ct);
            if (result?.Body is null)
            {
                return null;
            }

            messages.AddRange(result.Body);
            page = result.NextPage;
        }
        while (page is not null);

        return messages;
    }

    private static async Task<Exchange<List<DialogMessage>>?> ReadPageAsync(DialogsClient client, DialogPair dialog, string? page,
        CancellationToken ct)
    {
        for (var attempt = 1; attempt <= PageAttempts; attempt++)
        {
            var result = await client.ReadPageAsync(dialog.A, dialog.B, PageLimit, page, ct);
            if (result.Status == 200)
            {
                return result;
            }

            await Task.Delay(result.RetryAfter ?? TimeSpan.FromSeconds(1), ct);
        }

        return null;
    }
}
