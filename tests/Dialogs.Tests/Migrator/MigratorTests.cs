using System.Diagnostics;
using System.Text.RegularExpressions;
using Dialogs.Cluster;
using Dialogs.Local.Cluster;
using Dialogs.Migrator;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Dialogs.Tests.Migrator;

/// <summary>The migrator's exit codes and reasons, which the AppHost's WaitForCompletion and operators rely on.</summary>
public sealed class MigratorTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_second_run_applies_nothing_and_succeeds()
    {
        database.Require();
        var before = await AppliedAsync();
        var errors = new StringWriter();

        Assert.Equal(MigratorApp.Succeeded, await MigratorApp.RunAsync([.. database.Cluster.MigratorArguments], errors, Ct));
        Assert.Equal("", errors.ToString());
        Assert.Equal(before, await AppliedAsync());
        Assert.Equal(SchemaMigrator.Embedded.Select(m => m.Version), before.Select(row => row.Version));
    }

    [Fact]
    public async Task A_migration_changed_after_it_was_applied_stops_the_migrator_with_exit_1()
    {
        // A database of its own: the shared one's record of applied migrations stays as the other tests expect it.
        database.Require();
        var coordinator = database.Cluster.Coordinator;
        var name = $"edited_{Guid.NewGuid():N}";
        await coordinator.ExecuteAsync($"CREATE DATABASE {name}");
        try
        {
            var connectionString = $"--ConnectionStrings:dialogs={coordinator.ConnectionString(name)};Pooling=false";
            Assert.Equal((MigratorApp.Succeeded, ""), await RunAsync(connectionString));
            // Another checksum of the same length, as an edit of the file would give.
            Assert.NotNull(await coordinator.ExecuteAsync($"""
                UPDATE schema_migrations SET checksum = translate(checksum, '0123456789abcdef', '123456789abcdef0')
                WHERE version = '{SchemaMigrator.Embedded[0].Version}' RETURNING version
                """, name));

            var (exitCode, reason) = await RunAsync(connectionString);

            Assert.Equal(MigratorApp.Failed, exitCode);
            Assert.Contains($"migration {SchemaMigrator.Embedded[0].Version} was changed after it was applied; add a new migration instead.", reason);
        }
        finally
        {
            await coordinator.ExecuteAsync($"DROP DATABASE {name} WITH (FORCE)");
        }
    }

    [Fact]
    public async Task An_unreachable_database_fails_with_exit_1_and_a_one_line_reason()
    {
        var port = LocalNode.FreePorts(1)[0];

        var (exitCode, reason) = await RunAsync($"--ConnectionStrings:dialogs=Host=127.0.0.1;Port={port};Username=postgres;Timeout=3");

        Assert.Equal(MigratorApp.Failed, exitCode);
        Assert.StartsWith($"dialogs-migrator: failed: cannot reach the database at 127.0.0.1:{port}", reason);
    }

    [Fact]
    public async Task A_missing_database_fails_with_exit_1_and_the_server_reason()
    {
        var (exitCode, reason) = await RunAsync(
            $"--ConnectionStrings:dialogs={database.Cluster.Coordinator.ConnectionString("no_such_database")}");

        Assert.Equal(MigratorApp.Failed, exitCode);
        Assert.Contains("database \"no_such_database\" does not exist (SQLSTATE 3D000)", reason);
    }

    [Fact]
    public async Task Workers_configured_for_a_server_without_Citus_fail_with_exit_1()
    {
        var (exitCode, reason) = await RunAsync(
            $"--ConnectionStrings:dialogs={database.ConnectionString}", "--Citus:CoordinatorHost=127.0.0.1", "--Citus:Workers:0=127.0.0.1:5999");

        Assert.Equal(MigratorApp.Failed, exitCode);
        Assert.Contains("no citus extension", reason);
    }

    [Theory]
    [InlineData("--Citus:Workers:0=worker:notaport")]
    [InlineData("--Citus:Workers:0=worker:70000")]
    [InlineData("--Citus:CoordinatorHost=:5432")]
    [InlineData("--Citus:ShardCount=0")]
    [InlineData("--Citus:Workers:0=worker:5432")] // and no Citus:CoordinatorHost
    public async Task Malformed_configuration_fails_with_exit_2_before_touching_the_database(string setting)
    {
        // Nothing listens there: trying to connect would fail with exit 1, so exit 2 shows nothing was tried.
        var (exitCode, reason) = await RunAsync($"--ConnectionStrings:dialogs=Host=127.0.0.1;Port={LocalNode.FreePorts(1)[0]};Username=postgres;Timeout=3", setting);

        Assert.Equal(MigratorApp.BadConfiguration, exitCode);
        Assert.StartsWith("dialogs-migrator: failed: ", reason);
    }

    [Theory]
    [InlineData("Hostx=db")]
    [InlineData("Host=db;Port=notaport")]
    [InlineData("Host=db;SSL Mode=Bogus")]
    [InlineData("Username=postgres")]
    public async Task A_connection_string_that_cannot_be_used_fails_with_exit_2(string connectionString)
    {
        var (exitCode, reason) = await RunAsync($"--ConnectionStrings:dialogs={connectionString}");

        Assert.Equal(MigratorApp.BadConfiguration, exitCode);
        Assert.StartsWith("dialogs-migrator: failed: ConnectionStrings:dialogs is not a usable connection string: ", reason);
    }

    [Fact]
    public async Task A_second_migrator_waits_for_the_first_one_however_short_its_command_timeout()
    {
        database.Require();
        await using var first = await HoldLockAsync(MigratorApp.AdvisoryLockKey);

        var errors = new StringWriter();
        var second = MigratorApp.RunAsync([$"--ConnectionStrings:dialogs={database.ConnectionString};Command Timeout=1"], errors, Ct);
        // Once it waits for the lock (the one-key form: objsubid 1), well past its 1 s command timeout.
        await Eventually.UntilAsync(async () => second.IsCompleted || await WaitsForTheLockAsync(MigratorApp.AdvisoryLockKey), "the second migrator to wait", Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.False(second.IsCompleted, $"the second migrator did not wait: {errors}");
        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({MigratorApp.AdvisoryLockKey})", first))
        {
            await release.ExecuteNonQueryAsync(Ct);
        }

        Assert.Equal(MigratorApp.Succeeded, await second.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task A_caller_that_cancels_gets_its_cancellation_back_not_a_run_stopped_by_a_signal()
    {
        database.Require();
        await using var first = await HoldLockAsync(MigratorApp.AdvisoryLockKey);

        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var errors = new StringWriter();
        var waiting = MigratorApp.RunAsync([$"--ConnectionStrings:dialogs={database.ConnectionString}"], errors, caller.Token);
        await Eventually.UntilAsync(async () => waiting.IsCompleted || await WaitsForTheLockAsync(MigratorApp.AdvisoryLockKey), "the migrator to wait for the lock", Ct);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.Equal("", errors.ToString());
    }

    [Theory]
    [InlineData("", MigratorApp.AdvisoryLockKey, "what was applied is committed")]
    [InlineData("cluster add-worker 127.0.0.1:1", ClusterOperations.ChangeLockKey, "`cluster status` shows the cluster as it is")]
    public async Task A_run_stopped_by_a_signal_exits_130_with_one_line_that_says_so_not_that_it_failed(string verb, long lockKey, string says)
    {
        database.Require();
        // Held here, so that the run waits for it: a migration for another migrator's, a cluster verb for its turn.
        await using var holder = await HoldLockAsync(lockKey);

        // Its own process: the signal reaches the migrator's host as an operator's Ctrl+C or a container's stop would.
        using var migrator = Process.Start(new ProcessStartInfo("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Dialogs.Migrator.dll"), .. verb.Split(' ', StringSplitOptions.RemoveEmptyEntries),
                $"--ConnectionStrings:dialogs={database.ConnectionString}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            // Telemetry on, as deployed, so that a migration traces and logs how it ended; nothing listens there.
            Environment = { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{LocalNode.FreePorts(1)[0]}" },
        })!;
        try
        {
            var output = migrator.StandardOutput.ReadToEndAsync(Ct);
            var errors = migrator.StandardError.ReadToEndAsync(Ct);
            await Eventually.UntilAsync(async () => migrator.HasExited || await WaitsForTheLockAsync(lockKey), "the migrator to wait for the lock", Ct);
            Assert.True(Processes.Signal(migrator.Id, Processes.SigTerm), $"the migrator ended before the signal: {await errors}");
            await migrator.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

            var reason = (await errors).TrimEnd();
            Assert.Equal(MigratorApp.Stopped, migrator.ExitCode);
            Assert.StartsWith("dialogs-migrator: stopped: by a signal, before it finished; ", reason);
            Assert.Contains(says, reason);
            Assert.DoesNotContain('\n', reason);
            // Its log as well: a warning that it stopped, not an error that it failed (only a migration has the line).
            var log = await output;
            // As the console logger writes it: its time, the level, the category, then the message on the next line.
            Assert.True(verb is not "" || Regex.IsMatch(log, @"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC warn: Dialogs\.Migrator\.MigratorApp\[\d+\]\s+Stopped by a signal", RegexOptions.Multiline), log);
            Assert.DoesNotContain("Failed:", log);
            // A run that ends by itself, not a service waiting for its Ctrl+C.
            Assert.DoesNotContain("Application started", log);
        }
        finally
        {
            migrator.Kill();
        }
    }

    [Fact]
    public async Task A_missing_connection_string_fails_with_exit_2()
    {
        var (exitCode, reason) = await RunAsync();

        Assert.Equal(MigratorApp.BadConfiguration, exitCode);
        Assert.Contains("ConnectionStrings:dialogs is not set", reason);
    }

    [Fact]
    public void The_worker_list_the_AppHost_passes_is_understood()
    {
        // What the AppHost sets (WithCitusCluster): Citus__CoordinatorHost and Citus__Workers__{i}, each a container-network
        // name with port 5432.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Citus:CoordinatorHost"] = "citus:5432",
            ["Citus:Workers:0"] = "citus-worker-0:5432",
            ["Citus:Workers:1"] = "citus-worker-1:5432",
        }).Build();

        var options = CitusOptions.From(configuration);

        Assert.Equal(new NodeAddress("citus", 5432), options.CoordinatorHost);
        Assert.Equal([new NodeAddress("citus-worker-0", 5432), new NodeAddress("citus-worker-1", 5432)], options.Workers);
        Assert.Equal(CitusOptions.DefaultShardCount, options.ShardCount);
    }

    [Theory]
    [InlineData("w1:5433,w2", "w1:5433|w2:5432")]
    [InlineData("[::1]:6000", "[::1]:6000")]
    [InlineData(" db.internal ", "db.internal:5432")]
    public void Workers_may_also_come_as_one_comma_separated_value(string value, string expected)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Citus:CoordinatorHost"] = "coordinator", ["Citus:Workers"] = value }).Build();

        Assert.Equal(expected, string.Join('|', CitusOptions.From(configuration).Workers));
    }

    private static async Task<(int ExitCode, string Reason)> RunAsync(params string[] args)
    {
        var errors = new StringWriter();
        var exitCode = await MigratorApp.RunAsync(args, errors, Ct);
        var reason = errors.ToString().TrimEnd();
        Assert.DoesNotContain('\n', reason);
        return (exitCode, reason);
    }

    private async Task<List<(string Version, string Checksum, DateTime AppliedAt)>> AppliedAsync()
    {
        await using var select = database.DataSource.CreateCommand("SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version");
        await using var reader = await select.ExecuteReaderAsync(Ct);
        var rows = new List<(string, string, DateTime)>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetDateTime(2)));
        }

        return rows;
    }

    /// <summary>A session of the test's own holding the advisory lock <paramref name="key"/> until it is closed.</summary>
    private async Task<NpgsqlConnection> HoldLockAsync(long key)
    {
        // Not pooled: a pooled session closed goes back to the pool still holding its lock (the pool resets it only when
        // it is next used), and the class's next migrator would wait for that lock for ever.
        var holder = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await holder.OpenAsync(Ct);
        await using var hold = new NpgsqlCommand($"SELECT pg_advisory_lock({key})", holder);
        await hold.ExecuteNonQueryAsync(Ct);
        return holder;
    }

    /// <summary>Whether a session waits for the advisory lock <paramref name="key"/> (a bigint key: its halves in classid and objid).</summary>
    private async Task<bool> WaitsForTheLockAsync(long key)
    {
        await using var waiting = database.DataSource.CreateCommand($"""
            SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND objsubid = 1 AND NOT granted AND (classid::bigint << 32 | objid::bigint) = {key}
            """);
        return (long)(await waiting.ExecuteScalarAsync(Ct))! > 0;
    }
}

