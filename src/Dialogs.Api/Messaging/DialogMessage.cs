using System.Text.Json.Serialization;

namespace Dialogs.Api.Messaging;

/// <summary>A stored message, in the base contract's shape plus our id and created_at.</summary>
public sealed record DialogMessage(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("created_at")] DateTime CreatedAt);
