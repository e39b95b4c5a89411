using System.Diagnostics;
using System.Net.Sockets;
using Dialogs.Cluster;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dialogs.Migrator;

/// <summary>
/// With no verb: applies the schema and the cluster topology, then exits. With `cluster ...`: an operation on the
/// running cluster (status, add-worker, rebalance, drain, remove, cancel). Exit codes: 0 done, 1 failed (unreachable node,
/// bad credentials, a node without wal_level=logical or with synchronous_commit=off, a failed rebalance, ...), 2 bad
/// configuration or usage, 130
/// stopped by a signal (Ctrl+C, SIGTERM); the failures and a stop with a one-line reason on standard error.
/// </summary>
public static partial class MigratorApp
{
    public const int Succeeded = 0;
    public const int Failed = 1;
    public const int BadConfiguration = 2;
    public const int Stopped = 130; // as a shell reports a command that Ctrl+C ended

    // "Dialogs" in ASCII: one lock for every migrator of this database, so two never run at once.
    public const long AdvisoryLockKey = 0x4469616C6F6773;

    /// <param name="args">An optional verb (`cluster rebalance`, ...) then configuration as --Key=value.</param>
    /// <param name="errors">Where the one-line failure reason goes; standard error by default.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter? errors = null, CancellationToken ct = default)
    {
        errors ??= Console.Error;
        var verb = args.TakeWhile(arg => !arg.StartsWith("--", StringComparison.Ordinal)).ToArray();
        // Named explicitly: hosted in another process (the local tool, the tests) the default would be that process's
        // name, and ServiceDefaults listens to the ActivitySource named after the application.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args[verb.Length..],
            ApplicationName = typeof(MigratorApp).Assembly.GetName().Name,
        });
        // Of the service defaults, the log and the telemetry alone: a console host serves no health checks or problems.
        builder.ConfigureConsoleLog();
        builder.ConfigureOpenTelemetry();
        // A run that ends by itself: no "Application started. Press Ctrl+C to shut down." around a cluster status.
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        using var host = builder.Build();
        var loggers = host.Services.GetRequiredService<ILoggerFactory>();
        string connectionString;
        CitusOptions citus;
        NpgsqlDataSource unpooled;
        try
        {
            connectionString = builder.Configuration.GetConnectionString(DialogsDatabase.ConnectionStringName)
                ?? throw new FormatException($"ConnectionStrings:{DialogsDatabase.ConnectionStringName} is not set.");
            citus = CitusOptions.From(builder.Configuration);
            // Unpooled: the session-level advisory lock must end with its connection, not linger in a pool.
            var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = "dialogs-migrator" };
            unpooled = NpgsqlDataSource.Create(settings.ConnectionString);
        }
        catch (FormatException e)
        {
            return Fail(errors, BadConfiguration, e.Message);
        }
        catch (ArgumentException e)
        {
            // Npgsql's words name the keyword or the missing host, never a value such as the password.
            return Fail(errors, BadConfiguration, $"ConnectionStrings:{DialogsDatabase.ConnectionStringName} is not a usable connection string: {e.Message}");
        }

        await using var dataSource = unpooled;
        var cluster = new ClusterOperations(dataSource);
        await host.StartAsync(ct);
        // Ctrl+C or SIGTERM stops the host; the work in progress (waiting for the lock, following a job) stops with it.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct,
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
        var work = stopping.Token;
        // A migration's root span, where telemetry is exported: the dashboard shows how long it took, and whether it
        // failed and why.
        var migration = verb is [] ? MigratorTelemetry.Source.StartActivity("migrate") : null;
        try
        {
            return verb switch
            {
                [] => await MigrateAsync(dataSource, citus, cluster, loggers, work),
                ["cluster", .. var operation] => await ClusterCommands.RunAsync(operation, cluster, errors, work),
                _ => Fail(errors, BadConfiguration, $"unknown verb '{string.Join(' ', verb)}'; {ClusterCommands.Usage}"),
            };
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or FormatException)
        {
            return FailTraced(e is FormatException ? BadConfiguration : Failed, Describe(e, connectionString));
        }
        // Stopped by a signal: one line, as for any failure. A caller that cancels (the local tool, the tests) gets
        // its cancellation back, as before.
        catch (OperationCanceledException) when (work.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return FailTraced(Stopped, verb is []
                ? "by a signal, before it finished; what was applied is committed, and a new run goes on from there."
                : "by a signal, before it finished; `cluster status` shows the cluster as it is, and a job it started goes on.");
        }
        finally
        {
            // Ended before the host stops: the span measures the migration, not the shutdown.
            migration?.Dispose();
            await host.StopAsync(CancellationToken.None);
        }

        // A migration's failure also where telemetry goes: the console's one line reaches no dashboard. (An operator's
        // cluster verb has only that line: they read it where they typed the command.)
        int FailTraced(int exitCode, string reason)
        {
            if (migration is not null)
            {
                // A stop is an operator's or an orchestrator's doing, not a fault: a warning, though the span did not finish.
                var logger = loggers.CreateLogger(typeof(MigratorApp));
                if (exitCode == Stopped)
                {
                    migration.SetStatus(ActivityStatusCode.Error, $"stopped {reason}");
                    LogStopped(logger, reason);
                }
                else
                {
                    migration.SetStatus(ActivityStatusCode.Error, reason);
                    LogFailed(logger, reason);
                }
            }

            return Fail(errors, exitCode, reason);
        }
    }

    internal static int Fail(TextWriter errors, int exitCode, string reason)
    {
        errors.WriteLine($"dialogs-migrator: {(exitCode == Stopped ? "stopped" : "failed")}: {reason.ReplaceLineEndings(" ")}");
        return exitCode;
    }

    private static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, CitusOptions citus, ClusterOperations cluster,
        ILoggerFactory loggers, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using (var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({AdvisoryLockKey})", connection))
        {
            if (await tryLock.ExecuteScalarAsync(ct) is false)
            {
                LogWaitingForLock(loggers.CreateLogger(typeof(MigratorApp)));
                // As long as the other run takes: no command timeout, which would end the wait as "cannot reach".
                await using var waitForLock = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLockKey})", connection) { CommandTimeout = 0 };
                await waitForLock.ExecuteNonQueryAsync(ct);
            }
        }

        // DDL that waits for a lock blocks every later statement on that table: rather fail than stall traffic
        // (for example behind a shard move, which holds its locks for the whole move).
        await using (var timeout = new NpgsqlCommand("SET lock_timeout = '10s'", connection))
        {
            await timeout.ExecuteNonQueryAsync(ct);
        }

        var onCitus = await CitusTopology.IsAvailableAsync(connection, ct);
        var topology = new CitusTopology(citus, cluster, loggers.CreateLogger<CitusTopology>());
        if (onCitus)
        {
            await topology.PrepareNodesAsync(connection, ct);
        }
        else if (citus.Workers.Count > 0)
        {
            throw new InvalidOperationException(
                "Citus:Workers is set but the coordinator has no citus extension (not installed or not in shared_preload_libraries).");
        }

        var applied = await new SchemaMigrator(loggers.CreateLogger<SchemaMigrator>()).ApplyAsync(connection, ct);
        if (onCitus)
        {
            await topology.DistributeTablesAsync(connection, ct);
        }

        LogDone(loggers.CreateLogger(typeof(MigratorApp)), applied,
            onCitus ? $"Citus, {citus.Workers.Count} configured workers" : "PostgreSQL without Citus");
        return Succeeded;
    }

    private static string Describe(Exception e, string connectionString) => e switch
    {
        PostgresException postgres => $"{postgres.MessageText} (SQLSTATE {postgres.SqlState})",
        NpgsqlException { InnerException: SocketException or TimeoutException or IOException } npgsql =>
            $"cannot reach the database at {Endpoint(connectionString)}: {npgsql.InnerException!.Message}",
        _ => e.Message,
    };

    private static string Endpoint(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{settings.Host}:{settings.Port}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Another migrator is applying the schema; waiting for it to finish")]
    private static partial void LogWaitingForLock(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped {Reason}")]
    private static partial void LogStopped(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready: {Applied} migrations applied now ({Mode})")]
    private static partial void LogDone(ILogger logger, int applied, string mode);
}
