using System.Security.Cryptography;
using System.Text;

namespace Dialogs.Api.Messaging;

/// <summary>
/// The distribution key of a dialog: the same for A→B and B→A, so a dialog's messages share one shard, while the
/// many dialogs of one busy user hash to different shards. It is stored in every row, so the derivation below is
/// part of the storage format and must never change.
/// </summary>
public readonly record struct DialogKey(Guid Value)
{
    public static DialogKey Between(UserId one, UserId other)
    {
        var (low, high) = string.CompareOrdinal(one.Value, other.Value) < 0 ? (one, other) : (other, one);
        // ':' cannot occur in a user id, so distinct pairs give distinct inputs.
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes($"{low.Value}:{high.Value}"));
        var bytes = hash.AsSpan(0, 16);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // RFC 9562 version 8: a custom, name-derived UUID
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new DialogKey(new Guid(bytes, bigEndian: true));
    }
}