/// <summary>The Citus half of the migrator, each on a fresh single coordinator; skipped where Citus is missing.</summary>
public sealed class CitusMigratorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("wal_level", "replica")] // no logical replication, so no online move
    [InlineData("synchronous_commit", "off")] // a move could lose what it acknowledged
    public async Task A_coordinator_that_cannot_take_part_in_online_moves_is_refused_and_nothing_is_distributed(string setting, string value)
    {
        await using var coordinator = await TemporaryCluster.StartUnmigratedCitusAsync(workers: 0, "the Citus migrator tests");
        var node = coordinator.Cluster.Coordinator;
        await node.ApplySettingAsync(setting, value);
        var errors = new StringWriter();

        var exitCode = await MigratorApp.RunAsync([.. coordinator.Cluster.MigratorArguments], errors, Ct);

        Assert.Equal(MigratorApp.Failed, exitCode);
        Assert.Contains($"the coordinator has {setting}={value}", errors.ToString());
        Assert.Equal(0L, await node.ExecuteAsync("SELECT count(*) FROM pg_dist_partition"));
    }

    [Fact]
    public async Task A_worker_an_operator_drained_stays_drained_when_the_migrator_runs_again()
    {
        // A redeploy runs the migrator with the workers it started with; a drain since then is the operator's to undo.
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 4, "the Citus migrator tests", Ct);
        var (coordinator, drained) = (nodes.Cluster.Coordinator, nodes.Cluster.Workers[0]);
        await coordinator.ExecuteAsync(
            $"SELECT citus_set_node_property('{LocalNode.Host}', {drained.Port}, 'shouldhaveshards', false)");
        var errors = new StringWriter();

        var exitCode = await MigratorApp.RunAsync([.. nodes.Cluster.MigratorArguments], errors, Ct);

        Assert.True(exitCode == MigratorApp.Succeeded, errors.ToString());
        Assert.Equal(false, await coordinator.ExecuteAsync(
            $"SELECT shouldhaveshards FROM pg_dist_node WHERE nodename = '{LocalNode.Host}' AND nodeport = {drained.Port}"));
    }

    [Fact]
    public async Task An_unreachable_worker_fails_with_exit_1_naming_it()
    {
        await using var coordinator = await TemporaryCluster.StartUnmigratedCitusAsync(workers: 0, "the Citus migrator tests");
        var deadPort = LocalNode.FreePorts(1)[0];
        var errors = new StringWriter();

        var exitCode = await MigratorApp.RunAsync(
            [.. coordinator.Cluster.MigratorArguments, $"--Citus:CoordinatorHost={coordinator.Cluster.Coordinator.Address}", $"--Citus:Workers:0=127.0.0.1:{deadPort}"],
            errors, Ct);

        Assert.Equal(MigratorApp.Failed, exitCode);
        Assert.Contains($"{deadPort}", errors.ToString());
        Assert.Equal(0L, await coordinator.Cluster.Coordinator.ExecuteAsync("SELECT count(*) FROM pg_dist_partition"));
    }
}
