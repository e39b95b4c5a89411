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
            LogRefreshFailed(logger, $"no answer within {FirstLoadLimit.TotalSeconds:0} s at startup");
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
            return await placements.RefreshAsync(db, ct);
        }
        // Any failure, not only the database's: one that ended this service would stop the whole API (the host's
        // default for a failed background service), for a map that only names shards in telemetry and circuits.
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogRefreshFailed(logger, $"{e.GetType().Name}: {e.Message}"); // keep the last known map; the next tick tries again
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh the shard placements: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
