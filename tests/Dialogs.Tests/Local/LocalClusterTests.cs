using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Local;

public sealed class LocalClusterTests
{
    [Fact]
    public async Task A_removed_worker_is_stopped_deleted_and_not_started_again_and_its_name_goes_to_the_next_worker()
    {
        await using var nodes = await TemporaryCluster.StartUnmigratedCitusAsync(workers: 2, "the local worker removal test");
        var cluster = nodes.Cluster;
        var (first, second) = (cluster.Workers[0], cluster.Workers[1]);
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(first.LogPath))!;

        Assert.Same(first, await cluster.ForgetWorkerAsync(first.Address));

        Assert.False(await first.IsRunningAsync());
        Assert.False(Directory.Exists(Path.Combine(folder, first.Name)));
        Assert.Null(await cluster.ForgetWorkerAsync(first.Address));
        var postgres = await PostgresInstallation.FindAsync();
        Assert.Equal([second.Name], LocalCluster.Open(postgres, folder)!.Workers.Select(w => w.Name));

        var next = await cluster.AddWorkerAsync();

        Assert.Equal(first.Name, next.Name);
        Assert.Equal([second.Name, next.Name], LocalCluster.Open(postgres, folder)!.Workers.Select(w => w.Name));
        Assert.True(await next.IsRunningAsync());
    }

    [Fact]
    public async Task A_worker_is_not_added_to_a_stopped_cluster()
    {
        await using var nodes = await TemporaryCluster.StartUnmigratedCitusAsync(workers: 1, "the stopped-cluster add test");
        var cluster = nodes.Cluster;
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(cluster.Coordinator.LogPath))!;
        await cluster.Coordinator.StopAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(cluster.AddWorkerAsync);

        Assert.Single(cluster.Workers);
        Assert.Single(LocalCluster.Open(await PostgresInstallation.FindAsync(), folder)!.Workers);
        Assert.Equal(["coordinator", "worker1"], Directory.GetDirectories(folder).Select(Path.GetFileName).Order());
    }
}
