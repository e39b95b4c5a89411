using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Ready means a round trip to the coordinator (or the single PostgreSQL node) succeeds and finds the schema applied,
/// so an orchestrator holds traffic back from an API that started ahead of the migrator.
/// </summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource db) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Timeout);
        try
        {
            await using var ping = db.CreateCommand(MessageStore.SchemaAppliedSql);
            return (bool)(await ping.ExecuteScalarAsync(deadline.Token))!
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("the schema is not applied yet");
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("the database cannot be reached", e);
        }
    }
}
