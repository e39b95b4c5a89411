using Dialogs.Api.Messaging;
using Dialogs.Cluster;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>Which shard holds a dialog and which node serves it.</summary>
public sealed record Placement(long? ShardId, string Node);

/// <summary>
/// An in-memory copy of Citus' shard placements of the messages table, so each request can name the shard and the
/// worker that serve it without a query. <see cref="ShardPlacementRefresher"/> reloads it every few seconds, so after
/// a shard move it is right again shortly. On PostgreSQL without Citus every dialog is on the one server.
/// </summary>
public sealed class ShardPlacements
{
    private volatile Range[] _ranges = [];

    public ShardPlacements(NpgsqlDataSource db)
    {
        var settings = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        Server = new Placement(null, new NodeAddress(settings.Host ?? "localhost", settings.Port).ToString());
    }

    /// <summary>The placement of every dialog where the table is not distributed (or not yet known).</summary>
    public Placement Server { get; }

    /// <summary>Whether the last load found the table's shards: on Citus, once the migrator has distributed it.</summary>
    public bool Distributed => _ranges.Length > 0;

    public Placement Find(DialogKey dialog)
    {
        var ranges = _ranges;
        var hash = PostgresHash.Uuid(dialog.Value);
        int low = 0, high = ranges.Length - 1;
        while (low <= high)
        {
            var middle = (low + high) / 2;
            var range = ranges[middle];
            if (hash < range.Min)
            {
                high = middle - 1;
            }
            else if (hash > range.Max)
            {
                low = middle + 1;
            }
            else
            {
                return range.Placement;
            }
        }

        return Server;
    }

    /// <summary>
    /// Loads the placements; false once none will ever need loading: the schema is applied on PostgreSQL without
    /// Citus. Before the migrator has created and distributed the table (a first deployment can start the API first)
    /// there is nothing to load yet, and a later call loads it.
    /// </summary>
    public async Task<bool> RefreshAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        try
        {
            await using var select = db.CreateCommand($"""
                SELECT s.shardminvalue::int, s.shardmaxvalue::int, s.shardid, n.nodename, n.nodeport
                FROM pg_dist_shard s
                JOIN pg_dist_placement p ON p.shardid = s.shardid
                JOIN pg_dist_node n ON n.groupid = p.groupid
                WHERE s.logicalrelid = to_regclass('{MessageStore.Table}') AND n.noderole = 'primary'
                ORDER BY 1
                """);
            var ranges = new List<Range>();
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                ranges.Add(new Range(reader.GetInt32(0), reader.GetInt32(1),
                    new Placement(reader.GetInt64(2), new NodeAddress(reader.GetString(3), reader.GetInt32(4)).ToString())));
            }

            _ranges = [.. ranges];
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // No Citus metadata. Plain PostgreSQL once the table is there; until then the migrator may yet create
            // the Citus extension.
            await using var applied = db.CreateCommand(MessageStore.TableCreatedSql);
            return !(bool)(await applied.ExecuteScalarAsync(ct))!;
        }
    }

    private sealed record Range(int Min, int Max, Placement Placement);
}
