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

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
