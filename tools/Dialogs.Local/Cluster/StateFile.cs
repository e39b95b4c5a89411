using System.Text.Json;

namespace Dialogs.Local.Cluster;

/// <summary>
/// The tool's JSON state files (cluster.json, service.json): written whole or not at all, and a damaged one named with
/// what to do, rather than a stack trace.
/// </summary>
public static class StateFile
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <returns>The state, or null where the file does not exist.</returns>
    /// <exception cref="InvalidOperationException">The file is not what this tool wrote.</exception>
    public static T? Read<T>(string path, string ifDamaged) where T : class
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path))
                ?? throw new JsonException("it holds null");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} is damaged ({e.Message}): {ifDamaged}", e);
        }
    }

    /// <summary>
    /// Written beside, then renamed over the file: a write cut short (Ctrl+C, a full disk, a crash) leaves the previous
    /// state, never half of it.
    /// </summary>
    public static void Write<T>(string path, T state, UnixFileMode? mode = null)
    {
        var written = path + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (mode is { } unixMode && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = unixMode;
            if (File.Exists(written))
            {
                File.SetUnixFileMode(written, unixMode); // left by a write cut short, perhaps by an earlier version
            }
        }

        using (var file = new FileStream(written, options))
        {
            JsonSerializer.Serialize(file, state, Indented);
            file.Flush(flushToDisk: true);
        }

        File.Move(written, path, overwrite: true);
    }
}
