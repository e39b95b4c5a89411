using System.Data.Common;
using Dialogs.Api.Telemetry;
using Dialogs.Cluster;
using Npgsql;

namespace Dialogs.Api.Storage;

public static class StorageSetup
{
    /// <summary>One pooled data source for the process, the store that owns the SQL, and a database health check.</summary>
    public static IHostApplicationBuilder AddMessageStore(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(DialogsDatabase.ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{DialogsDatabase.ConnectionStringName} is not set: point it at the Citus coordinator or a PostgreSQL server.");

        builder.Services.AddSingleton(services =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString);
            dataSource.ConnectionStringBuilder.ApplicationName ??= "dialogs-api";
            // A server that accepts connections and never answers (a hung coordinator: its host frozen, say) would hold
            // each new connection Npgsql's default 15 s, longer than any statement may run, and a health probe
            // longer than orchestrators wait for one. A live coordinator answers in milliseconds.
            dataSource.ConnectionStringBuilder.Timeout = ConnectTimeoutSeconds;
            // A statement past its timeout is cancelled on the server, then its connection dropped at once rather than
            // after waiting up to 2 s more for the server to confirm: a hung server never does, and a live one needs
            // no connection kept for it, since a new one takes milliseconds.
            dataSource.ConnectionStringBuilder.CancellationTimeout = -1;
            // Opened before the API is ready (StoreWarmup), and kept: a connection string's own minimum stands, 0 too.
            if (!SetsMinimumPoolSize(connectionString))
            {
                dataSource.ConnectionStringBuilder.MinPoolSize = Math.Min(WarmConnections, dataSource.ConnectionStringBuilder.MaxPoolSize);
            }

            ApplyHotPathSettings(dataSource.ConnectionStringBuilder);
            dataSource.ConfigureTracing(tracing => tracing.ConfigureCommandSpanNameProvider(MessageStore.SpanNameOf));
            return dataSource.UseLoggerFactory(services.GetRequiredService<ILoggerFactory>()).Build();
        });
        builder.Services.AddSingleton<WorkerLatency>();
        builder.Services.AddSingleton<StoreTelemetry>();
        builder.Services.AddSingleton<ShardPlacements>();
        builder.Services.AddHostedService<ShardPlacementRefresher>();
        builder.Services.AddSingleton<TransientRetry>();
        builder.Services.AddSingleton<WorkerCircuit>();
        builder.Services.AddSingleton(services => StoreBulkhead.For(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton(_ => CoordinatorProbe.For(connectionString));
        builder.Services.AddSingleton<MessageStore>();
        builder.Services.AddSingleton<StoreWarmup>();
        builder.Services.AddSingleton<DatabaseHealthCheck>(); // one, whose answer the checks share
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }

    /// <summary>How long opening a connection may take; see <see cref="AddMessageStore"/>.</summary>
    internal const int ConnectTimeoutSeconds = 2;

    /// <summary>
    /// The pool's minimum size unless the connection string sets one: the connections <see cref="StoreWarmup"/> opens
    /// before the API is ready. A few per core of the API's host, enough for the requests at work at a time under a
    /// steady load (each holds its connection for a millisecond or two); a burst grows the pool from there.
    /// </summary>
    internal const int WarmConnections = 8;

    /// <summary>Whether a connection string names the pool's minimum itself, under either of the names Npgsql takes.</summary>
    internal static bool SetsMinimumPoolSize(string connectionString) =>
        new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(key => key.Replace(" ", "", StringComparison.Ordinal) is var name
                        && (name.Equals("MinimumPoolSize", StringComparison.OrdinalIgnoreCase) || name.Equals("MinPoolSize", StringComparison.OrdinalIgnoreCase)));

    /// <summary>How the store's connections are used; the benchmark's raw baseline sets its data source up the same way.</summary>
    internal static void ApplyHotPathSettings(NpgsqlConnectionStringBuilder settings)
    {
        // The hot path is three statements; preparing them saves parse and plan work on the coordinator.
        if (settings.MaxAutoPrepare == 0)
        {
            settings.MaxAutoPrepare = 16;
            settings.AutoPrepareMinUsages = 2;
        }

        // Each operation borrows a pooled connection, and nothing here changes session state (no SET, temporary
        // table, advisory lock or LISTEN), so the reset Npgsql would otherwise send on every reuse (RESET ALL,
        // CLOSE ALL, UNLISTEN *, ... parsed and run by the coordinator) has nothing to undo.
        settings.NoResetOnClose = true;

        // The store's statement timeout is its connections' own rather than each command's. Npgsql sets a connection's
        // socket timeouts (two setsockopt calls) whenever a statement's timeout differs from the one before, and again
        // as the connection goes back to the pool with the connection's own: a per-command 5 s cost four system calls
        // per statement. Statements that may wait longer (ClusterOperations) say so themselves.
        settings.CommandTimeout = MessageStore.StatementTimeoutSeconds;
    }
}
