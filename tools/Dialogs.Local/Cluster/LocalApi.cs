using Dialogs.Cluster;

namespace Dialogs.Local.Cluster;

/// <summary>
/// The API as its own process, as in production: built once into a folder, then started in the background against a
/// cluster, with its output in a log file. Used by the run command, the load verifier and the benchmark.
/// </summary>
public sealed class LocalApi
{
    public const string ProcessMarker = "Dialogs.Api.dll";
    /// <summary>The runtime's switch for running socket completions inline (System.Net.Sockets reads it once, at the first socket).</summary>
    public const string InlineSocketCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    // The API's command line names its build by full path: a pid that another folder's API (another clone's, the
    // benchmark's) has taken since is not this one.
    private readonly string _marker;

    private LocalApi(string apiFolder, int pid, string url)
    {
        _marker = MarkerOf(apiFolder);
        Pid = pid;
        Url = url;
    }

    public int Pid { get; }
    public string Url { get; }

    /// <summary>The repository that contains the current directory (the folder with Dialogs.sln).</summary>
    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dialogs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run this inside the Dialogs repository (no Dialogs.sln found above the current folder).");
    }

    /// <summary>Builds the API (Release) into <paramref name="outputFolder"/>.</summary>
    public static Task BuildAsync(string repositoryRoot, string outputFolder, CancellationToken ct) =>
        Processes.RunAsync("dotnet",
            ["build", Path.Combine(repositoryRoot, "src", "Dialogs.Api", "Dialogs.Api.csproj"), "-c", "Release", "-o", outputFolder, "--nologo", "-v", "q"],
            ct: ct);

    /// <summary>Starts the built API and waits until /health answers 200.</summary>
    /// <param name="settings">More configuration, as "Section:Key" names (environment variables are derived).</param>
    public static async Task<LocalApi> StartAsync(string apiFolder, int port, string connectionString, DevTokens tokens,
        string logPath, IReadOnlyDictionary<string, string>? settings = null, CancellationToken ct = default)
    {
        var url = $"http://{LocalNode.Host}:{port}";
        var configuration = new Dictionary<string, string>
        {
            [$"ConnectionStrings:{DialogsDatabase.ConnectionStringName}"] = connectionString,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            configuration[key] = value;
        }

        // Settings go as --Key=value arguments: through /bin/sh an environment variable whose name has a dot (a
        // logging category, say) would be dropped. The API folder is the content root, so appsettings.json applies.
        string[] arguments = [Path.Combine(apiFolder, ProcessMarker), $"--urls={url}", .. configuration.Select(setting => $"--{setting.Key}={setting.Value}")];
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            // The runtime's default socket scheduling, as deployed, whatever the starting process chose for itself
            // (the benchmark's load generator runs its socket completions inline).
            [InlineSocketCompletionsVariable] = "0",
        };
        // The token issuer's signing key goes in the environment, which only this user can read (/proc/<pid>/environ),
        // not on the command line, which every user can (ps). These names have no dot to lose.
        foreach (var (key, value) in tokens.ApiConfiguration)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var api = new LocalApi(apiFolder, Processes.StartDetached("dotnet", arguments, apiFolder, logPath, environment), url);
        try
        {
            await api.WaitHealthyAsync(logPath, ct);
            return api;
        }
        catch
        {
            await api.StopAsync();
            throw;
        }
    }

    /// <summary>The API process started earlier from <paramref name="apiFolder"/> with this pid, if it still runs.</summary>
    public static LocalApi? Find(string apiFolder, int pid, int port) =>
        Processes.IsAlive(pid, MarkerOf(apiFolder)) ? new LocalApi(apiFolder, pid, $"http://{LocalNode.Host}:{port}") : null;

    public Task StopAsync() => Processes.StopAsync(Pid, _marker, StopGrace);

    /// <summary>
    /// Stops every API process running from the build in <paramref name="apiFolder"/>, knowing nothing else of them:
    /// what clears up after a run that was killed, or cancelled while its API was starting.
    /// </summary>
    /// <returns>How many were running.</returns>
    public static async Task<int> StopAllFromAsync(string apiFolder)
    {
        var running = RunningFrom(apiFolder);
        foreach (var pid in running)
        {
            await Processes.StopAsync(pid, MarkerOf(apiFolder), StopGrace);
        }

        return running.Count;
    }

    /// <summary>The pids of the API processes running from the build in <paramref name="apiFolder"/>.</summary>
    public static IReadOnlyList<int> RunningFrom(string apiFolder) => Processes.FindRunning(MarkerOf(apiFolder));

    // The whole argument: with the space before it (the command line's NULs read as spaces), the API of a folder whose
    // path ends with this one's (/a/b and /x/a/b) is not taken for this folder's.
    private static string MarkerOf(string apiFolder) => " " + Path.Combine(apiFolder, ProcessMarker);

    /// <summary>The status /health answers with, or null where the API does not answer within <paramref name="wait"/>.</summary>
    public async Task<int?> HealthAsync(TimeSpan wait, CancellationToken ct = default)
    {
        using var http = new HttpClient { Timeout = wait };
        try
        {
            using var health = await http.GetAsync($"{Url}/health", ct);
            return (int)health.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException || e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task WaitHealthyAsync(string logPath, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Processes.HasEnded(Pid))
            {
                throw new InvalidOperationException($"The API exited during startup; see {logPath}.");
            }

            // No answer yet: not listening yet, or its first /health took longer than this waits (a cold start's database check).
            if (await HealthAsync(TimeSpan.FromSeconds(5), ct) is >= 200 and < 300)
            {
                return;
            }

            await Task.Delay(250, ct);
        }

        throw new InvalidOperationException($"The API did not become healthy within {StartTimeout.TotalSeconds:0} s; see {logPath}.");
    }
}
