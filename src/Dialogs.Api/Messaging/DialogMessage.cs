using System.Text.Json.Serialization;

namespace Dialogs.Api.Messaging;

// The OpenAPI document publishes this summary as the shape's description (the build's XML comments).
/// <summary>A stored message: the base contract's from, to and text, with its id (a paging cursor) and created_at.</summary>
public sealed record DialogMessage(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt);
