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
    /// A fault of the infrastructure that may pass is retried, and a 503 if it persists. Nothing else is retried: a
    /// defect of the statement or the data, which a retry only repeats and which must show as one (a 500), or a state
    /// of the database that only an operator ends (<see cref="DatabaseErrors.NeedsOperator"/>, a 503 at once).
    /// </summary>
    [Theory]
    [InlineData(PostgresErrorCodes.ConnectionFailure, "connection to the remote node postgres@127.0.0.1:45479 failed", true)]
    [InlineData(PostgresErrorCodes.SqlClientUnableToEstablishSqlConnection, "could not connect", true)]
    [InlineData(PostgresErrorCodes.TooManyConnections, "sorry, too many clients already", true)]
    [InlineData(PostgresErrorCodes.OutOfMemory, "out of memory", true)]
    [InlineData(PostgresErrorCodes.AdminShutdown, "terminating connection due to administrator command", true)]
    [InlineData(PostgresErrorCodes.CrashShutdown, "terminating connection because of crash of another server process", true)]
    [InlineData(PostgresErrorCodes.CannotConnectNow, "the database system is starting up", true)]
    [InlineData("57P05", "terminating connection due to idle-session timeout", true)]
    [InlineData(PostgresErrorCodes.SerializationFailure, "could not serialize access due to concurrent update", true)]
    [InlineData(PostgresErrorCodes.DeadlockDetected, "deadlock detected", true)]
    [InlineData(PostgresErrorCodes.LockNotAvailable, "canceling statement due to lock timeout", true)]
    [InlineData(PostgresErrorCodes.QueryCanceled, "canceling statement due to statement timeout", true)]
    [InlineData(PostgresErrorCodes.IoError, "could not read block 0 in file", true)]
    [InlineData(PostgresErrorCodes.UndefinedTable, "relation \"public.messages_102008\" does not exist", true)] // a shard placement dropped after a move
    [InlineData(PostgresErrorCodes.UndefinedTable, "relation \"messages\" does not exist", false)] // no schema: a 503 of its own, not retried
    [InlineData(PostgresErrorCodes.UndefinedTable, "relation \"dialog_settings\" does not exist", false)]
    [InlineData(PostgresErrorCodes.UniqueViolation, "duplicate key value violates unique constraint \"messages_pkey\"", false)]
    [InlineData(PostgresErrorCodes.CheckViolation, "new row for relation \"messages\" violates check constraint", false)]
    [InlineData(PostgresErrorCodes.NotNullViolation, "null value in column \"body\" violates not-null constraint", false)]
    [InlineData(PostgresErrorCodes.SyntaxError, "syntax error at or near \"FROM\"", false)]
    [InlineData(PostgresErrorCodes.InvalidTextRepresentation, "invalid input syntax for type uuid", false)]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege, "permission denied for table messages", false)]
    [InlineData(PostgresErrorCodes.UndefinedFunction, "function dialog_message_id(uuid) does not exist", false)]
    public void A_database_error_is_retried_only_when_its_code_names_a_fault_that_may_pass(string sqlState, string message, bool transient)
    {
        var error = new PostgresException(message, "ERROR", "ERROR", sqlState);

        Assert.Equal(transient, DatabaseErrors.IsTransient(error));
    }

    /// <summary>
    /// The database's state refuses the work until someone acts: a 503 without a retry. A defect of the statement or
    /// the data is none of these, and a fault that may pass is retried instead.
    /// </summary>
    [Theory]
    [InlineData(PostgresErrorCodes.ReadOnlySqlTransaction, "cannot execute INSERT in a read-only transaction", true)]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege, "permission denied for table messages", true)]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege, "could not open file \"base/16384/17456\": Permission denied", true)]
    [InlineData(PostgresErrorCodes.InvalidAuthorizationSpecification, "role \"dialogs\" is not permitted to log in", true)]
    [InlineData(PostgresErrorCodes.InvalidPassword, "password authentication failed for user \"dialogs\"", true)]
    [InlineData(PostgresErrorCodes.InvalidCatalogName, "database \"dialogs\" does not exist", true)]
    [InlineData(PostgresErrorCodes.UndefinedFile, "could not open file \"base/16384/17456\": No such file or directory", true)]
    [InlineData(PostgresErrorCodes.DataCorrupted, "invalid page in block 0 of relation base/16384/17456", true)]
    [InlineData(PostgresErrorCodes.IndexCorrupted, "index \"messages_pkey\" contains unexpected zero page at block 0", true)]
    [InlineData(PostgresErrorCodes.UndefinedFunction, "function dialog_message_id(uuid) does not exist", true)]
    [InlineData(PostgresErrorCodes.UndefinedFunction, "function dialog_message_id(uuid, uuid) does not exist", false)] // the service's own call wrong
    [InlineData(PostgresErrorCodes.UndefinedTable, "relation \"messages\" does not exist", true)]
    [InlineData(PostgresErrorCodes.UndefinedTable, "relation \"dialog_settings\" does not exist", false)]
    [InlineData(PostgresErrorCodes.UniqueViolation, "duplicate key value violates unique constraint \"messages_pkey\"", false)]
    [InlineData(PostgresErrorCodes.SyntaxError, "syntax error at or near \"FROM\"", false)]
    [InlineData(PostgresErrorCodes.ConnectionFailure, "connection to the remote node postgres@127.0.0.1:45479 failed", false)]
    public void A_database_refusing_the_work_in_its_state_needs_an_operator(string sqlState, string message, bool needsOperator)
    {
        var error = new PostgresException(message, "ERROR", "ERROR", sqlState);

        Assert.Equal(needsOperator, DatabaseErrors.NeedsOperator(error));
    }

    /// <summary>Of those, what only a person puts right: its 503 says to come back in 30 s, not 2.</summary>
    [Theory]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege, "permission denied for table messages", true)]
    [InlineData(PostgresErrorCodes.InvalidAuthorizationSpecification, "role \"dialogs\" is not permitted to log in", true)]
    [InlineData(PostgresErrorCodes.InvalidPassword, "password authentication failed for user \"dialogs\"", true)]
    [InlineData(PostgresErrorCodes.InvalidCatalogName, "database \"dialogs\" does not exist", true)]
    [InlineData(PostgresErrorCodes.DataCorrupted, "invalid page in block 0 of relation base/16384/17456", true)]
    [InlineData(PostgresErrorCodes.IndexCorrupted, "index \"messages_pkey\" contains unexpected zero page at block 0", true)]
    [InlineData(PostgresErrorCodes.ReadOnlySqlTransaction, "cannot execute INSERT in a read-only transaction", false)] // a failover may end it
    [InlineData(PostgresErrorCodes.UndefinedFile, "could not open file \"base/16384/17456\": No such file or directory", false)]
    [InlineData(PostgresErrorCodes.UndefinedTable, "relation \"messages\" does not exist", false)] // the migrator is on its way
    [InlineData(PostgresErrorCodes.ConnectionFailure, "connection to the remote node postgres@127.0.0.1:45479 failed", false)]
    public void Only_what_a_person_puts_right_waits_for_someone(string sqlState, string message, bool waits)
    {
        Assert.Equal(waits, DatabaseErrors.WaitsForSomeone(new PostgresException(message, "ERROR", "ERROR", sqlState)));
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
