using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;
using Npgsql;

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

    [Fact]
    public async Task A_folder_with_nodes_data_but_no_cluster_json_gets_no_new_cluster_and_keeps_its_data()
    {
        var postgres = await PostgresInstallation.FindAsync();
        await using var nodes = await TemporaryCluster.StartAsync(postgres, citus: false, workers: 0);
        var node = nodes.Cluster.Coordinator;
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(node.LogPath))!;
        await nodes.Cluster.StopAsync(TestContext.Current.CancellationToken);
        File.Delete(Path.Combine(folder, "cluster.json"));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            LocalCluster.CreateAsync(postgres, folder, citus: false, workers: 0, Durability.Fast, TestContext.Current.CancellationToken));

        Assert.Contains("holds a node's data", refused.Message);
        Assert.Equal(0, await LocalCluster.RemoveUnfinishedAsync(postgres, folder));
        Assert.True(File.Exists(Path.Combine(folder, node.Name, "data", "PG_VERSION")));
        Assert.False(File.Exists(Path.Combine(folder, "cluster.json")));
    }

    [Fact]
    public async Task A_node_whose_data_was_deleted_says_so_not_that_its_port_failed()
    {
        await using var nodes = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        var node = nodes.Cluster.Coordinator;
        await nodes.Cluster.StopAsync(TestContext.Current.CancellationToken);
        Directory.Delete(Path.Combine(Path.GetDirectoryName(node.LogPath)!, "data"), recursive: true);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => nodes.Cluster.StartAsync(TestContext.Current.CancellationToken));

        Assert.StartsWith($"The {node.Name} node has no data", failed.Message);
    }

    [Fact]
    public void A_damaged_cluster_json_is_named_with_what_to_do_not_thrown_as_json()
    {
        var folder = Directory.CreateTempSubdirectory("dialogs-tests-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "cluster.json"), """{"Citus": tr""");

            var damaged = Assert.Throws<InvalidOperationException>(() => LocalCluster.Open(new PostgresInstallation("/nonexistent", "/nonexistent", HasCitus: false), folder));

            Assert.StartsWith($"{Path.Combine(folder, "cluster.json")} is damaged", damaged.Message);
            Assert.Contains("move the folder away to keep their data", damaged.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_worker_whose_adding_was_stopped_part_way_does_not_stop_the_next_add()
    {
        await using var nodes = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        var folder = Path.GetDirectoryName(Path.GetDirectoryName(nodes.Cluster.Coordinator.LogPath))!;
        // What an add stopped during initdb leaves: a folder in no list, which initdb refuses to reuse.
        Directory.CreateDirectory(Path.Combine(folder, "worker1", "data", "left-over"));

        var worker = await nodes.Cluster.AddWorkerAsync();

        Assert.Equal("worker1", worker.Name);
        Assert.True(await worker.IsRunningAsync());
        Assert.False(Directory.Exists(Path.Combine(folder, "worker1", "data", "left-over")));
    }

    [Fact]
    public async Task A_creation_stopped_part_way_leaves_no_server_running_and_no_cluster_and_the_next_one_clears_it()
    {
        var postgres = await PostgresInstallation.FindAsync();
        TemporaryCluster.RequireCitus(postgres, "the unfinished-creation test");
        var folder = Directory.CreateTempSubdirectory("dialogs-tests-").FullName;
        try
        {
            // initdb refuses a data folder that is not empty: worker1 fails after the coordinator has started.
            Directory.CreateDirectory(Path.Combine(folder, "worker1", "data", "left-over"));

            await Assert.ThrowsAnyAsync<Exception>(() => LocalCluster.CreateAsync(postgres, folder, citus: true, workers: 1, Durability.Fast, TestContext.Current.CancellationToken));

            Assert.Empty(Directory.EnumerateFiles(folder, "postmaster.pid", SearchOption.AllDirectories));
            Assert.Null(LocalCluster.Open(postgres, folder));
            Assert.Equal(2, await LocalCluster.RemoveUnfinishedAsync(postgres, folder));
            Assert.False(Directory.Exists(folder));
            Assert.Equal(0, await LocalCluster.RemoveUnfinishedAsync(postgres, folder));

            var cluster = await LocalCluster.CreateAsync(postgres, folder, citus: true, workers: 1, Durability.Fast, TestContext.Current.CancellationToken);

            Assert.Equal(0, await LocalCluster.RemoveUnfinishedAsync(postgres, folder));
            Assert.NotNull(LocalCluster.Open(postgres, folder));
            Assert.Equal(2, await cluster.StopAsync(TestContext.Current.CancellationToken));
        }
        finally
        {
            await LocalNode.StopAllUnderAsync(postgres, folder);
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_node_started_again_on_its_port_is_reached_afresh_not_through_connections_pooled_before_it_stopped()
    {
        await using var nodes = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        var node = nodes.Cluster.Coordinator;
        await PoolConnectionAsync(node);

        await nodes.Cluster.StopAsync(TestContext.Current.CancellationToken);
        await node.StartAsync();

        // As a new node on a port that came round does: tests make many.
        await node.CreateDatabaseAsync(citus: false);
        await AssertAnsweringAsync(node);
    }

    [Fact]
    public async Task Nodes_left_running_are_stopped_knowing_only_their_folder_and_reached_afresh_when_started_again()
    {
        var postgres = await PostgresInstallation.FindAsync();
        await using var nodes = await TemporaryCluster.StartAsync(postgres, citus: false, workers: 0);
        var node = nodes.Cluster.Coordinator;
        await PoolConnectionAsync(node);

        // As a run cleaning up after one that was killed does, or the load verifier as it ends.
        await LocalNode.StopAllUnderAsync(postgres, Path.GetDirectoryName(Path.GetDirectoryName(node.LogPath))!);

        Assert.False(await node.IsRunningAsync());
        await node.StartAsync();
        await AssertAnsweringAsync(node);
    }

    /// <summary>A connection to the service's database opened and closed, so that it waits in this process's pool.</summary>
    private static async Task PoolConnectionAsync(LocalNode node)
    {
        await using var pooled = new NpgsqlConnection(node.ConnectionString());
        await pooled.OpenAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>A statement on a connection taken from the pool answers: not one left dead by an earlier server.</summary>
    private static async Task AssertAnsweringAsync(LocalNode node)
    {
        await using var again = new NpgsqlConnection(node.ConnectionString());
        await again.OpenAsync(TestContext.Current.CancellationToken);
        await using var query = new NpgsqlCommand("SELECT 1", again);
        Assert.Equal(1, await query.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_node_that_fails_while_its_database_is_made_says_which_and_why_from_its_log()
    {
        await using var nodes = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        var node = nodes.Cluster.Coordinator;
        await nodes.Cluster.StopAsync(TestContext.Current.CancellationToken);

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => node.CreateDatabaseAsync(citus: false));

        Assert.Contains($"The {node.Name} node started on port {node.Port}, then failed while its database was made", failed.Message);
        Assert.Contains(node.LogPath, failed.Message);
        Assert.Contains("database system is shut down", failed.Message);
    }

    [Fact]
    public async Task A_node_that_cannot_start_says_which_and_why_from_its_log_and_stopping_counts_only_running_nodes()
    {
        await using var nodes = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        var node = nodes.Cluster.Coordinator;
        Assert.Equal(1, await nodes.Cluster.StopAsync(TestContext.Current.CancellationToken));
        Assert.Equal(0, await nodes.Cluster.StopAsync(TestContext.Current.CancellationToken));
        var taken = new TcpListener(IPAddress.Loopback, node.Port);
        taken.Start();
        try
        {
            var refused = await Assert.ThrowsAsync<InvalidOperationException>(node.StartAsync);

            Assert.Contains($"The {node.Name} node did not start on port {node.Port}", refused.Message);
            Assert.Contains(node.LogPath, refused.Message);
            Assert.Contains("could not bind", refused.Message);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public async Task Stopping_a_node_whose_initdb_was_interrupted_waits_for_its_bootstrap_backend_which_pg_ctl_cannot_stop()
    {
        var postgres = await PostgresInstallation.FindAsync();
        var folder = Directory.CreateTempSubdirectory("dialogs-tests-").FullName;
        // Stands for initdb's single-user backend about to end, run by the user pg_ctl runs as, so that pg_ctl finds
        // it alive; postmaster.pid names such a backend by its pid negated.
        using var runner = Process.Start(Processes.IsRoot ? "runuser" : "sleep", Processes.IsRoot ? ["-u", "postgres", "--", "sleep", "2"] : ["2"]);
        try
        {
            var backend = runner.Id;
            if (Processes.IsRoot)
            {
                await Eventually.UntilAsync(() => Task.FromResult(Processes.ChildrenOf(runner.Id).Any()), "runuser's sleep", TestContext.Current.CancellationToken);
                backend = Processes.ChildrenOf(runner.Id).First().Pid;
            }

            Directory.CreateDirectory(Path.Combine(folder, "data"));
            // What makes the folder a data directory to pg_ctl, which initdb writes first.
            await File.WriteAllTextAsync(Path.Combine(folder, "data", "PG_VERSION"), "15\n", TestContext.Current.CancellationToken);
            await File.WriteAllTextAsync(Path.Combine(folder, "data", "postmaster.pid"), $"-{backend}\n{folder}/data\n", TestContext.Current.CancellationToken);
            await Processes.GiveToPostgresAsync(folder);

            Assert.False(await new LocalNode(postgres, "worker1", folder, port: 0).StopAsync());
            Assert.True(Processes.HasEnded(backend));
        }
        finally
        {
            await runner.WaitForExitAsync(TestContext.Current.CancellationToken);
            Directory.Delete(folder, recursive: true);
        }
    }
}
