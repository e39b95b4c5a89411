using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Scenarios;
using Dialogs.LoadVerifier.Verification;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Bench;

/// <summary>
/// The load verifier's read-back, given stored dialogs that went wrong behind the API's back: what it counts, and
/// that its delivery checks then fail. Everything else of the verifier is judged on these counts.
/// </summary>
public sealed class ReadBackTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_message_stored_with_another_text_is_missing_and_one_stored_twice_is_duplicated_and_both_fail_the_run()
    {
        database.Require();
        var runTag = Guid.NewGuid().ToString("N")[..8];
        var population = Population.Create(new LoadSettings(Users: 3, ContactsPerUser: 1), runTag);
        var sends = new List<SendRecord>();
        foreach (var dialog in population.Dialogs)
        {
            var text = $"{runTag} message of dialog {dialog.Index}";
            var sent = await database.Client(dialog.A).SendOk(dialog.B, text);
            sends.Add(new SendRecord(sends.Count, dialog.Index, $"key-{dialog.Index}", text, TimeSpan.Zero, TimeSpan.Zero, 1, sent.Id));
        }

        var coordinator = database.Cluster.Coordinator;
        Assert.NotNull(await coordinator.ExecuteAsync($"UPDATE messages SET body = body || ' (changed)' WHERE id = '{sends[1].MessageId}' RETURNING id"));
        // The copy's id as the service stamps one: a message's time is read from its id, so a copy under a random UUID
        // would carry a random date.
        Assert.NotNull(await coordinator.ExecuteAsync($"""
            INSERT INTO messages (dialog_id, id, send_id, sender_id, recipient_id, body, created_at)
            SELECT dialog_id, dialog_message_id(dialog_id), gen_random_uuid(), sender_id, recipient_id, body, created_at
            FROM messages WHERE id = '{sends[2].MessageId}' RETURNING id
            """));

        var delivery = await ReadBack.CheckAsync(new DialogsClient(database.Client(), database.Tokens), population, sends, Ct);

        Assert.Equal((3L, 4L, 1L, 1L), (delivery.Acknowledged, delivery.Stored, delivery.Missing, delivery.Duplicated));
        Assert.Equal(sends[1], Assert.Single(delivery.MissingSends));
        // The changed text is no send of this run.
        Assert.Equal((1L, 0), (delivery.Unexpected, delivery.Unreadable));
        Assert.All(DeliveryChecks.Of(delivery, _ => "plain node"), check => Assert.False(check.Passed, check.Name));
    }
}
