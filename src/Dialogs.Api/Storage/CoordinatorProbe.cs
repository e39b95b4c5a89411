using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Whether the coordinator (or the single PostgreSQL node) still answers: a new connection within
/// <see cref="TimeoutSeconds"/>. A statement that ran out its time says only that somebody stopped answering, its
/// shard's worker or the coordinator in front of it; this tells the two apart, so that a hung coordinator is not taken
/// for a hung worker, whose dialogs would then be refused after the coordinator is back (<see cref="WorkerCircuit"/>).
/// Asked only after such a timeout.
/// </summary>
public sealed class CoordinatorProbe(NpgsqlDataSource probe) : IAsyncDisposable
{
    public const int TimeoutSeconds = 1;

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

    public ValueTask DisposeAsync() => probe.DisposeAsync();
}
