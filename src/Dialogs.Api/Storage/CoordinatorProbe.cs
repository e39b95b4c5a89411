using System.Collections.Concurrent;
using Dialogs.Cluster;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Who stopped answering when a statement ran out its time: its shard's worker, the coordinator in front of it, or
/// neither (the statement waited on a lock its shard alone holds: an operator's, a long transaction's). Only the
/// first is to be refused for all its dialogs (<see cref="WorkerCircuit"/>): a hung coordinator blamed on a worker
/// would have that worker's dialogs refused after the coordinator is back, a locked shard blamed on its worker would
/// have every dialog of the worker refused while the lock lasts. Asked only after such a timeout, over connections of
/// its own: the pool's may all be taken by the statements that are waiting.
/// </summary>
public sealed class CoordinatorProbe(NpgsqlDataSource probe) : IAsyncDisposable
{
    public const int TimeoutSeconds = 1;

    private readonly ClusterOperations _cluster = new(probe);
    // One check per worker at a time: every statement on a hung worker runs out its time at once.
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _checks = new();

    public static CoordinatorProbe For(string connectionString)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = "dialogs-api-probe",
            // A connection of its own each time: the pool's would answer for a server that has stopped since.
            Pooling = false,
            Timeout = TimeoutSeconds,
        };
        return new CoordinatorProbe(NpgsqlDataSource.Create(settings));
    }

    /// <summary>Whether the coordinator (or the single PostgreSQL node) still answers: a new connection within <see cref="TimeoutSeconds"/>.</summary>
    public async Task<bool> AnswersAsync()
    {
        try
        {
            await using var connection = await probe.OpenConnectionAsync();
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether a statement for <paramref name="placement"/> that ran out its time did so because its worker stopped
    /// answering: the coordinator answers, and cannot reach the worker (<see cref="ClusterOperations.ReachesAsync"/>,
    /// at most 2 s). Never on PostgreSQL without Citus, where the one server is the coordinator.
    /// </summary>
    public Task<bool> BlamesWorkerAsync(Placement placement) =>
        placement.ShardId is null
            ? Task.FromResult(false)
            : _checks.GetOrAdd(placement.Node, node => new Lazy<Task<bool>>(() => CheckWorkerAsync(node))).Value;

    private async Task<bool> CheckWorkerAsync(string worker)
    {
        try
        {
            return await AnswersAsync() && !await _cluster.ReachesAsync(NodeAddress.Parse(worker), CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // The coordinator stopped answering between the two questions: nothing to blame the worker for.
            return false;
        }
        finally
        {
            _checks.TryRemove(worker, out _);
        }
    }

    public ValueTask DisposeAsync() => probe.DisposeAsync();
}
