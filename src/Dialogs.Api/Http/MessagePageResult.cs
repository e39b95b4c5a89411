using System.Reflection;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Http.Metadata;

namespace Dialogs.Api.Http;

/// <summary>
/// A page of messages, 200 OK with a JSON array, written message by message (<see cref="DialogsJson.WriteMessage"/>)
/// and sent in pieces of <see cref="FlushBytes"/>, so the JSON of a 200-message page of long texts is never held whole
/// (its messages are: the page is read whole from the database first). A HEAD request gets the status and headers
/// alone.
/// </summary>
public sealed class MessagePageResult(IReadOnlyList<DialogMessage> messages) : IResult, IEndpointMetadataProvider
{
    private const int FlushBytes = 16 * 1024;

    public async Task ExecuteAsync(HttpContext context)
    {
        await using var writer = DialogsJson.StartOk(context);
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var body = context.Response.BodyWriter;
        writer.WriteStartArray();
        var flushed = 0L;
        foreach (var item in messages)
        {
            DialogsJson.WriteMessage(writer, item);
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
