using Dialogs.Cluster;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Keeps <see cref="ShardPlacements"/> current: one small metadata query every two seconds, not one per request. The
/// first load happens before the server takes requests (the host starts its services before the server), so even the
/// first requests name their shard and worker, and a worker found unreachable opens that worker's circuit, not the
/// coordinator's.
/// </summary>
public sealed partial class ShardPlacementRefresher(ShardPlacements placements, NpgsqlDataSource db, ILogger<ShardPlacementRefresher> logger)
    : BackgroundService
{
    /// <summary>How long startup waits for the first load: a coordinator that does not answer delays the API this
    /// much, not Npgsql's connection and command timeouts; the map then loads on a later tick.</summary>
    internal static readonly TimeSpan FirstLoadLimit = TimeSpan.FromSeconds(5);

    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    private bool _refreshing = true;

    /// <summary>Refreshes failed in a row: an outage is logged as it begins and as it ends, not on every tick.</summary>
    private int _failures;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(FirstLoadLimit);
        try
        {
            _refreshing = await RefreshAsync(limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Failed($"no answer within {FirstLoadLimit.TotalSeconds:0} s at startup");
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (_refreshing && await timer.WaitForNextTickAsync(stoppingToken))
        {
            _refreshing = await RefreshAsync(stoppingToken);
        }
    }

    /// <summary>False once nothing will ever need loading: the database is plain PostgreSQL, one server for every dialog.</summary>
    private async Task<bool> RefreshAsync(CancellationToken ct)
    {
        try
        {
            var more = await EndedSessions.RetriedOnceAsync(() => placements.RefreshAsync(db, ct));
            if (_failures > 0)
            {
                LogRefreshedAgain(logger, _failures);
                _failures = 0;
            }

            return more;
        }
        // Any failure, not only the database's: one that ended this service would stop the whole API (the host's
        // default for a failed background service), for a map that only names shards in telemetry and circuits.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Failed($"{e.GetType().Name}: {e.Message}"); // keep the last known map; the next tick tries again
            return true;
        }
    }

    private void Failed(string reason)
    {
        if (_failures++ == 0)
        {
            LogRefreshFailed(logger, reason, Interval.TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the shard placements: {Reason}. Trying again every {IntervalSeconds} s, logged once it works again.")]
    private static partial void LogRefreshFailed(ILogger logger, string reason, double intervalSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refreshed the shard placements again, after {Failures} failed tries.")]
    private static partial void LogRefreshedAgain(ILogger logger, int failures);
}
