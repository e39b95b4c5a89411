using System.Buffers.Binary;

namespace Dialogs.Api.Messaging;

/// <summary>
/// A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds first, so ids sort by time in PostgreSQL's uuid order and a
/// page is a range scan of the primary key. Clients see it as an opaque string and use it as a paging cursor.
/// </summary>
public readonly record struct MessageId(Guid Value)
{
    /// <summary>Sorts after every real id: the cursor of "the newest page".</summary>
    public static readonly MessageId MaxValue = new(Guid.AllBitsSet);

    public DateTime CreatedAt
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            Value.TryWriteBytes(bytes, bigEndian: true, out _);
            var milliseconds = (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) >> 16);
            return DateTime.UnixEpoch.AddMilliseconds(Math.Min(milliseconds, LastMillisecond));
        }
    }

    /// <summary>
    /// 48 bits of milliseconds reach the year 10889, DateTime only 9999: an id stored behind the service's back (a
    /// UUIDv4, or a v7 of another clock) can carry a time past that, and reads as DateTime's last millisecond rather
    /// than failing the page that holds it.
    /// </summary>
    private static readonly long LastMillisecond = (DateTime.MaxValue - DateTime.UnixEpoch).Ticks / TimeSpan.TicksPerMillisecond;

    public static bool TryParse(string? candidate, out MessageId id)
    {
        // Exactly its 36 characters: the parser would also take one with white space around it.
        var parsed = Guid.TryParseExact(candidate, "D", out var value) && candidate.Length == 36;
        id = new MessageId(value);
        return parsed;
    }

    public override string ToString() => Value.ToString("D");
}
