using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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
    public static TheoryData<Type> Shapes => [typeof(DialogMessage), typeof(List<DialogMessage>), typeof(IReadOnlyList<DialogMessage>), typeof(SendMessageRequest)];

    private JsonSerializerOptions Options => database.ApiServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_dialog_shapes_use_the_generated_serializers(Type shape) =>
        Assert.Same(DialogsJson.Default, Options.GetTypeInfo(shape).OriginatingResolver);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_options_let_the_generated_code_write_directly(Type shape)
    {
        // System.Text.Json's own test for its fast path; internal, so read by reflection. Should a newer .NET rename
        // it, this fails here, and a profile of a page read shows whether converters write the responses again.
        var canUseFastPath = typeof(JsonTypeInfo).GetProperty("CanUseSerializeHandler", BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new InvalidOperationException("JsonTypeInfo.CanUseSerializeHandler is gone from this .NET.");

        Assert.True((bool)canUseFastPath.GetValue(Options.GetTypeInfo(shape))!);
    }
}
