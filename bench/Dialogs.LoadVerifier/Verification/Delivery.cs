using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Verification;

/// <summary>What reading every dialog back found, measured against the acknowledged sends.</summary>
/// <param name="Missing">Acknowledged (200) but not readable, or readable with another text; the first few in <paramref name="MissingSends"/>.</param>
/// <param name="Duplicated">Extra copies of one send: the same text or the same id more than once in a dialog.</param>
/// <param name="StoredUnacknowledged">Stored although the client never got a 200 (it gave up); not an error.</param>
/// <param name="Unexpected">Messages in the run's dialogs that no simulated user sent.</param>
/// <param name="Unreadable">Dialogs that could not be read to the end (a page kept failing).</param>
public sealed record Delivery(long Acknowledged, long Stored, long Missing, long Duplicated, long StoredUnacknowledged, long Unexpected,
    int Unreadable, IReadOnlyList<SendRecord> MissingSends, IReadOnlyList<string> Examples);
