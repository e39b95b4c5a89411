using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dialogs.Bench.Reporting;

/// <summary>Writes a run's Markdown report and the JSON of all its numbers side by side: NAME.md and NAME.json.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <returns>The paths written.</returns>
    public static async Task<string[]> WriteAsync<T>(string folder, string name, string markdown, T data, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        var markdownPath = Path.Combine(folder, $"{name}.md");
        var jsonPath = Path.Combine(folder, $"{name}.json");
        await File.WriteAllTextAsync(markdownPath, markdown, ct);
        await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(data, Json), ct);
        return [markdownPath, jsonPath];
    }
}
