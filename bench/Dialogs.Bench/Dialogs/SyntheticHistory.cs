using Dialogs.Api.Messaging;

namespace Dialogs.Bench.Dialogs;

/// <summary>A stored message as the bulk loader writes it.</summary>
public sealed record MessageRow(DialogKey Dialog, MessageId Id, UserId From, UserId To, string Text);

/// <summary>
/// The past of a dialog, as if its messages had been sent one by one over time: the two users take turns, and each
/// id comes from the API's own UUIDv7 generator reading a clock that advances by a fixed step per message, so ids
/// increase with time as real ones do and created_at is their timestamp.
/// </summary>
public static class SyntheticHistory
{
    public static IEnumerable<MessageRow> Of(DialogPair dialog, int count, DateTimeOffset first, TimeSpan step, SampleTexts texts)
    {
        var ids = new MessageIdGenerator(new SteppingClock(first, step));
        for (var i = 0; i < count; i++)
        {
            var (from, to) = i % 2 == 0 ? (dialog.Sender, dialog.Peer) : (dialog.Peer, dialog.Sender);
            yield return new MessageRow(dialog.Key, ids.Next(), from, to, texts[i].Text);
        }
    }

    /// <summary>A clock that moves on by <paramref name="step"/> each time it is read.</summary>
    private sealed class SteppingClock(DateTimeOffset first, TimeSpan step) : TimeProvider
    {
        private DateTimeOffset _next = first;

        public override DateTimeOffset GetUtcNow()
        {
            var now = _next;
            _next += step;
            return now;
        }
    }
}
