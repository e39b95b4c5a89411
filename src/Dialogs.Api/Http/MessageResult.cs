using System.Reflection;
using System.Text.Json;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Http.Metadata;

namespace Dialogs.Api.Http;

/// <summary>
/// A stored message, 200 OK, written as a page writes each of its messages (<see cref="DialogsJson.StartOk"/>), so a
/// send's answer spells its text as the pages will.
/// </summary>
public sealed class MessageResult(DialogMessage stored) : IResult, IEndpointMetadataProvider
{
    public async Task ExecuteAsync(HttpContext context)
    {
        await using var writer = DialogsJson.StartOk(context, out var message);
        JsonSerializer.Serialize(writer, stored, message);
        await writer.FlushAsync(context.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(DialogMessage), ["application/json"]));
}
