using Dialogs.Local;
using Dialogs.Local.Cluster;
using Npgsql;

namespace Dialogs.Bench.Harness;

public enum ClusterKind
{
    Citus,
    Plain,
}

/// <summary>What to start: the cluster's shape, where its files go, and extra API configuration ("Section:Key" names).</summary>
public sealed record BenchClusterSpec(ClusterKind Kind, int Workers, int ShardCount, Durability Durability, string Folder,
    IReadOnlyDictionary<string, string> ApiSettings);

/// <summary>
/// A throwaway cluster for one benchmark: a Citus coordinator with workers (or one plain PostgreSQL node), migrated,
/// with the built API started in front of it as its own process, so its memory can be read as a deployment's would.
/// Disposing stops the API and the nodes. The folder stays, with the logs a failure needs, until the run's work folder
/// is cleaned up.
/// </summary>
public sealed class BenchCluster : IAsyncDisposable
{
    private readonly BenchClusterSpec _spec;
    private LocalApi? _api;

    private BenchCluster(BenchClusterSpec spec, LocalCluster nodes)
    {
        _spec = spec;
        Kind = spec.Kind;
        Nodes = nodes;
    }

    public ClusterKind Kind { get; }
    public LocalCluster Nodes { get; }
    public LocalApi Api => _api ?? throw new InvalidOperationException("The API has not been started.");
    public string ConnectionString => Nodes.Coordinator.ConnectionString();

    public static async Task<BenchCluster> StartAsync(BenchClusterSpec spec, PostgresInstallation postgres, string apiBuild,
        DevTokens tokens, CancellationToken ct)
    {
        var nodes = await LocalCluster.CreateAsync(postgres, Path.Combine(spec.Folder, "nodes"), spec.Kind == ClusterKind.Citus,
            spec.Workers, spec.Durability, ct);
        var cluster = new BenchCluster(spec, nodes);
        try
        {
            ct.ThrowIfCancellationRequested();
            await cluster.Nodes.MigrateAsync(spec.ShardCount, ct);
            cluster._api = await LocalApi.StartAsync(apiBuild, LocalNode.FreePorts(1)[0], cluster.ConnectionString, tokens,
                Path.Combine(spec.Folder, "api.log"), spec.ApiSettings, ct);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>What runs where, in words: the server and Citus versions, the nodes, the shards, the durability.</summary>
    public async Task<string> DescribeAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var versions = new NpgsqlCommand(
            "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'citus')", connection);
        await using var reader = await versions.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var server = $"PostgreSQL {reader.GetString(0)}";
        var durability = _spec.Durability == Durability.Safe ? "fsync on" : "fsync off";
        return Kind == ClusterKind.Citus
            ? $"{server}, Citus {reader.GetString(1)}, coordinator + {Nodes.Workers.Count} workers, {_spec.ShardCount} shards, {durability}"
            : $"{server}, one node, {durability}";
    }

    /// <summary>The nodes' postmaster pids: each server is that process and its children.</summary>
    public IReadOnlyList<int> ServerPids() => Nodes.Nodes.Select(node => node.PostmasterPid()).ToList();

    /// <summary>Copies the logs of the cluster in <paramref name="folder"/> (its nodes' and its API's), also of one that failed to start.</summary>
    public static void PreserveLogs(string folder, string destination)
    {
        if (!Directory.Exists(folder))
        {
            return; // it failed before it had any
        }

        Directory.CreateDirectory(destination);
        foreach (var log in Directory.EnumerateFiles(folder, "*.log", SearchOption.AllDirectories))
        {
            var name = Path.GetRelativePath(folder, log).Replace(Path.DirectorySeparatorChar, '-');
            File.Copy(log, Path.Combine(destination, name), overwrite: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.StopAsync();
        }

        await Nodes.StopAsync();
    }
}
