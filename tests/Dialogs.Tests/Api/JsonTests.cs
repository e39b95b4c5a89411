using Dialogs.Api.Http;
using Dialogs.Api.Messaging;
using Dialogs.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dialogs.Tests.Api;

/// <summary>The hot responses are written by the generated serializers, not by reflection-built ones.</summary>
public sealed class JsonTests(PlainPostgres database)
{
    [Theory]
    [InlineData(typeof(DialogMessage))]
    [InlineData(typeof(List<DialogMessage>))]
    [InlineData(typeof(SendMessageRequest))]
    public void The_dialog_shapes_use_the_generated_serializers(Type shape)
    {
        var options = database.ApiServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

        Assert.Same(DialogsJson.Default, options.GetTypeInfo(shape).OriginatingResolver);
    }
}
