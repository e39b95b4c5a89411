using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// A pooled session the server had ended (a restart, its idle timeout, an operator's pg_terminate_backend) fails the
/// first statement that takes it; the pool drops it, and the database is there if the next session answers. For the
/// service's own background queries, which would otherwise report an outage that is not one. Requests get the same
/// through their retries (<see cref="DatabaseErrors.IsTransient(Exception)"/>).
/// </summary>
internal static class EndedSessions
{
    public static async Task<T> RetriedOnceAsync<T>(Func<Task<T>> query)
    {
        try
        {
            return await query();
        }
        catch (PostgresException e) when (DatabaseErrors.SessionEnded(e))
        {
            return await query();
        }
    }
}
