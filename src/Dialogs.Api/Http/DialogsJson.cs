using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Dialogs.Api.Http;

/// <summary>
/// The JSON of the dialog shapes: compile-time metadata, which reads a send's body and describes the shapes to the
/// OpenAPI document without reflection, and the writer of the messages a send or a page answers with
/// (<see cref="WriteMessage"/>). snake_case like the contract's created_at; the shapes name their members explicitly
/// anyway.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SendMessageRequest))]
[JsonSerializable(typeof(DialogMessage))]
[JsonSerializable(typeof(IReadOnlyList<DialogMessage>))]
internal sealed partial class DialogsJson : JsonSerializerContext
{
    /// <summary>
    /// How the dialog responses write message texts: letters of every script as UTF-8, so a Cyrillic text takes a third
    /// of the bytes its \uXXXX escapes would (the default encoder escapes everything outside ASCII); HTML-sensitive
    /// characters (&lt;, &gt;, &amp;, ', ", +, `), controls and characters outside the BMP stay escaped, so a response
    /// pasted into a page still cannot open a tag. Given to the writers of those responses (<see cref="StartOk"/>).
    /// </summary>
    public static readonly JavaScriptEncoder TextEncoder = JavaScriptEncoder.Create(UnicodeRanges.All);

    /// <summary>
    /// Starts a 200 OK response of dialog messages, not to be stored by any cache: the writer over its body, for
    /// <see cref="WriteMessage"/>.
    /// </summary>
    public static Utf8JsonWriter StartOk(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        // Private messages: no cache, a browser's or a proxy's, keeps a copy (RFC 9111, 5.2.2.5).
        context.Response.Headers.CacheControl = "no-store";
        return new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Encoder = TextEncoder, Indented = options.WriteIndented });
    }

    /// <summary>
    /// Writes one message, member by member as the generated serializer would, but for created_at: that one always
    /// has its three digits of milliseconds, "2026-11-23T03:54:01.040Z" as JavaScript's toISOString writes it.
    /// System.Text.Json drops a fraction's trailing zeros, all of it on a whole second ("...:01.04Z", "...:01Z"): a
    /// client that parses with a fixed pattern fails on one message in ten, one that needs a fraction (Swift's
    /// ISO8601DateFormatter with fractional seconds) on one in a thousand. A converter for it would take the generated
    /// code off its fast path, and hand-written is as quick as that path. Milliseconds are all a message's time has: it is
    /// its send id's, a UUIDv7 (<see cref="MessageId.CreatedAt"/>).
    /// </summary>
    public static void WriteMessage(Utf8JsonWriter writer, DialogMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString(IdName, message.Id);
        writer.WriteString(FromName, message.From);
        writer.WriteString(ToName, message.To);
        writer.WriteString(TextName, message.Text);
        // "O" is the runtime's quick round-trip format, "yyyy-MM-ddTHH:mm:ss.fffffffZ" for a UTC time: cut to milliseconds.
        Span<byte> time = stackalloc byte[RoundTripLength];
        // System.DateTime in full: inside this context DateTime names its generated metadata property.
        var utc = message.CreatedAt.Kind == DateTimeKind.Local
            ? message.CreatedAt.ToUniversalTime()
            : System.DateTime.SpecifyKind(message.CreatedAt, DateTimeKind.Utc);
        utc.TryFormat(time, out _, "O", CultureInfo.InvariantCulture);
        time[MillisecondsLength] = (byte)'Z';
        writer.WriteString(CreatedAtName, time[..(MillisecondsLength + 1)]);
        writer.WriteEndObject();
    }

    private const int RoundTripLength = 28, MillisecondsLength = 23;

    // The names the record gives its members for the generated serializer and the OpenAPI document (JsonTests: the same).
    private static readonly JsonEncodedText IdName = JsonEncodedText.Encode("id"), FromName = JsonEncodedText.Encode("from"),
        ToName = JsonEncodedText.Encode("to"), TextName = JsonEncodedText.Encode("text"), CreatedAtName = JsonEncodedText.Encode("created_at");

    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // {"text":"a","text":"b"} (or "Text" and "text": names are matched ignoring case) is refused, not read as
        // whichever came last: a proxy or a client library reading the first would see another message.
        options.AllowDuplicateProperties = false;
        // Numbers are written as numbers, and read only as numbers: the web defaults also read "5432" for 5432, and
        // the OpenAPI document then gives every number the type integer-or-string, which generated clients inherit.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.TypeInfoResolverChain.Insert(0, Default);
    }
}
