using System.Buffers.Binary;
using System.Numerics;

namespace Dialogs.Api.Storage;

/// <summary>
/// PostgreSQL's hash of a uuid (uuid_hash = hash_bytes over its 16 bytes, Bob Jenkins' lookup3 as in
/// src/common/hashfn.c, little-endian words), which Citus uses to pick a hash-distributed row's shard. Knowing it,
/// the API can tell which shard and worker serve a dialog without asking the database.
/// </summary>
public static class PostgresHash
{
    public static int Uuid(Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes, bigEndian: true, out _);
        return unchecked((int)HashBytes(bytes));
    }

    private static uint HashBytes(ReadOnlySpan<byte> key)
    {
        uint a, b, c;
        a = b = c = unchecked(0x9e3779b9 + (uint)key.Length + 3923095);
        while (key.Length >= 12)
        {
            a += Word(key, 0);
            b += Word(key, 4);
            c += Word(key, 8);
            Mix(ref a, ref b, ref c);
            key = key[12..];
        }

        // The tail, as hashfn.c adds it on little-endian machines (the lowest byte of c stays for the length).
        switch (key.Length)
        {
            case 11: c += (uint)key[10] << 24; goto case 10;
            case 10: c += (uint)key[9] << 16; goto case 9;
            case 9: c += (uint)key[8] << 8; goto case 8;
            case 8: b += Word(key, 4); a += Word(key, 0); break;
            case 7: b += (uint)key[6] << 16; goto case 6;
            case 6: b += (uint)key[5] << 8; goto case 5;
            case 5: b += key[4]; goto case 4;
            case 4: a += Word(key, 0); break;
            case 3: a += (uint)key[2] << 16; goto case 2;
            case 2: a += (uint)key[1] << 8; goto case 1;
            case 1: a += key[0]; break;
        }

        Final(ref a, ref b, ref c);
        return c;
    }

    private static uint Word(ReadOnlySpan<byte> key, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(key[offset..]);

    private static void Mix(ref uint a, ref uint b, ref uint c)
    {
        a -= c; a ^= BitOperations.RotateLeft(c, 4); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 6); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 8); b += a;
        a -= c; a ^= BitOperations.RotateLeft(c, 16); c += b;
        b -= a; b ^= BitOperations.RotateLeft(a, 19); a += c;
        c -= b; c ^= BitOperations.RotateLeft(b, 4); b += a;
    }

    private static void Final(ref uint a, ref uint b, ref uint c)
    {
        c ^= b; c -= BitOperations.RotateLeft(b, 14);
        a ^= c; a -= BitOperations.RotateLeft(c, 11);
        b ^= a; b -= BitOperations.RotateLeft(a, 25);
        c ^= b; c -= BitOperations.RotateLeft(b, 16);
        a ^= c; a -= BitOperations.RotateLeft(c, 4);
        b ^= a; b -= BitOperations.RotateLeft(a, 14);
        c ^= b; c -= BitOperations.RotateLeft(b, 24);
    }
}
