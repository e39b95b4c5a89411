using Dialogs.Cluster;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Ready means a round trip to the coordinator (or the single PostgreSQL node) succeeds and finds the schema applied,
/// so an orchestrator holds traffic back from an API that started ahead of the migrator; on Citus, that the table is
/// distributed too; and that the pool's first connections are open (<see cref="StoreWarmup"/>, once). /health takes
/// no token, so anyone who reaches it may ask as often as they like: checks at the same time share one round trip,
/// and its answer stands for a second after it, so a flood of probes costs the database one query a second (two on
/// Citus until the table is distributed, the shard map's read being the second), not a pooled connection each. For
/// the same reason it logs what it finds when that changes, not each probe's answer (the framework's log of every
/// unhealthy probe, a stack trace each, is off in appsettings.json).
/// </summary>
public sealed partial class DatabaseHealthCheck(NpgsqlDataSource db, StoreWarmup warmup, TimeProvider time, ILogger<DatabaseHealthCheck> logger)
    : IHealthCheck
{
    /// <summary>How long an answer stands for the checks after it.</summary>
    public static readonly TimeSpan AnswerStands = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _latest;
    private long _latestAnsweredAt;
    private bool _wasHealthy = true; // an API starts quietly where all is well

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        lock (_gate)
        {
            if (_latest is not { IsCompleted: false } && (_latest is null || time.GetElapsedTime(_latestAnsweredAt) >= AnswerStands))
            {
                _latest = PingAsync();
            }

            // A caller that gives up stops waiting; the shared round trip goes on for the others.
            return _latest.WaitAsync(ct);
        }
    }

    private async Task<HealthCheckResult> PingAsync()
    {
        var answer = await AskAsync();
        var healthy = answer.Status == HealthStatus.Healthy;
        if (healthy != _wasHealthy)
        {
            if (healthy)
            {
                LogReady(logger);
            }
            else
            {
                // The reason is enough ("too many clients", a refused login, a timeout); its stack says nothing.
                LogUnready(logger, answer.Exception is { } e ? $"{answer.Description} ({e.Message})" : answer.Description);
            }
        }

        _wasHealthy = healthy;
        _latestAnsweredAt = time.GetTimestamp();
        return answer;
    }

    private async Task<HealthCheckResult> AskAsync()
    {
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            if (!await SchemaAppliedAsync(deadline.Token))
            {
                return HealthCheckResult.Unhealthy("the schema is not applied yet");
            }
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("the database cannot be reached", e);
        }

        try
        {
            return await warmup.WarmAsync().WaitAsync(deadline.Token)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("the messages table is not distributed yet");
        }
        catch (OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the connection pool is still warming up");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("the warm-up's queries failed", e);
        }
    }

    private Task<bool> SchemaAppliedAsync(CancellationToken ct) => EndedSessions.RetriedOnceAsync(async () =>
    {
        await using var ping = db.CreateCommand(MessageStore.SchemaAppliedSql);
        return (bool)(await ping.ExecuteScalarAsync(ct))!;
    });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unready (/health 503): {Reason}")]
    private static partial void LogUnready(ILogger logger, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready again (/health 200)")]
    private static partial void LogReady(ILogger logger);
}
