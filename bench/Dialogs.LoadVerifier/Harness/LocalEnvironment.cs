using Dialogs.LoadVerifier.Cli;
using Dialogs.Local;
using Dialogs.Local.Cluster;

namespace Dialogs.LoadVerifier.Harness;

/// <summary>
/// A fresh cluster and API for one run, all inside the run's folder: the API built into api/, the nodes in nodes/,
/// the API's log in api.log. Disposing stops everything that runs from the folder, found by what only this run's
/// processes have (a data directory with a postmaster.pid under nodes/, a command line naming this run's API build),
/// so a run that failed half-way through starting, or was cancelled, leaves no process behind either. The logs are
/// kept; the data and the build are deleted.
/// </summary>
public sealed class LocalEnvironment : IAsyncDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    // Every request at Information is megabytes a minute; retries (Information) and 503s (Warning) are what matters.
    private static readonly Dictionary<string, string> ApiSettings = new()
    {
        ["Logging:LogLevel:Microsoft"] = "Warning",
        ["Logging:LogLevel:Npgsql"] = "Warning",
    };

    private readonly PostgresInstallation _postgres;
    private readonly string _folder;
    private HttpClient? _http;
    private VerifierTarget? _target;

    private LocalEnvironment(PostgresInstallation postgres, string folder)
    {
        _postgres = postgres;
        _folder = folder;
    }

    public VerifierTarget Target => _target ?? throw new InvalidOperationException("The environment has not started.");
    private string ApiLog => Path.Combine(_folder, "api.log");
    private string ApiBuild => Path.Combine(_folder, "api");
    private string NodesFolder => Path.Combine(_folder, "nodes");
    private string LogsFolder => Path.Combine(_folder, "logs");

    public static async Task<LocalEnvironment> StartAsync(string folder, EnvironmentOptions options, Action<string> progress, CancellationToken ct)
    {
        var postgres = await PostgresInstallation.FindAsync();
        if (!postgres.HasCitus)
        {
            throw new InvalidOperationException($"The Citus extension is not installed for {postgres.BinDirectory} "
                + $"(no citus.control in {postgres.ExtensionDirectory}): resharding needs a Citus cluster.");
        }

        Directory.CreateDirectory(folder);
        var environment = new LocalEnvironment(postgres, Path.GetFullPath(folder));
        try
        {
            await environment.StartAsync(options, progress, ct);
            return environment;
        }
        catch
        {
            await environment.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(EnvironmentOptions options, Action<string> progress, CancellationToken ct)
    {
        progress($"building the API (Release) into {ApiBuild}");
        await LocalApi.BuildAsync(LocalApi.FindRepositoryRoot(), ApiBuild, ct);

        progress($"starting a Citus coordinator and {options.Workers} workers in {NodesFolder}");
        var cluster = await LocalCluster.CreateAsync(_postgres, NodesFolder, citus: true, options.Workers, Durability.Fast, ct);
        progress($"migrating ({options.Shards} shards)");
        await cluster.MigrateAsync(options.Shards, ct);

        var tokens = DevTokens.CreateNew();
        progress($"starting the API (log: {ApiLog})");
        var api = await LocalApi.StartAsync(ApiBuild, LocalNode.FreePorts(1)[0], cluster.Coordinator.ConnectionString(), tokens, ApiLog,
            ApiSettings, ct);
        _http = new HttpClient { BaseAddress = new Uri(api.Url), Timeout = RequestTimeout };
        _target = new VerifierTarget(_http, tokens, cluster);
        progress($"API at {api.Url} (pid {api.Pid})");
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        await LocalApi.StopAllFromAsync(ApiBuild);

        if (Directory.Exists(NodesFolder))
        {
            await LocalNode.StopAllUnderAsync(_postgres, NodesFolder);
            Directory.CreateDirectory(LogsFolder);
            foreach (var log in Directory.EnumerateFiles(NodesFolder, "postgres.log", SearchOption.AllDirectories))
            {
                File.Copy(log, Path.Combine(LogsFolder, $"{Path.GetFileName(Path.GetDirectoryName(log))}.log"), overwrite: true);
            }

            Directory.Delete(NodesFolder, recursive: true);
        }

        if (Directory.Exists(ApiBuild))
        {
            Directory.Delete(ApiBuild, recursive: true);
        }
    }
}
