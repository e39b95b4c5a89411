using System.Net.Sockets;
using Dialogs.Api.Storage;
using Npgsql;

namespace Dialogs.Tests.Storage;

/// <summary>
/// Citus raises its refusals and some infrastructure faults under one code (XX000), so its words decide: a fault is a
/// 503 that may pass, a refusal is not retried.
/// </summary>
public sealed class DatabaseErrorsTests
{
    [Theory]
    [InlineData("failure on connection marked as essential: 127.0.0.1:45479", true)] // a worker lost mid-statement
    [InlineData("could not find valid entry for shard 102008", true)] // a shard moved between planning and execution
    [InlineData("cannot remove or disable the node 127.0.0.1:45479 because because it contains the only shard placement for shard 102012", false)]
    [InlineData("Shard replication factor (1) cannot be greater than number of nodes with should_have_shards=true (0).", false)]
    public void Citus_internal_errors_are_transient_only_for_a_lost_worker_or_a_moved_shard(string message, bool transient)
    {
        var error = new PostgresException(message, "ERROR", "ERROR", PostgresErrorCodes.InternalError);

        Assert.Equal(transient, DatabaseErrors.IsTransient(error));
    }

    public static TheoryData<Exception, bool> SendFailures => new()
    {
        // Sent, never answered: a hung worker commits the insert when it runs again.
        { new PostgresException("canceling statement due to user request", "ERROR", "ERROR", PostgresErrorCodes.QueryCanceled), true },
        { new NpgsqlException("Exception while reading from stream", new TimeoutException()), true },
        { new NpgsqlException("Exception while reading from stream", new EndOfStreamException()), true },
        { new PostgresException("failure on connection marked as essential: 127.0.0.1:45479", "ERROR", "ERROR", PostgresErrorCodes.InternalError), true },
        { new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown), true },
        // Never ran, or ended with its transaction.
        { new PostgresException("connection to the remote node 127.0.0.1:45479 failed", "ERROR", "ERROR", PostgresErrorCodes.ConnectionFailure), false },
        { new PostgresException("deadlock detected", "ERROR", "ERROR", PostgresErrorCodes.DeadlockDetected), false },
        { new PostgresException("could not find valid entry for shard 102008", "ERROR", "ERROR", PostgresErrorCodes.InternalError), false },
        { new NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused)), false },
        { new WorkerUnavailableException("127.0.0.1:45479"), false },
    };

    [Theory]
    [MemberData(nameof(SendFailures))]
    public void A_failed_send_may_have_stored_its_message_only_when_its_statement_reached_the_database_and_got_no_answer(
        Exception failure, bool mayHaveStored) =>
        Assert.Equal(mayHaveStored, DatabaseErrors.MayHaveTakenEffect(failure));
}
