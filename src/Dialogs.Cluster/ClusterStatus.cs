namespace Dialogs.Cluster;

/// <summary>The nodes of the cluster, what each holds, and the latest rebalance job.</summary>
public sealed record ClusterStatus(IReadOnlyList<NodeStatus> Nodes, RebalanceStatus? Rebalance);

/// <param name="Reachable">
/// The coordinator reached the node just now: false for a worker that is down or hangs, which the other members do not
/// tell (a worker that is down stays active and keeps its shards).
/// </param>
/// <param name="Bytes">Size of the shards on the node; null when a node could not be asked.</param>
public sealed record NodeStatus(int NodeId, string Address, bool IsCoordinator, bool IsActive, bool ShouldHaveShards, int Shards,
    bool Reachable, long? Bytes);

/// <param name="TakesShards">False for a worker that was drained: a rebalance moves no shard onto it.</param>
public sealed record RegisteredWorker(int NodeId, bool TakesShards);

/// <summary>A rebalance (or drain) job: Citus runs it in the background, one shard-group move per task.</summary>
public sealed record RebalanceStatus(
    long JobId,
    string State,
    DateTime? StartedAt,
    DateTime? FinishedAt,
    int MovesTotal,
    int MovesDone,
    IReadOnlyList<ShardMove> Moving,
    string? Error)
{
    /// <summary>Nothing more will happen: finished, failed or cancelled.</summary>
    public bool IsOver => State is "finished" or "failed" or "cancelled";

    public bool Succeeded => State == "finished";
}

/// <summary>A shard being moved right now, with Citus' own progress words (Copying Data, Catching Up, ...).</summary>
public sealed record ShardMove(long ShardId, string Table, string Source, string Target, string Status, long SourceBytes, long TargetBytes);
