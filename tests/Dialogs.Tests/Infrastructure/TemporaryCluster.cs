using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Infrastructure;

/// <summary>A local cluster in a temporary folder that is stopped and deleted when disposed.</summary>
public sealed class TemporaryCluster : IAsyncDisposable
{
    private readonly string _folder;

    private TemporaryCluster(string folder, LocalCluster cluster)
    {
        _folder = folder;
        Cluster = cluster;
    }

    public LocalCluster Cluster { get; }

    public static async Task<TemporaryCluster> StartAsync(PostgresInstallation postgres, bool citus, int workers)
    {
        var folder = Directory.CreateTempSubdirectory("dialogs-tests-").FullName;
        try
        {
            return new TemporaryCluster(folder, await LocalCluster.CreateAsync(postgres, folder, citus, workers, Durability.Fast));
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// A migrated Citus cluster of one test's own, for tests that change the topology the shared cluster must keep;
    /// the test reports itself skipped, naming <paramref name="what"/>, where Citus is not installed.
    /// </summary>
    public static async Task<TemporaryCluster> StartCitusAsync(int workers, int shardCount, string what, CancellationToken ct)
    {
        var nodes = await StartUnmigratedCitusAsync(workers, what);
        try
        {
            await nodes.Cluster.MigrateAsync(shardCount, ct);
            return nodes;
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }
    }

    /// <summary>The same before the migrator has run: the Citus extension and the nodes, no schema.</summary>
    public static async Task<TemporaryCluster> StartUnmigratedCitusAsync(int workers, string what)
    {
        var postgres = await PostgresInstallation.FindAsync();
        RequireCitus(postgres, what);
        return await StartAsync(postgres, citus: true, workers);
    }

    /// <summary>Marks the calling test skipped, saying so loudly, where Citus is not installed.</summary>
    public static void RequireCitus(PostgresInstallation postgres, string what)
    {
        if (CitusMissing(postgres, what) is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    /// <summary>Why <paramref name="what"/> cannot run on this machine, or null where Citus is installed.</summary>
    public static string? CitusMissing(PostgresInstallation postgres, string what) => postgres.HasCitus ? null
        : $"SKIPPED: the Citus extension is not installed for {postgres.BinDirectory} "
          + $"(no citus.control in {postgres.ExtensionDirectory}); {what} did not run.";

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
