using Npgsql;

namespace Dialogs.Cluster;

/// <summary>
/// Growing and shrinking a Citus cluster while it serves traffic. The migrator's command line and the API's admin
/// endpoints both go through this class. Shard moves are always online (logical replication, shard_transfer_mode
/// auto); a job is judged by its recorded state, since citus_rebalance_wait() returns normally even when it failed.
/// </summary>
public sealed class ClusterOperations(NpgsqlDataSource db)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Npgsql's default, stated because the API's data source has its hot path's much shorter one: registering a node
    /// syncs Citus's metadata to it, and reaching a worker may wait out Citus's own connection timeout.
    /// </summary>
    private const int StatementTimeoutSeconds = 30;

    /// <summary>Sizing every shard takes milliseconds per worker; a worker that takes longer is not answering.</summary>
    private const int ShardSizesTimeoutSeconds = 3;

    /// <summary>A worker answers a connection check in milliseconds; one that takes longer is not answering.</summary>
    private const int ReachTimeoutSeconds = 2;

    /// <summary>The advisory lock changes of the cluster take turns on: a bigint key like the migrator's, another value ("Cluster" in ASCII).</summary>
    public const long ChangeLockKey = 0x436C7573746572;

    public async Task<ClusterStatus> GetStatusAsync(CancellationToken ct)
    {
        var listed = new List<ListedNode>();
        await using (var select = Command("""
            SELECT n.nodeid, n.nodename, n.nodeport, n.groupid, n.isactive, n.shouldhaveshards, count(p.shardid)::int
            FROM pg_dist_node n
            LEFT JOIN pg_dist_placement p ON p.groupid = n.groupid
            WHERE n.noderole = 'primary'
            GROUP BY n.nodeid
            ORDER BY n.nodeid
            """))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                listed.Add(new ListedNode(reader.GetInt32(0), new NodeAddress(reader.GetString(1), reader.GetInt32(2)), reader.GetInt32(3),
                    reader.GetBoolean(4), reader.GetBoolean(5), reader.GetInt32(6)));
            }
        }

        // The coordinator answered the list; each worker is asked from it, as every distributed statement reaches it.
        // All at once: a worker that hangs holds its check and the sizing for their timeouts, not one after the other.
        var reaching = Task.WhenAll(listed.Select(node => node.IsCoordinator ? Task.FromResult(true) : ReachesAsync(node.Address, ct)));
        var sizing = ShardBytesPerGroupAsync(ct);
        await Task.WhenAll(reaching, sizing);
        var (reachable, bytes) = (await reaching, await sizing);
        var nodes = listed.Select((node, i) => new NodeStatus(node.NodeId, node.Address.ToString(), node.IsCoordinator,
            node.IsActive, node.ShouldHaveShards, node.Shards, reachable[i],
            // A node without shards has none to size; one whose shards went unsized could not be asked (it is down).
            node.Shards == 0 ? 0 : bytes is not null && bytes.TryGetValue(node.Group, out var sized) ? sized : null)).ToList();
        return new ClusterStatus(nodes, await GetRebalanceAsync(jobId: null, ct));
    }

    /// <summary>
    /// Registers a worker once it has shown it can take online moves: it is checked before citus_add_node, so a node
    /// that cannot is never given shards, and checked again when it is registered already, so asking twice never turns
    /// a refusal into a success. A registered worker is left as it is, but for one that was drained, which takes shards
    /// again (the next rebalance moves some onto it): an operator adding it back means that.
    /// </summary>
    /// <returns>The node id.</returns>
    /// <exception cref="WorkerNotReadyException">
    /// The coordinator cannot reach it, it cannot take part in online moves (<see cref="OnlineMoveSettings"/>), it is the
    /// coordinator or a registered worker under another name, or Citus could not add it (no citus extension).
    /// </exception>
    /// <exception cref="RebalanceAlreadyRunningException">A rebalance job is running, and the worker is new or drained.</exception>
    public async Task<int> AddWorkerAsync(NodeAddress worker, CancellationToken ct) =>
        (await RegisterAsync(worker, takeShardsAgain: true, ct)).NodeId;

    /// <summary>
    /// Registers a worker that the configuration lists, as the migrator does on every run, with the checks of
    /// <see cref="AddWorkerAsync"/>. A registered worker is left as it is, a drained one too: a redeploy that lists
    /// the workers it started with is no operator asking for a drained one back, and must not undo the drain.
    /// </summary>
    /// <exception cref="WorkerNotReadyException">As for <see cref="AddWorkerAsync"/>.</exception>
    /// <exception cref="RebalanceAlreadyRunningException">A rebalance job is running, and the worker is new.</exception>
    public Task<RegisteredWorker> RegisterWorkerAsync(NodeAddress worker, CancellationToken ct) =>
        RegisterAsync(worker, takeShardsAgain: false, ct);

    private async Task<RegisteredWorker> RegisterAsync(NodeAddress worker, bool takeShardsAgain, CancellationToken ct)
    {
        await using var turn = await TakeTurnAsync(ct);
        // master_run_on_worker is what run_command_on_workers runs on: it reaches any node, registered or not.
        await using (var ask = Command(
            "SELECT node_name, node_port, success, result FROM master_run_on_worker(ARRAY[$1], ARRAY[$2], ARRAY[$3], false)"))
        {
            ask.Parameters.Add(new() { Value = worker.Host });
            ask.Parameters.Add(new() { Value = worker.Port });
            ask.Parameters.Add(new() { Value = OnlineMoveSettings.Sql });
            if (await OnlineMoveSettings.ProblemsAsync(ask, unreachableCounts: true, ct) is { } problems)
            {
                throw new WorkerNotReadyException(problems);
            }
        }

        (int Id, bool IsCoordinator, bool TakesShards)? registered = null;
        await using (var existing = Command(
            "SELECT nodeid, groupid = 0, shouldhaveshards FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2"))
        {
            existing.Parameters.Add(new() { Value = worker.Host });
            existing.Parameters.Add(new() { Value = worker.Port });
            await using var reader = await existing.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct))
            {
                registered = (reader.GetInt32(0), reader.GetBoolean(1), reader.GetBoolean(2));
            }
        }

        switch (registered)
        {
            // The coordinator is in pg_dist_node too (group 0); answering its id would pass it off as a worker.
            case { IsCoordinator: true }:
                throw new WorkerNotReadyException($"{worker} is the coordinator; a worker is another PostgreSQL server.");
            case { TakesShards: false } drained when takeShardsAgain:
                await RefuseWhileRebalanceRunsAsync($"add {worker} again once it is over", ct);
                await SetShouldHaveShardsAsync(worker, true, ct);
                return new RegisteredWorker(drained.Id, TakesShards: true);
            case { } node:
                return new RegisteredWorker(node.Id, node.TakesShards);
        }

        await RefuseWhileRebalanceRunsAsync($"add {worker} once it is over", ct);
        await RefuseRegisteredServerAsync(worker, ct);
        await using var add = Command("SELECT citus_add_node($1, $2)");
        add.Parameters.Add(new() { Value = worker.Host });
        add.Parameters.Add(new() { Value = worker.Port });
        try
        {
            return new RegisteredWorker((int)(await add.ExecuteScalarAsync(ct))!, TakesShards: true);
        }
        catch (PostgresException e) when (!EndedSessions.Ended(e))
        {
            // Citus could not make it a worker, for one because it lacks the citus extension; nothing was registered.
            // (A session ended under it says nothing of the worker, and may have registered it.)
            throw new WorkerNotReadyException($"Citus could not add worker {worker}: {e.MessageText}");
        }
    }

    /// <summary>
    /// Refuses a registered worker, or the coordinator, under another name (localhost for 127.0.0.1, a second DNS name)
    /// or a physical replica of one, told by the system identifier a server keeps for life and its replicas share.
    /// Citus would try to add a worker again, fail to sync its metadata to a server it already holds with a
    /// "distributed deadlock", and burn a node id; the coordinator, it refuses in words of its own, a node id burnt too.
    /// </summary>
    private async Task RefuseRegisteredServerAsync(NodeAddress worker, CancellationToken ct)
    {
        await using var same = Command("""
            SELECT w.nodename, w.nodeport
            FROM master_run_on_worker(ARRAY[$1], ARRAY[$2], ARRAY[$3], false) candidate
            LEFT JOIN run_command_on_workers($3) w ON w.success AND w.result = candidate.result
            WHERE candidate.success AND (w.nodename IS NOT NULL OR candidate.result = (SELECT system_identifier::text FROM pg_control_system()))
            LIMIT 1
            """);
        same.Parameters.Add(new() { Value = worker.Host });
        same.Parameters.Add(new() { Value = worker.Port });
        same.Parameters.Add(new() { Value = "SELECT system_identifier FROM pg_control_system()" });
        await using var reader = await same.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct))
        {
            throw new WorkerNotReadyException(reader.IsDBNull(0)
                ? $"{worker} is the coordinator's PostgreSQL server, or a replica of it; a worker is another PostgreSQL server."
                : $"{worker} is the PostgreSQL server registered as worker {new NodeAddress(reader.GetString(0), reader.GetInt32(1))}, or a replica of it.");
        }
    }

    /// <summary>
    /// The coordinator and every worker must answer, and be able to take part in online moves
    /// (<see cref="OnlineMoveSettings"/>): a move from or to a node that cannot fails only once the job runs, or loses
    /// writes.
    /// </summary>
    /// <exception cref="WorkerNotReadyException">A worker cannot be reached, or a node cannot take part in online moves.</exception>
    public async Task RequireOnlineMovesAsync(CancellationToken ct)
    {
        if (await EveryNodesMoveProblemsAsync(unreachableCounts: true, ct) is { } problems)
        {
            throw new WorkerNotReadyException(problems);
        }
    }

    /// <summary>
    /// Refuses a job whose moves a node's settings (<see cref="OnlineMoveSettings"/>) would make fail or lose writes:
    /// they may have changed since the node joined (synchronous_commit takes a reload). A worker that does not answer
    /// (down, or refusing one more connection) is left to the job's start, which needs it too and says so.
    /// </summary>
    /// <exception cref="ClusterChangeRefusedException">A node cannot take part in online moves.</exception>
    private async Task RefuseUnsafeMovesAsync(CancellationToken ct)
    {
        if (await EveryNodesMoveProblemsAsync(unreachableCounts: false, ct) is { } problems)
        {
            throw new ClusterChangeRefusedException(problems);
        }
    }

    /// <summary>
    /// The coordinator answers for itself, in this session (it holds shards where it is the only node, and a shard's
    /// writes run in its sessions there); each worker is asked over the coordinator's connection to it.
    /// </summary>
    private async Task<string?> EveryNodesMoveProblemsAsync(bool unreachableCounts, CancellationToken ct)
    {
        await using var ask = Command($"""
            SELECT NULL, 0, true, {OnlineMoveSettings.Expression}
            UNION ALL
            SELECT nodename, nodeport, success, result FROM run_command_on_workers($1)
            """);
        ask.Parameters.Add(new() { Value = OnlineMoveSettings.Sql });
        return await OnlineMoveSettings.ProblemsAsync(ask, unreachableCounts, ct);
    }

    /// <summary>Starts moving shard groups towards an even spread; null when the cluster is balanced already.</summary>
    /// <exception cref="RebalanceAlreadyRunningException">Another rebalance job is running.</exception>
    /// <exception cref="ClusterChangeRefusedException">A worker cannot take part in online moves.</exception>
    public async Task<long?> StartRebalanceAsync(CancellationToken ct)
    {
        await using var turn = await TakeTurnAsync(ct);
        await RefuseWhileRebalanceRunsAsync("start another once it is over", ct);
        await RefuseUnsafeMovesAsync(ct);
        return await StartJobAsync("SELECT citus_rebalance_start(shard_transfer_mode => 'auto')", ct);
    }

    /// <summary>
    /// Marks a worker to hold no shards and starts moving its shards away; null when it holds none. Should the job not
    /// start (Citus refuses: another one runs, or no other node could take the shards; or the call is cancelled or
    /// loses its connection), the mark is undone: left alone it would make a running job's moves onto that worker
    /// fail, and every later rebalance drain it unasked.
    /// </summary>
    /// <exception cref="UnknownWorkerException">No worker is registered at that address.</exception>
    /// <exception cref="RebalanceAlreadyRunningException">Another rebalance job is running.</exception>
    /// <exception cref="ClusterChangeRefusedException">
    /// No other worker could take the shards (Citus would refuse too), or a worker cannot take part in online moves.
    /// </exception>
    public async Task<long?> DrainWorkerAsync(NodeAddress worker, CancellationToken ct)
    {
        await using var turn = await TakeTurnAsync(ct);
        var wasTakingShards = await WorkerShouldHaveShardsAsync(worker, ct);
        // Before the mark: set for a moment under a running job that moves shards onto the worker, it would fail a move.
        // A worker marked already is being drained: any job moves shards off a worker that should have none.
        await RefuseWhileRebalanceRunsAsync(wasTakingShards ? $"drain {worker} once it is over" : $"{worker} is marked drained already, and that job moves away any shards it holds", ct);
        // Citus would refuse too, in words about replication factors.
        if (!await AnotherWorkerTakesShardsAsync(worker, ct))
        {
            throw new ClusterChangeRefusedException($"No other worker takes shards, so those of {worker} would have nowhere to go: add a worker first.");
        }

        await RefuseUnsafeMovesAsync(ct);

        await SetShouldHaveShardsAsync(worker, false, ct);
        try
        {
            return await StartJobAsync("SELECT citus_rebalance_start(drain_only => true, shard_transfer_mode => 'auto')", ct);
        }
        catch when (wasTakingShards)
        {
            await SetShouldHaveShardsAsync(worker, true, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Removes a drained worker; Citus refuses while it still holds a shard.</summary>
    /// <exception cref="UnknownWorkerException">No worker is registered at that address (the coordinator is none).</exception>
    /// <exception cref="RebalanceAlreadyRunningException">A rebalance job is running.</exception>
    /// <exception cref="ClusterChangeRefusedException">The worker still holds shards, or Citus refused.</exception>
    public async Task RemoveWorkerAsync(NodeAddress worker, CancellationToken ct)
    {
        await using var turn = await TakeTurnAsync(ct);
        // Refuses an unknown node and the coordinator, which citus_remove_node would take out of the metadata too.
        await WorkerShouldHaveShardsAsync(worker, ct);
        await RefuseWhileRebalanceRunsAsync($"remove {worker} once it is over", ct);
        // Citus's own refusal names one shard, in words with a typo and a hint to undistribute the tables.
        if (await ShardsOnAsync(worker, ct) is > 0 and var shards)
        {
            throw new ClusterChangeRefusedException(
                $"Worker {worker} still holds {shards} {(shards == 1 ? "shard" : "shards")}: drain it first, and remove it once the drain's job has finished.");
        }

        await using var remove = Command("SELECT citus_remove_node($1, $2)");
        remove.Parameters.Add(new() { Value = worker.Host });
        remove.Parameters.Add(new() { Value = worker.Port });
        try
        {
            await remove.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.ObjectNotInPrerequisiteState or PostgresErrorCodes.InternalError
                                          && !CitusErrors.IsWorkerConnectionFailure(e))
        {
            throw new ClusterChangeRefusedException($"Citus refused: {e.MessageText}", e);
        }
    }

    /// <summary>
    /// Refuses to change the nodes, or to start another job, while a rebalance job runs: Citus refuses a second job
    /// too, but not the others, and only after a drain has marked its worker. The job planned its moves when it
    /// started: a worker removed under it, one of whose moves lands there, leaves the job retrying a node that no
    /// longer exists for good, and every later change refused; a worker it drains, marked as taking shards again, gets
    /// them back at the next rebalance. Called in the turn, so no job started by these operations slips in between.
    /// </summary>
    /// <exception cref="RebalanceAlreadyRunningException">A rebalance job is running.</exception>
    private async Task RefuseWhileRebalanceRunsAsync(string advice, CancellationToken ct)
    {
        await using var running = Command(
            "SELECT min(job_id) FROM pg_dist_background_job WHERE job_type = 'rebalance' AND state NOT IN ('finished', 'failed', 'cancelled')");
        if (await running.ExecuteScalarAsync(ct) is long job)
        {
            throw new RebalanceAlreadyRunningException($"A rebalance is already running as job {job}: {advice}.");
        }
    }

    /// <summary>Whether the registered worker at that address may hold shards.</summary>
    /// <exception cref="UnknownWorkerException">No worker is registered there: no node, or the coordinator.</exception>
    private async Task<bool> WorkerShouldHaveShardsAsync(NodeAddress worker, CancellationToken ct)
    {
        await using var select = Command(
            "SELECT shouldhaveshards, groupid = 0 FROM pg_dist_node WHERE nodename = $1 AND nodeport = $2 AND noderole = 'primary'");
        select.Parameters.Add(new() { Value = worker.Host });
        select.Parameters.Add(new() { Value = worker.Port });
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) && !reader.GetBoolean(1)
            ? reader.GetBoolean(0)
            : throw new UnknownWorkerException(worker, isCoordinator: reader.HasRows);
    }

    private async Task<int> ShardsOnAsync(NodeAddress worker, CancellationToken ct)
    {
        await using var select = Command("""
            SELECT count(*)::int FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid
            WHERE n.nodename = $1 AND n.nodeport = $2
            """);
        select.Parameters.Add(new() { Value = worker.Host });
        select.Parameters.Add(new() { Value = worker.Port });
        return (int)(await select.ExecuteScalarAsync(ct))!;
    }

    private async Task<bool> AnotherWorkerTakesShardsAsync(NodeAddress worker, CancellationToken ct)
    {
        await using var select = Command("""
            SELECT EXISTS (SELECT FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 AND isactive AND shouldhaveshards
                                                      AND NOT (nodename = $1 AND nodeport = $2))
            """);
        select.Parameters.Add(new() { Value = worker.Host });
        select.Parameters.Add(new() { Value = worker.Port });
        return (bool)(await select.ExecuteScalarAsync(ct))!;
    }

    private async Task SetShouldHaveShardsAsync(NodeAddress worker, bool value, CancellationToken ct)
    {
        await using var mark = Command("SELECT citus_set_node_property($1, $2, 'shouldhaveshards', $3)");
        mark.Parameters.Add(new() { Value = worker.Host });
        mark.Parameters.Add(new() { Value = worker.Port });
        mark.Parameters.Add(new() { Value = value });
        await mark.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A rebalance job, or the latest one when <paramref name="jobId"/> is null; null if there is none.</summary>
    public async Task<RebalanceStatus?> GetRebalanceAsync(long? jobId, CancellationToken ct)
    {
        await using var select = Command("""
            SELECT j.job_id, j.state::text, j.started_at, j.finished_at,
                   count(t.task_id)::int,
                   (count(t.task_id) FILTER (WHERE t.status = 'done'))::int,
                   (array_agg(t.message ORDER BY t.task_id DESC) FILTER (WHERE t.message <> ''
                       AND (j.state IN ('failing', 'failed') OR t.retry_count > 0 AND t.status <> 'done')))[1]
            FROM pg_dist_background_job j
            LEFT JOIN pg_dist_background_task t ON t.job_id = j.job_id
            WHERE j.job_type = 'rebalance' AND ($1::bigint IS NULL OR j.job_id = $1)
            GROUP BY j.job_id
            ORDER BY j.job_id DESC
            LIMIT 1
            """);
        select.Parameters.Add(new NpgsqlParameter { Value = (object?)jobId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        RebalanceStatus? status;
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            var state = reader.GetString(1);
            status = new RebalanceStatus(reader.GetInt64(0), state,
                reader.IsDBNull(2) ? null : reader.GetDateTime(2), reader.IsDBNull(3) ? null : reader.GetDateTime(3),
                reader.GetInt32(4), reader.GetInt32(5), [],
                // A failed job's last error; while one runs, the error of a task Citus is retrying, which would
                // otherwise look like a job that is merely slow.
                reader.IsDBNull(6) ? null : reader.GetString(6));
        }

        return status.IsOver ? status : status with { Moving = await MovingShardsAsync(ct) };
    }

    /// <summary>
    /// Cancels a rebalance (or drain) job that is not over: Citus stops its running move and schedules no more. A move
    /// is switched over at its end only, so the shards moved so far stay where they are and the others where they were.
    /// A job whose moves keep failing (Citus retries them with growing pauses) would otherwise run, and hold off every
    /// change of the cluster, for good.
    /// </summary>
    /// <returns>The job's status after the cancellation; null if there is no such job.</returns>
    /// <exception cref="ClusterChangeRefusedException">The job is over already.</exception>
    public async Task<RebalanceStatus?> CancelRebalanceAsync(long jobId, CancellationToken ct)
    {
        switch (await GetRebalanceAsync(jobId, ct))
        {
            case null:
                return null;
            case { IsOver: true } over:
                throw new ClusterChangeRefusedException($"Job {jobId} is over already: it ended {over.State}.");
        }

        await using var cancel = Command("SELECT citus_job_cancel($1)");
        cancel.Parameters.Add(new() { Value = jobId });
        await cancel.ExecuteNonQueryAsync(ct);
        return await GetRebalanceAsync(jobId, ct);
    }

    /// <summary>Polls the job until it is over, reporting each state; the returned status says whether it succeeded.</summary>
    public async Task<RebalanceStatus> WaitForRebalanceAsync(long jobId, IProgress<RebalanceStatus>? progress, CancellationToken ct)
    {
        while (true)
        {
            var status = await GetRebalanceAsync(jobId, ct)
                ?? throw new InvalidOperationException($"There is no rebalance job {jobId}.");
            progress?.Report(status);
            if (status.IsOver)
            {
                return status;
            }

            await Task.Delay(PollInterval, ct);
        }
    }

    private async Task<long?> StartJobAsync(string sql, CancellationToken ct)
    {
        try
        {
            await using var start = Command(sql);
            return await start.ExecuteScalarAsync(ct) is long jobId ? jobId : null;
        }
        catch (PostgresException e) when (e.MessageText.StartsWith("A rebalance is already running", StringComparison.Ordinal))
        {
            throw new RebalanceAlreadyRunningException(e.MessageText, e);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InternalError && !CitusErrors.IsWorkerConnectionFailure(e))
        {
            // Citus' refusals for the cluster's state, such as draining the last worker that could take the shards; not
            // a worker it could not reach, which is no refusal and may pass.
            throw new ClusterChangeRefusedException(e.MessageText, e);
        }
    }

    private async Task<IReadOnlyList<ShardMove>> MovingShardsAsync(CancellationToken ct)
    {
        await using var select = Command("""
            SELECT shardid, table_name::text, sourcename, sourceport, targetname, targetport, status,
                   coalesce(source_shard_size, 0), coalesce(target_shard_size, 0)
            FROM get_rebalance_progress()
            ORDER BY shardid
            """);
        var moves = new List<ShardMove>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            moves.Add(new ShardMove(reader.GetInt64(0), reader.GetString(1),
                new NodeAddress(reader.GetString(2), reader.GetInt32(3)).ToString(),
                new NodeAddress(reader.GetString(4), reader.GetInt32(5)).ToString(),
                reader.GetString(6), reader.GetInt64(7), reader.GetInt64(8)));
        }

        return moves;
    }

    /// <summary>
    /// Whether the coordinator reaches the worker now: false when it refuses connections, or does not answer within
    /// <see cref="ReachTimeoutSeconds"/> (a hung node accepts connections and never answers).
    /// </summary>
    public async Task<bool> ReachesAsync(NodeAddress worker, CancellationToken ct)
    {
        try
        {
            await using var check = Command("SELECT citus_check_connection_to_node($1, $2)");
            check.Parameters.Add(new() { Value = worker.Host });
            check.Parameters.Add(new() { Value = worker.Port });
            check.CommandTimeout = ReachTimeoutSeconds;
            return await check.ExecuteScalarAsync(ct) is true;
        }
        catch (Exception e) when (IsNotAnswered(e))
        {
            return false;
        }
    }

    /// <summary>
    /// Shard bytes per node group; null when a worker cannot be asked: a node down, or hung, which would otherwise hold
    /// the status as long as a statement may run, must not hide the rest, when the status is needed most.
    /// </summary>
    private async Task<Dictionary<int, long>?> ShardBytesPerGroupAsync(CancellationToken ct)
    {
        try
        {
            await using var select = Command("""
                SELECT p.groupid, sum(z.size)::bigint
                FROM citus_shard_sizes() z JOIN pg_dist_placement p ON p.shardid = z.shard_id
                GROUP BY p.groupid
                """);
            select.CommandTimeout = ShardSizesTimeoutSeconds;
            var bytes = new Dictionary<int, long>();
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                bytes[reader.GetInt32(0)] = reader.GetInt64(1);
            }

            return bytes;
        }
        catch (Exception e) when (IsNotAnswered(e))
        {
            return null;
        }
    }

    /// <summary>
    /// Waits until no other change of the cluster is under way, from this process or another (API instances, the
    /// migrator's command line), and holds the others off until the returned connection is closed. A drain reads a
    /// worker's mark, sets it, starts its job and undoes the mark should the job not start: a second drain of the same
    /// worker reading the mark before the first set it would undo it under the first one's running job. The lock is
    /// transaction-scoped: closing the connection rolls its transaction back (Npgsql does on every return to the pool),
    /// and a caller that dies or loses its connection releases it too, so no pooled session keeps it.
    /// </summary>
    /// <remarks>A pooled session found ended here is replaced: nothing of the change has run yet.</remarks>
    private Task<NpgsqlConnection> TakeTurnAsync(CancellationToken ct) => EndedSessions.RetriedOnceAsync(() => TakeTurnOnceAsync(ct));

    private async Task<NpgsqlConnection> TakeTurnOnceAsync(CancellationToken ct)
    {
        var connection = await db.OpenConnectionAsync(ct);
        try
        {
            var transaction = await connection.BeginTransactionAsync(ct);
            await using var wait = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({ChangeLockKey})", connection, transaction)
            {
                CommandTimeout = StatementTimeoutSeconds,
            };
            await wait.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A node refused or failed the question (a PostgreSQL error), or gave no answer within its timeout. Not a session
    /// the coordinator ended, which says nothing of the node asked about: it surfaces, to be asked again on another.
    /// </summary>
    private static bool IsNotAnswered(Exception e) =>
        e is PostgresException postgres && !EndedSessions.Ended(postgres) || e is NpgsqlException { InnerException: TimeoutException };

    private NpgsqlCommand Command(string sql)
    {
        var command = db.CreateCommand(sql);
        command.CommandTimeout = StatementTimeoutSeconds;
        return command;
    }
}

/// <summary>Citus runs one rebalance at a time, and the nodes stay as they are while it runs.</summary>
public sealed class RebalanceAlreadyRunningException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>
/// A change refused for the cluster's state: a drain no other worker could take the shards of, a removal of a worker
/// that holds some, the cancellation of a job that is over, a job whose moves a node's settings would make fail or lose
/// writes.
/// </summary>
public sealed class ClusterChangeRefusedException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>A worker the coordinator cannot reach, or a node (a worker to be, or the coordinator) that cannot take part in online shard moves.</summary>
public sealed class WorkerNotReadyException(string message) : InvalidOperationException(message);

/// <summary>No worker is registered at the address given: no node at all, or the coordinator, which the node list shows too.</summary>
public sealed class UnknownWorkerException(NodeAddress worker, bool isCoordinator = false)
    : InvalidOperationException(isCoordinator
        ? $"{worker} is the coordinator, not a worker: it is neither drained nor removed, since the cluster cannot do without it."
        : $"No worker is registered at {worker}; `cluster status` lists the nodes.")
{
    public NodeAddress Worker { get; } = worker;

    public bool IsCoordinator { get; } = isCoordinator;
}

/// <summary>A node as pg_dist_node lists it, with the count of its shard placements.</summary>
internal sealed record ListedNode(int NodeId, NodeAddress Address, int Group, bool IsActive, bool ShouldHaveShards, int Shards)
{
    public bool IsCoordinator => Group == 0;
}
