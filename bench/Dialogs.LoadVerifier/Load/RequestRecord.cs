namespace Dialogs.LoadVerifier.Load;

public enum OperationKind
{
    Send,
    Read,
}

/// <summary>
/// One HTTP request. The first attempt of an operation starts at its scheduled time, so a request that waited for
/// the client (or for a stalled service) shows that wait in its latency; a retry starts when it is sent.
/// </summary>
/// <param name="Status">The HTTP status, or <see cref="NoResponse"/> when the request got none (connection error, timeout).</param>
public sealed record RequestRecord(
    long Operation,
    int Attempt,
    OperationKind Kind,
    int Dialog,
    TimeSpan Start,
    TimeSpan End,
    int Status,
    bool HasRetryAfter,
    string? MessageId,
    string? Error)
{
    public const int NoResponse = 0;

    public TimeSpan Latency => End - Start;
    public bool Succeeded => Status == 200;
    public bool Overlaps(TimeSpan from, TimeSpan to) => Start <= to && End >= from;
}

/// <summary>
/// One message a simulated user sent: from its scheduled time until it was acknowledged (200) or the client gave up,
/// over however many attempts it took with the same Idempotency-Key.
/// </summary>
public sealed record SendRecord(
    long Operation,
    int Dialog,
    string IdempotencyKey,
    string Text,
    TimeSpan Scheduled,
    TimeSpan End,
    int Attempts,
    string? MessageId)
{
    public bool Acknowledged => MessageId is not null;
    public TimeSpan Latency => End - Scheduled;
}
