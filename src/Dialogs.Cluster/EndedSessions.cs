using Npgsql;

namespace Dialogs.Cluster;

/// <summary>
/// A pooled session the server had ended (a restart, its idle timeout, an operator's pg_terminate_backend) fails the
/// first statement that takes it; the pool drops it, and the database is there if the next session answers. For
/// what may be run again without repeating an effect: the service's background queries, the admin endpoints' reads,
/// a cluster change's first step. Requests get the same through their retries (the API's TransientRetry).
/// </summary>
public static class EndedSessions
{
    /// <summary>The server ended a session idle past its idle_session_timeout; not among Npgsql's PostgresErrorCodes.</summary>
    public const string IdleSessionTimeout = "57P05";

    /// <summary>
    /// The server ended the session: an operator, a restart or its idle timeout. Found on a pooled session's next use,
    /// it may have ended long before; found under a statement, the statement's fate is unknown.
    /// </summary>
    public static bool Ended(PostgresException e) => e.SqlState is PostgresErrorCodes.AdminShutdown or IdleSessionTimeout;

    public static async Task<T> RetriedOnceAsync<T>(Func<Task<T>> query)
    {
        try
        {
            return await query();
        }
        catch (PostgresException e) when (Ended(e))
        {
            return await query();
        }
    }
}
