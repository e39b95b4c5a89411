using Dialogs.Cluster;
using Microsoft.Extensions.Configuration;

namespace Dialogs.Migrator;

/// <summary>The cluster the migrator builds, from the Citus configuration section.</summary>
public sealed record CitusOptions(NodeAddress? CoordinatorHost, IReadOnlyList<NodeAddress> Workers, int ShardCount)
{
    public const string Section = "Citus";
    public const int DefaultShardCount = 32;

    /// <exception cref="FormatException">A node address or the shard count is malformed, or workers are listed without the coordinator's host.</exception>
    public static CitusOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var coordinator = section["CoordinatorHost"] is { Length: > 0 } host ? NodeAddress.Parse(host) : null;
        // Workers come as a list (Citus:Workers:0, ...) or, for a single environment variable, comma-separated.
        var workers = section.GetSection("Workers").GetChildren().Select(child => child.Value)
            .Append(section["Workers"])
            .SelectMany(value => (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(NodeAddress.Parse)
            .Distinct()
            .ToList();
        var shardCount = section["ShardCount"] is { Length: > 0 } count
            ? int.TryParse(count, out var parsed) && parsed is >= 1 and <= 64000
                ? parsed
                : throw new FormatException($"Citus:ShardCount '{count}' must be a whole number from 1 to 64000.")
            : DefaultShardCount;
        // Without it Citus registers the coordinator as "localhost", and then refuses to add any worker.
        return coordinator is null && workers.Count > 0
            ? throw new FormatException("Citus:Workers is set but Citus:CoordinatorHost is not: set the coordinator's host as the workers reach it.")
            : new CitusOptions(coordinator, workers, shardCount);
    }
}
