namespace Dialogs.Api.Messaging;

/// <summary>
/// A message to store. <see cref="SendId"/> is chosen when the request arrives, so a retried insert is recognised.
/// The message's own id is stamped by the insert, in commit order, and its time is the message's created_at.
/// </summary>
public sealed record NewMessage(DialogKey Dialog, MessageId SendId, UserId From, UserId To, string Text, string? IdempotencyKey);

/// <summary>What a send did.</summary>
public abstract record SendOutcome
{
    private SendOutcome()
    {
    }

    /// <summary>The message is stored: just now, or by an earlier request with the same idempotency key.</summary>
    public sealed record Stored(DialogMessage Message) : SendOutcome;

    /// <summary>The idempotency key was used before for a different text; nothing was stored.</summary>
    public sealed record KeyReusedForOtherText(DialogMessage Original) : SendOutcome;
}
