using Npgsql;

namespace Dialogs.Cluster;

/// <summary>Citus errors that the store and the cluster operations both have to tell apart by their words.</summary>
public static class CitusErrors
{
    /// <summary>
    /// A connection to a worker failed inside a statement that needed it: Citus raises XX000 "failure on connection
    /// marked as essential: host:port", under the code it also uses for refusals. The worker is down or restarting.
    /// </summary>
    public static bool IsWorkerConnectionFailure(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.InternalError
        && e.MessageText.StartsWith("failure on connection marked as essential", StringComparison.Ordinal);

    /// <summary>
    /// The coordinator's own server died while this session's statement waited on a worker (kill -9, a crash): Citus
    /// raises XX000 "postmaster was shut down, exiting". The worker may still commit what it was sent.
    /// </summary>
    public static bool IsCoordinatorGone(PostgresException e) =>
        e.SqlState == PostgresErrorCodes.InternalError && e.MessageText == "postmaster was shut down, exiting";
}
