using System.Reflection;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Http.Metadata;

namespace Dialogs.Api.Http;

/// <summary>
/// A stored message, 200 OK, written as a page writes each of its messages (<see cref="DialogsJson.WriteMessage"/>),
/// so a send's answer spells its text and time as the pages will.
/// </summary>
public sealed class MessageResult(DialogMessage stored) : IResult, IEndpointMetadataProvider
{
    public async Task ExecuteAsync(HttpContext context)
    {
        await using var writer = DialogsJson.StartOk(context);
        DialogsJson.WriteMessage(writer, stored);
        await writer.FlushAsync(context.RequestAborted);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(DialogMessage), ["application/json"]));
}
