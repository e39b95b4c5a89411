using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Dialogs.Api.Messaging;

/// <summary>
/// Makes UUIDv7 ids without coordination between API instances: a send's own id, which recognises a repeat of its
/// insert (a stored message's id the database stamps, in commit order: migration 0002), and the ids of the
/// benchmark's synthetic history, loaded without the API. Within one instance ids strictly increase, even
/// for many sends in one millisecond or when the clock steps back (RFC 9562 §6.2, method 1: a 12-bit counter
/// seeded at random each millisecond; on overflow the timestamp borrows the next millisecond).
/// </summary>
public sealed class MessageIdGenerator(TimeProvider clock)
{
    private const int CounterBits = 12;
    private const int CounterLimit = 1 << CounterBits;

    private readonly Lock _gate = new();
    private long _lastMilliseconds;
    private int _counter;

    public MessageId Next()
    {
        long milliseconds;
        int counter;
        lock (_gate)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (now > _lastMilliseconds)
            {
                _lastMilliseconds = now;
                // Start low in the range so a burst within the millisecond has room to count up.
                _counter = RandomNumberGenerator.GetInt32(CounterLimit / 2);
            }
            else if (++_counter == CounterLimit)
            {
                _lastMilliseconds++;
                _counter = 0;
            }

            milliseconds = _lastMilliseconds;
            counter = _counter;
        }

        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes[8..]);
        BinaryPrimitives.WriteUInt64BigEndian(bytes, ((ulong)milliseconds << 16) | (0x7UL << 12) | (uint)counter);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new MessageId(new Guid(bytes, bigEndian: true));
    }
}
