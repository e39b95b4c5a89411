using System.Text.Json;
using System.Text.Json.Serialization;
using Dialogs.Api.Messaging;

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
        options.TypeInfoResolverChain.Insert(0, Default);
    }
}
