namespace Dialogs.Tests.Telemetry;

/// <summary>
/// Just enough of the protobuf wire format to read what the real OTLP exporter sends: a message is a list of fields,
/// each a varint, a fixed 32/64-bit value or a length-delimited payload (string, bytes or nested message).
/// </summary>
public sealed record ProtoField(int Number, ulong Value, ReadOnlyMemory<byte> Payload)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Payload.Span);

    public IEnumerable<ProtoField> Fields => Protobuf.Read(Payload);

    public IEnumerable<ProtoField> All(int number) => Fields.Where(field => field.Number == number);

    public ProtoField? One(int number) => Fields.LastOrDefault(field => field.Number == number);
}

public static class Protobuf
{
    public static IEnumerable<ProtoField> Read(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message.Span, ref position);
            var (number, wireType) = ((int)(key >> 3), (int)(key & 7));
            switch (wireType)
            {
                case 0:
                    yield return new ProtoField(number, Varint(message.Span, ref position), default);
                    break;
                case 1:
                    yield return new ProtoField(number, BitConverter.ToUInt64(message.Span.Slice(position, 8)), default);
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref position);
                    yield return new ProtoField(number, 0, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    yield return new ProtoField(number, BitConverter.ToUInt32(message.Span.Slice(position, 4)), default);
                    position += 4;
                    break;
                default:
                    throw new FormatException($"wire type {wireType} is not used by OTLP");
            }
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
