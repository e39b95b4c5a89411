using System.Reflection;
using System.Text.Json;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Http.Metadata;

namespace Dialogs.Api.Http;

/// <summary>
/// A page of messages, 200 OK with a JSON array, written message by message by the generated serializer.
/// System.Text.Json, asked to stream a whole page, writes it through its converters instead once a page has come out
/// larger than half its buffer (8 KB), as a 50-message page does, and from then on for every page. One message at a
/// time keeps the generated code for pages of any size, and the page goes out in pieces of <see cref="FlushBytes"/>,
/// so a 200-message page of long texts is never held whole. A HEAD request gets the status and headers alone.
/// </summary>
public sealed class MessagePageResult(IReadOnlyList<DialogMessage> messages) : IResult, IEndpointMetadataProvider
{
    private const int FlushBytes = 16 * 1024;

    public async Task ExecuteAsync(HttpContext context)
    {
        await using var writer = DialogsJson.StartOk(context, out var message);
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var body = context.Response.BodyWriter;
        writer.WriteStartArray();
        var flushed = 0L;
        foreach (var item in messages)
        {
            JsonSerializer.Serialize(writer, item, message);
            if (writer.BytesCommitted + writer.BytesPending - flushed >= FlushBytes)
            {
                await writer.FlushAsync(context.RequestAborted);
                await body.FlushAsync(context.RequestAborted);
                flushed = writer.BytesCommitted;
            }
        }

        writer.WriteEndArray();
        await writer.FlushAsync(context.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(IReadOnlyList<DialogMessage>), ["application/json"]));
}
