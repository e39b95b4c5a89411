using Npgsql;

namespace Dialogs.Bench.Scenarios;

public static class Maintenance
{
    /// <summary>
    /// After a bulk load, what autovacuum would soon do on its own: set hint bits and the visibility map and refresh
    /// statistics, so the timed reads see the table in the state a long-lived one is in, not the first reads after a COPY.
    /// On Citus the coordinator runs it on every shard.
    /// </summary>
    public static async Task VacuumAnalyzeAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        await using var vacuum = db.CreateCommand("VACUUM ANALYZE messages");
        vacuum.CommandTimeout = 600;
        await vacuum.ExecuteNonQueryAsync(ct);
    }
}
