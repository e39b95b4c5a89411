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
    [InlineData("postmaster was shut down, exiting", true)] // the coordinator killed under the statement
    [InlineData("cannot remove or disable the node 127.0.0.1:45479 because because it contains the only shard placement for shard 102012", false)]
    [InlineData("Shard replication factor (1) cannot be greater than number of nodes with should_have_shards=true (0).", false)]
    public void Citus_internal_errors_are_transient_only_for_a_lost_node_or_a_moved_shard(string message, bool transient)
    {
        var error = new PostgresException(message, "ERROR", "ERROR", PostgresErrorCodes.InternalError);

        Assert.Equal(transient, DatabaseErrors.IsTransient(error));
    }

    /// <summary>
    /// How each database error is answered. A fault of the infrastructure that may pass is retried, and a 503 if it
    /// persists. A state of the database that refuses the work until someone acts needs an operator: a 503 at once,
    /// without a retry, and one that only a person puts right (minutes at best) waits for someone: its 503 says to come
    /// back in 30 s, not 2. Anything else is a defect of the statement or the data, which a retry only repeats and which
    /// must show as one: a 500. One row per error, so that each is seen against all three questions.
    /// </summary>
    public static TheoryData<string, string, bool, bool, bool> DatabaseFaults => new()
    {
        // SQLSTATE, message: retried, needs an operator, waits for someone.
        // Faults that may pass.
        { PostgresErrorCodes.ConnectionFailure, "connection to the remote node postgres@127.0.0.1:45479 failed", true, false, false },
        { PostgresErrorCodes.SqlClientUnableToEstablishSqlConnection, "could not connect", true, false, false },
        { PostgresErrorCodes.TooManyConnections, "sorry, too many clients already", true, false, false },
        { PostgresErrorCodes.OutOfMemory, "out of memory", true, false, false },
        { PostgresErrorCodes.AdminShutdown, "terminating connection due to administrator command", true, false, false },
        { PostgresErrorCodes.CrashShutdown, "terminating connection because of crash of another server process", true, false, false },
        { PostgresErrorCodes.CannotConnectNow, "the database system is starting up", true, false, false },
        { "57P05", "terminating connection due to idle-session timeout", true, false, false },
        { PostgresErrorCodes.SerializationFailure, "could not serialize access due to concurrent update", true, false, false },
        { PostgresErrorCodes.DeadlockDetected, "deadlock detected", true, false, false },
        { PostgresErrorCodes.LockNotAvailable, "canceling statement due to lock timeout", true, false, false },
        { PostgresErrorCodes.QueryCanceled, "canceling statement due to statement timeout", true, false, false },
        { PostgresErrorCodes.UndefinedTable, "relation \"public.messages_102008\" does not exist", true, false, false }, // a shard placement dropped after a move
        // A file the server could not read: retried, and an operator's if it persists.
        { PostgresErrorCodes.IoError, "could not read block 0 in file", true, true, false },
        // Refused until someone acts, within seconds: a failover, the migrator on its way, a file back in place.
        { PostgresErrorCodes.ReadOnlySqlTransaction, "cannot execute INSERT in a read-only transaction", false, true, false },
        { PostgresErrorCodes.UndefinedTable, "relation \"messages\" does not exist", false, true, false },
        { PostgresErrorCodes.UndefinedFunction, "function dialog_message_id(uuid) does not exist", false, true, false },
        { PostgresErrorCodes.UndefinedFile, "could not open file \"base/16384/17456\": No such file or directory", false, true, false },
        // Refused until a person puts it right.
        { PostgresErrorCodes.InsufficientPrivilege, "permission denied for table messages", false, true, true },
        { PostgresErrorCodes.InsufficientPrivilege, "could not open file \"base/16384/17456\": Permission denied", false, true, true },
        { PostgresErrorCodes.InvalidAuthorizationSpecification, "role \"dialogs\" is not permitted to log in", false, true, true },
        { PostgresErrorCodes.InvalidPassword, "password authentication failed for user \"dialogs\"", false, true, true },
        { PostgresErrorCodes.InvalidCatalogName, "database \"dialogs\" does not exist", false, true, true },
        { PostgresErrorCodes.DataCorrupted, "invalid page in block 0 of relation base/16384/17456", false, true, true },
        { PostgresErrorCodes.IndexCorrupted, "index \"messages_pkey\" contains unexpected zero page at block 0", false, true, true },
        // Defects.
        { PostgresErrorCodes.UndefinedTable, "relation \"dialog_settings\" does not exist", false, false, false },
        { PostgresErrorCodes.UndefinedFunction, "function dialog_message_id(uuid, uuid) does not exist", false, false, false }, // the service's own call wrong
        { PostgresErrorCodes.UniqueViolation, "duplicate key value violates unique constraint \"messages_pkey\"", false, false, false },
        { PostgresErrorCodes.CheckViolation, "new row for relation \"messages\" violates check constraint", false, false, false },
        { PostgresErrorCodes.NotNullViolation, "null value in column \"body\" violates not-null constraint", false, false, false },
        { PostgresErrorCodes.SyntaxError, "syntax error at or near \"FROM\"", false, false, false },
        { PostgresErrorCodes.InvalidTextRepresentation, "invalid input syntax for type uuid", false, false, false },
    };

    [Theory]
    [MemberData(nameof(DatabaseFaults))]
    public void A_database_error_is_retried_refused_until_someone_acts_or_a_defect_by_its_code_and_words(
        string sqlState, string message, bool retried, bool needsOperator, bool waitsForSomeone)
    {
        var error = new PostgresException(message, "ERROR", "ERROR", sqlState);

        // In the rows' order, so that a failure shows which of the three answers is wrong.
        Assert.Equal(
            (retried, needsOperator, waitsForSomeone),
            (DatabaseErrors.IsTransient(error), DatabaseErrors.NeedsOperator(error), DatabaseErrors.WaitsForSomeone(error)));
    }

    public static TheoryData<Exception, bool> SendFailures => new()
    {
        // Sent, never answered: a hung worker commits the insert when it runs again.
        { new PostgresException("canceling statement due to user request", "ERROR", "ERROR", PostgresErrorCodes.QueryCanceled), true },
        { new NpgsqlException("Exception while reading from stream", new TimeoutException()), true },
        { new NpgsqlException("Exception while reading from stream", new EndOfStreamException()), true },
        { new PostgresException("failure on connection marked as essential: 127.0.0.1:45479", "ERROR", "ERROR", PostgresErrorCodes.InternalError), true },
        { new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown), true },
        { new PostgresException("postmaster was shut down, exiting", "ERROR", "ERROR", PostgresErrorCodes.InternalError), true },
        // A worker killed under the statement, its connection already open (seen with kill -9 of a worker's postmaster).
        { RemoteNodeFailure("connection not open"), true },
        { RemoteNodeFailure("server closed the connection unexpectedly\n\tThis probably means the server terminated abnormally"), true },
        // Never ran, or ended with its transaction.
        { RemoteNodeFailure("connection to server at \"127.0.0.1\", port 45479 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?"), false },
        { new PostgresException("could not establish any connections to the node 127.0.0.1:45479 after 2000 ms", "ERROR", "ERROR", PostgresErrorCodes.ConnectionFailure), false },
        { RemoteNodeFailure("FATAL:  sorry, too many clients already"), false },
        { RemoteNodeFailure("FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute"), false },
        { RemoteNodeFailure("FATAL:  the database system is shutting down"), false },
        { RemoteNodeFailure("FATAL:  pg_hba.conf rejects connection for host \"127.0.0.1\", user \"postgres\", database \"dialogs\", SSL encryption"), false },
        { RemoteNodeFailure("FATAL:  password authentication failed for user \"postgres\""), false },
        { RemoteNodeFailure("fe_sendauth: no password supplied"), false },
        { RemoteNodeFailure("FATAL:  role \"dialogs\" is not permitted to log in"), false },
        { RemoteNodeFailure("FATAL:  too many connections for role \"dialogs\""), false },
        { RemoteNodeFailure("FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"dialogs\", no encryption"), false },
        // An open connection the worker ended, perhaps under the statement.
        { RemoteNodeFailure("FATAL:  terminating connection due to administrator command\nserver closed the connection unexpectedly"), true },
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

    /// <summary>Citus's words for a worker connection that failed, with libpq's reason after them.</summary>
    private static PostgresException RemoteNodeFailure(string reason) =>
        new($"connection to the remote node postgres@127.0.0.1:45479 failed with the following error: {reason}", "ERROR", "ERROR",
            PostgresErrorCodes.ConnectionFailure);
}
