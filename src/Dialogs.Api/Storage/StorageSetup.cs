using Dialogs.Api.Telemetry;
using Dialogs.Cluster;
using Npgsql;

namespace Dialogs.Api.Storage;

public static class StorageSetup
{
    public const string ConnectionStringName = "dialogs";

    /// <summary>One pooled data source for the process, the store that owns the SQL, and a database health check.</summary>
    public static IHostApplicationBuilder AddMessageStore(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set: point it at the Citus coordinator or a PostgreSQL server.");

        builder.Services.AddSingleton(services =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString);
            var settings = dataSource.ConnectionStringBuilder;
            settings.ApplicationName ??= "dialogs-api";
            // The hot path is three statements; preparing them saves parse and plan work on the coordinator.
            if (settings.MaxAutoPrepare == 0)
            {
                settings.MaxAutoPrepare = 16;
                settings.AutoPrepareMinUsages = 2;
            }

            return dataSource.UseLoggerFactory(services.GetRequiredService<ILoggerFactory>()).Build();
        });
        builder.Services.AddSingleton<WorkerLatency>();
        builder.Services.AddSingleton<StoreTelemetry>();
        builder.Services.AddSingleton<ShardPlacements>();
        builder.Services.AddHostedService<ShardPlacementRefresher>();
        builder.Services.AddSingleton<TransientRetry>();
        builder.Services.AddSingleton<MessageStore>();
        builder.Services.AddSingleton<ClusterOperations>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }
}
