using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Dialogs.Api.Http;

/// <summary>
/// Compile-time JSON for the dialog shapes: a page of 50 messages is written by generated code straight to the
/// response instead of through reflection-built converters. snake_case like the contract's created_at; the shapes name
/// their members explicitly anyway.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(SendMessageRequest))]
[JsonSerializable(typeof(DialogMessage))]
[JsonSerializable(typeof(IReadOnlyList<DialogMessage>))]
// A page is declared as a read-only list but is a List at run time, and the response is written for the runtime type.
[JsonSerializable(typeof(List<DialogMessage>))]
internal sealed partial class DialogsJson : JsonSerializerContext
{
    /// <summary>
    /// How the dialog responses write message texts: letters of every script as UTF-8, so a Cyrillic text takes a third
    /// of the bytes its \uXXXX escapes would (the default encoder escapes everything outside ASCII); HTML-sensitive
    /// characters (&lt;, &gt;, &amp;, ', ", +, `), controls and characters outside the BMP stay escaped, so a response
    /// pasted into a page still cannot open a tag. Given to the writers of those responses (<see cref="StartOk"/>),
    /// not to the options: with an encoder in the options the generated code would not write directly.
    /// </summary>
    public static readonly JavaScriptEncoder TextEncoder = JavaScriptEncoder.Create(UnicodeRanges.All);

    /// <summary>
    /// Starts a 200 OK response of dialog messages, not to be stored by any cache: the writer over its body, and the
    /// generated code for a message.
    /// </summary>
    public static Utf8JsonWriter StartOk(HttpContext context, out JsonTypeInfo<DialogMessage> message)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        message = (JsonTypeInfo<DialogMessage>)options.GetTypeInfo(typeof(DialogMessage));
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        // Private messages: no cache, a browser's or a proxy's, keeps a copy (RFC 9111, 5.2.2.5).
        context.Response.Headers.CacheControl = "no-store";
        return new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { Encoder = TextEncoder, Indented = options.WriteIndented });
    }

    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        // ASP.NET Core names JavaScriptEncoder.Default explicitly. Null means that very encoder to System.Text.Json,
        // and only with null may the generated code write directly (its fast path); otherwise every response goes
        // through the converters.
        options.Encoder = null;
        // {"text":"a","text":"b"} (or "Text" and "text": names are matched ignoring case) is refused, not read as
        // whichever came last: a proxy or a client library reading the first would see another message.
        options.AllowDuplicateProperties = false;
        // Numbers are written as numbers, and read only as numbers: the web defaults also read "5432" for 5432, and
        // the OpenAPI document then gives every number the type integer-or-string, which generated clients inherit.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.TypeInfoResolverChain.Insert(0, Default);
    }
}
