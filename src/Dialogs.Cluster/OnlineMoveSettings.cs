using Npgsql;

namespace Dialogs.Cluster;

/// <summary>
/// What a node must say for shards to move online from or to it: wal_level=logical, since moves replicate logically,
/// and synchronous_commit other than off. A move's cutover waits only for the WAL its source has written, and an
/// asynchronous commit is acknowledged before its WAL is written, so the move could drop a message its sender was told
/// was stored (docs/resharding.md, "Lost writes with synchronous_commit = off"). Read in a session of the connecting
/// role, so that a setting of that role or of the database counts too.
/// </summary>
internal static class OnlineMoveSettings
{
    /// <summary>Both settings in one value, for a node to answer through run_command_on_workers and its kin.</summary>
    public const string Expression = "current_setting('wal_level') || ' ' || current_setting('synchronous_commit')";

    public const string Sql = $"SELECT {Expression}";

    private const string LogicalWalAdvice = "every node needs wal_level=logical for online shard moves";

    private const string SynchronousCommitAdvice =
        "every node needs synchronous_commit on (or local, remote_write, remote_apply): an online shard move can lose "
        + "what a node acknowledged before writing it to its WAL";

    /// <summary>
    /// Reads (host, port, success, result) rows of <see cref="Expression"/>, a null host for the coordinator: what each
    /// node that answered said wrong, and which did not answer (where <paramref name="unreachableCounts"/>), with the
    /// advice for what was said; a node out of reach says nothing of its settings, so gets none.
    /// </summary>
    /// <returns>Null when there is nothing to say.</returns>
    public static async Task<string?> ProblemsAsync(NpgsqlCommand ask, bool unreachableCounts, CancellationToken ct)
    {
        await using var reader = await ask.ExecuteReaderAsync(ct);
        var problems = new List<string>();
        var advice = new SortedSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var node = reader.IsDBNull(0) ? "the coordinator" : $"worker {new NodeAddress(reader.GetString(0), reader.GetInt32(1))}";
            var (success, result) = (reader.GetBoolean(2), reader.GetString(3));
            if (!success)
            {
                if (unreachableCounts)
                {
                    problems.Add($"{node} cannot be reached from the coordinator ({result})");
                }

                continue;
            }

            // Anything but the two words asked for is refused, never read as a pass.
            if (result.Split(' ') is not [var walLevel, var synchronousCommit])
            {
                problems.Add($"{node} answered \"{result}\" for its wal_level and synchronous_commit");
                continue;
            }

            if (walLevel != "logical")
            {
                problems.Add($"{node} has wal_level={walLevel}");
                advice.Add(LogicalWalAdvice);
            }

            if (synchronousCommit == "off")
            {
                problems.Add($"{node} has synchronous_commit=off");
                advice.Add(SynchronousCommitAdvice);
            }
        }

        return problems.Count == 0 ? null : string.Join("; ", problems.Concat(advice)) + ".";
    }
}
