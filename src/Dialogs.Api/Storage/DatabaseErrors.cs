using System.Net.Sockets;
using Dialogs.Cluster;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Tells infrastructure faults (a node down, restarting or overloaded, a connection lost, a shard in the middle of a
/// move) from defects. The first are worth a retry and, if they persist, a 503; so is a database that refuses the work
/// until someone acts (<see cref="NeedsOperator"/>), without the retry; the rest, defects, are a 500.
/// </summary>
public static class DatabaseErrors
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => IsTransient(postgres),
        WorkerUnavailableException or NoTurnException or SendOutcomeUnknownException => true,
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        NpgsqlException npgsql => npgsql.IsTransient,
        TimeoutException or SocketException => true,
        _ => false,
    };

    /// <summary>
    /// Citus could not reach the worker that holds the shard: it is down. It may be restarting, but usually it stays
    /// so for a while, so waiting long for it only piles up requests that take pool connections from the live workers.
    /// </summary>
    public static bool IsWorkerUnreachable(Exception exception) => exception is PostgresException { SqlState: ['0', '8', _, _, _] } postgres
        && (postgres.MessageText.Contains("remote node", StringComparison.Ordinal)
            || postgres.MessageText.StartsWith("could not establish any connections to the node", StringComparison.Ordinal));

    /// <summary>
    /// A statement ran out its time (<see cref="MessageStore.StatementTimeoutSeconds"/>): its shard's worker or the
    /// coordinator stopped answering without closing its connections (hung, or its host silent), or it waited on a lock
    /// held on its shard; which, the error does not say (<see cref="CoordinatorProbe"/>). It usually stays so a while.
    /// </summary>
    public static bool IsUnanswered(Exception exception) => exception switch
    {
        // A command timeout, as Npgsql reports it: the server's answer to the cancel Npgsql sent (the service sets no
        // statement_timeout and cancels nothing else), or, without waiting for one, a broken read. Not Npgsql's
        // other timeouts (the pool exhausted, a connection not opened in time): no statement ran.
        PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => true,
        NpgsqlException { InnerException: TimeoutException, Message: "Exception while reading from stream" } => true,
        _ => false,
    };

    /// <summary>
    /// The statement reached the database and its answer never came, so it may have taken effect: it ran out its time
    /// (a hung worker goes on to commit the insert it was sent once it runs again), the connection broke while it was
    /// read, the coordinator lost the worker mid-statement or died itself, or the server ended the session under it.
    /// Any other error the server reported ended the statement's transaction; an error before the statement was sent
    /// left nothing.
    /// </summary>
    public static bool MayHaveTakenEffect(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                                      || CitusErrors.IsWorkerConnectionFailure(postgres)
                                      || CitusErrors.IsCoordinatorGone(postgres)
                                      // Citus reports a worker's connection breaking under the statement and one that
                                      // was never opened alike (08006); only the second certainly sent nothing.
                                      || (IsWorkerUnreachable(postgres) && !IsWorkerRefusingConnections(postgres)),
        NpgsqlException { Message: "Exception while reading from stream" } => true,
        _ => false,
    };

    /// <summary>
    /// Citus could not open a connection to the worker at all, so the statement never reached it: nothing listened,
    /// the worker's server refused the session as it started (full, starting or stopping, or its authentication), or
    /// libpq gave up before it had one. A connection broken later has other words ("connection not open", "server
    /// closed the connection unexpectedly", "terminating connection due to ..."), and anything not listed here is
    /// taken as possibly sent: a needless "unknown" costs a client a read, a wrong "not stored" a second copy.
    /// </summary>
    private static bool IsWorkerRefusingConnections(PostgresException e) =>
        e.MessageText.Contains("Connection refused", StringComparison.Ordinal)
        || e.MessageText.StartsWith("could not establish any connections to the node", StringComparison.Ordinal)
        || e.MessageText.IndexOf("FATAL:  ", StringComparison.Ordinal) is >= 0 and var fatal
           && SessionRefusals.Any(refusal => e.MessageText.IndexOf(refusal, fatal, StringComparison.Ordinal) >= 0)
        || e.MessageText.Contains("with the following error: fe_sendauth:", StringComparison.Ordinal);

    // PostgreSQL's words, after FATAL, for a session it will not start; it says them only while a session starts.
    private static readonly string[] SessionRefusals =
    [
        "sorry, too many clients already",
        "remaining connection slots are reserved",
        "too many connections for",
        "the database system is",
        "pg_hba.conf rejects connection",
        "no pg_hba.conf entry",
        "password authentication failed",
        "is not permitted to log in",
    ];

    /// <summary>
    /// The database refuses the work in the state it is in, until an operator acts: the schema missing
    /// (<see cref="IsSchemaMissing"/>), a node read-only (in recovery, demoted, or made so), a login or a privilege
    /// taken away, a file it cannot open, data it finds corrupt. Not worth retrying within a request, yet the service
    /// is unavailable, not broken: a 503, and the same request succeeds once it is put right.
    /// </summary>
    public static bool NeedsOperator(Exception exception) => IsSchemaMissing(exception) || WaitsForSomeone(exception)
        || exception is PostgresException { SqlState: var code }
           && (code is PostgresErrorCodes.ReadOnlySqlTransaction
               || code.StartsWith("58", StringComparison.Ordinal)); // system errors: a file missing or unreadable

    /// <summary>
    /// What only a person puts right, in minutes at best: a login or a privilege taken away, a database gone, data
    /// found corrupt. Not a read-only node, which a failover may end within seconds, nor a file the server could not
    /// open for a moment, nor a schema the migrator is about to apply.
    /// </summary>
    public static bool WaitsForSomeone(Exception exception) => exception is PostgresException { SqlState: var code }
        && (code is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.InvalidCatalogName
                or PostgresErrorCodes.DataCorrupted or PostgresErrorCodes.IndexCorrupted
            || code.StartsWith("28", StringComparison.Ordinal)); // invalid authorization: a login refused

    /// <summary>
    /// The store's schema is not there, or not all of it: the API runs ahead of the migrator (a first deployment, or
    /// an upgrade, can start it first) or points at a database without the schema. Not worth retrying within a
    /// request, yet the service is unavailable, not broken: a 503 until the schema is there.
    /// </summary>
    public static bool IsSchemaMissing(Exception exception) => exception is PostgresException postgres && postgres.SqlState switch
    {
        PostgresErrorCodes.UndefinedTable => postgres.MessageText == $"relation \"{MessageStore.Table}\" does not exist",
        PostgresErrorCodes.UndefinedColumn => postgres.MessageText.Contains($"\"{MessageStore.SendIdColumn}\"", StringComparison.Ordinal),
        // The function the migration creates, by its signature: a call of the service's with other arguments is a bug.
        PostgresErrorCodes.UndefinedFunction => postgres.MessageText == $"function {MessageStore.IdFunction}(uuid) does not exist",
        _ => false,
    };

    private static bool IsTransient(PostgresException e) => e.SqlState switch
    {
        ['0', '8', _, _, _] => true,                     // connection exceptions; Citus reports an unreachable worker as 08006
        ['5', '3', _, _, _] => true,                     // insufficient resources, e.g. 53300 too many connections
        PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow => true,
        // A pooled session the server ended while it sat idle (idle_session_timeout): the statement never ran, and the
        // retry is served (the pool's other sessions, idle as long, do not fail it again: DatabaseStateTests).
        EndedSessions.IdleSessionTimeout => true,
        PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected => true, // a distributed deadlock too
        PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.QueryCanceled => true, // lock timeout, statement timeout or cancel
        PostgresErrorCodes.SystemError or PostgresErrorCodes.IoError => true,
        // A shard that moved or split between planning and execution (citus notes §2), a worker lost mid-statement, or
        // the coordinator's server gone under the statement.
        PostgresErrorCodes.InternalError => e.MessageText.StartsWith("could not find valid entry for shard", StringComparison.Ordinal)
                   || CitusErrors.IsWorkerConnectionFailure(e) || CitusErrors.IsCoordinatorGone(e),
        PostgresErrorCodes.UndefinedTable => IsShardRelation(e.MessageText),
        _ => false,
    };

    /// <summary>relation "public.messages_102008" does not exist: a shard placement dropped after a move.</summary>
    private static bool IsShardRelation(string message)
    {
        var end = message.IndexOf("\" does not exist", StringComparison.Ordinal);
        var underscore = end > 0 ? message.LastIndexOf('_', end) : -1;
        return underscore > 0 && end - underscore > 1 && message[(underscore + 1)..end].All(char.IsAsciiDigit);
    }
}
