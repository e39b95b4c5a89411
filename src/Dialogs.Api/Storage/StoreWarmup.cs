using System.Diagnostics;
using Dialogs.Api.Messaging;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Opens the pool's first connections before the API says it is ready (<see cref="DatabaseHealthCheck"/>), each one
/// through to every worker. A cold API under load opens a connection for each request that finds none idle, all at
/// once: on Citus each is a coordinator backend with TLS and, at its first query, a connection of its own to the
/// worker of the dialog. On two cores those opens crowded each other past the pool's wait, and a fresh API at 200
/// requests a second answered its first 4 seconds' requests in 0.5 to 3 s (the load verifier's warm-up). The pool keeps
/// them (<see cref="StorageSetup.WarmConnections"/>, its minimum size): idle ones are never closed below it.
/// </summary>
public sealed partial class StoreWarmup(NpgsqlDataSource db, ShardPlacements placements, ILogger<StoreWarmup> logger)
{
    /// <summary>How long the warm-up may take; past it the API is ready all the same, and the pool grows as it is used.</summary>
    internal static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    // Random dialogs spread over the shards as users' do: this many leave a worker with one shard of 32 unvisited
    // once in thousands of warm-ups, which costs that worker's first requests a connection each, as before.
    private const int DialogsTried = 256;

    // Not within the trace of the probe that starts it: the warm-up's queries are nobody's request.
    private readonly Lazy<Task> _warmed = new(() => Task.Run(() =>
    {
        Activity.Current = null;
        return WarmAsync(db, placements, logger);
    }));

    /// <summary>The warm-up, started by the first call; it ends without an error, whatever it found.</summary>
    public Task Warmed => _warmed.Value;

    private static async Task WarmAsync(NpgsqlDataSource db, ShardPlacements placements, ILogger logger)
    {
        var started = Stopwatch.GetTimestamp();
        var connections = new NpgsqlConnectionStringBuilder(db.ConnectionString).MinPoolSize;
        // One dialog of each node, so each coordinator backend opens its connection to every worker now.
        var dialogs = Enumerable.Range(0, DialogsTried).Select(_ => new DialogKey(Guid.NewGuid()))
            .DistinctBy(dialog => placements.Find(dialog).Node).ToArray();
        using var limit = new CancellationTokenSource(Limit);
        // All held open at once: one returned to the pool before the next open would be handed out again (on a quick
        // server a connection's reads can all complete before the next open starts).
        var opening = Enumerable.Range(0, connections).Select(_ => db.OpenConnectionAsync(limit.Token).AsTask()).ToArray();
        try
        {
            var opened = await Task.WhenAll(opening);
            await Task.WhenAll(opened.Select(connection => ReadEachAsync(connection, dialogs, limit.Token)));
            LogWarmed(logger, connections, dialogs.Length, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            // Not a reason to stay unready: the requests open what they need, as without the warm-up.
            LogNotWarmed(logger, e, (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        finally
        {
            // Back to the pool, which keeps them: those that opened, whatever became of the others.
            foreach (var open in opening.Where(open => open.IsCompletedSuccessfully))
            {
                await open.Result.DisposeAsync();
            }
        }
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The connection pool's warm-up ended early after {Ms} ms; requests open the connections they need")]
    private static partial void LogNotWarmed(ILogger logger, Exception exception, int ms);
}
