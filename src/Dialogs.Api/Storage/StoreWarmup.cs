using System.Diagnostics;
using Dialogs.Api.Messaging;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Opens the pool's first connections before the API says it is ready (<see cref="DatabaseHealthCheck"/>), each one
/// through to every worker. A cold API under load opens a connection for each request that finds none idle, all at
/// once: on Citus each is a coordinator backend with TLS and, at its first query, a connection of its own to the
/// worker of the dialog. On two cores those opens crowded each other past the pool's 2 s wait, and were retried
/// (docs/resharding.md: the load verifier's warm-up, cold and warm; the JIT's share of a fresh API's first seconds
/// remains). The pool keeps them (its minimum size, <see cref="StorageSetup.WarmConnections"/> unless the connection
/// string sets one): idle ones are not closed below it, though a coordinator's restart ends them.
/// </summary>
public sealed partial class StoreWarmup(NpgsqlDataSource db, ShardPlacements placements, ILogger<StoreWarmup> logger)
{
    /// <summary>How long the warm-up may take; past it the API is ready all the same, and the pool grows as it is used.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    // Random dialogs spread over the shards as users' do: this many leave a worker with one shard of 32 unvisited
    // once in thousands of warm-ups, which costs that worker's first requests a connection each, as before.
    private const int DialogsTried = 256;

    private readonly Lock _gate = new();
    private Task<bool>? _attempt;

    /// <summary>
    /// True once the pool is warm, or the warm-up gave up (it logs why): either way the API may serve. False while the
    /// migrator has yet to distribute the table on Citus: there are no workers to reach yet. The shard map's read
    /// failing is the caller's error, since readiness needs to know which it is. After false or an error the next
    /// call tries again; calls meanwhile share the attempt under way.
    /// </summary>
    public Task<bool> WarmAsync()
    {
        lock (_gate)
        {
            if (_attempt is not ({ IsCompleted: false } or { IsCompletedSuccessfully: true, Result: true }))
            {
                // Not within the trace of the probe that starts it: the warm-up's queries are nobody's request.
                _attempt = Task.Run(() =>
                {
                    Activity.Current = null;
                    return AttemptAsync();
                });
            }

            return _attempt;
        }
    }

    private async Task<bool> AttemptAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var settings = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var connections = settings.Pooling ? settings.MinPoolSize : 0; // unpooled, a connection would close as it is returned
        using var limit = new CancellationTokenSource(Limit);
        // The map as it is now: the one loaded every few seconds may predate the migrator's distribution of the table.
        if (await placements.RefreshAsync(db, limit.Token) && !placements.Distributed)
        {
            return false;
        }

        var opening = new List<Task<NpgsqlConnection>>();
        try
        {
            // One dialog of each node, so each coordinator backend opens its connection to every worker now.
            var dialogs = Enumerable.Range(0, DialogsTried).Select(_ => new DialogKey(Guid.NewGuid()))
                .DistinctBy(dialog => placements.Find(dialog).Node).ToArray();
            // All held open at once: one returned to the pool before the next open would be handed out again (on a quick
            // server a connection's reads can all complete before the next open starts).
            opening.AddRange(Enumerable.Range(0, connections).Select(_ => db.OpenConnectionAsync(limit.Token).AsTask()));
            var opened = await Task.WhenAll(opening);
            await Task.WhenAll(opened.Select(connection => ReadEachAsync(connection, dialogs, limit.Token)));
            LogWarmed(logger, connections, dialogs.Length, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (DatabaseErrors.IsTransient(e) || DatabaseErrors.NeedsOperator(e) || e is OperationCanceledException)
        {
            // The database's faults are no reason to stay unready: the requests open what they need, as without the
            // warm-up, and get the same faults' 503s. The reason is enough (a full coordinator's "too many clients", a
            // worker that cannot be reached); its stack says nothing. Anything else, a bug, is the caller's.
            LogNotWarmed(logger, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.Message);
        }
        finally
        {
            // Back to the pool, which keeps them: those that opened, whatever became of the others.
            foreach (var open in opening.Where(open => open.IsCompletedSuccessfully))
            {
                await open.Result.DisposeAsync();
            }
        }

        return true;
    }

    private static async Task ReadEachAsync(NpgsqlConnection connection, DialogKey[] dialogs, CancellationToken ct)
    {
        foreach (var dialog in dialogs)
        {
            await using var select = MessageStore.CreatePageQuery(connection, dialog, PageRequest.Newest(1));
            await using var reader = await select.ExecuteReaderAsync(ct);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened {Connections} connections to the database, each through to {Nodes} node(s), in {Ms} ms")]
    private static partial void LogWarmed(ILogger logger, int connections, int nodes, int ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The connection pool's warm-up ended early after {Ms} ms ({Reason}); requests open the connections they need")]
    private static partial void LogNotWarmed(ILogger logger, int ms, string reason);
}
