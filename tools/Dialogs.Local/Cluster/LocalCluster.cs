using Dialogs.Cluster;
using Dialogs.Migrator;

namespace Dialogs.Local.Cluster;

/// <summary>
/// A coordinator and its workers (or one plain PostgreSQL node where Citus is not installed) as local processes,
/// described by cluster.json in its folder so a later command finds the same nodes on the same ports. The run
/// command and the test suite both use this class.
/// </summary>
public sealed class LocalCluster
{
    public const string StateFileName = "cluster.json";

    private readonly PostgresInstallation _postgres;
    private readonly string _folder;
    private readonly List<LocalNode> _workers;

    private bool _unfinished;

    private LocalCluster(PostgresInstallation postgres, string folder, State state)
    {
        _postgres = postgres;
        _folder = folder;
        _unfinished = state.Unfinished;
        Citus = state.Citus;
        Durability = state.Durability;
        Coordinator = Node(state.Nodes[0]);
        _workers = state.Nodes.Skip(1).Select(Node).ToList();
    }

    public bool Citus { get; }
    public Durability Durability { get; }
    public LocalNode Coordinator { get; }
    public IReadOnlyList<LocalNode> Workers => _workers;
    public IEnumerable<LocalNode> Nodes => [Coordinator, .. _workers];

    /// <summary>The migrator's configuration for this cluster, as command-line arguments.</summary>
    public IEnumerable<string> MigratorArguments =>
    [
        $"--ConnectionStrings:{DialogsDatabase.ConnectionStringName}={Coordinator.ConnectionString()}",
        .. Citus ? (string[])[$"--Citus:CoordinatorHost={Coordinator.Address}"] : [],
        .. _workers.Select((worker, i) => $"--Citus:Workers:{i}={worker.Address}"),
    ];

    /// <summary>
    /// Applies the schema with the migrator, logging only warnings, over <paramref name="shardCount"/> shards where
    /// the cluster runs Citus; throws with the migrator's own words when it fails.
    /// </summary>
    public async Task MigrateAsync(int shardCount, CancellationToken ct)
    {
        var errors = new StringWriter();
        string[] arguments = [.. MigratorArguments, $"--Citus:ShardCount={shardCount}", "--Logging:LogLevel:Default=Warning"];
        if (await MigratorApp.RunAsync(arguments, errors, ct) != MigratorApp.Succeeded)
        {
            throw new InvalidOperationException($"The migrator failed on the cluster in {_folder}: {errors.ToString().Trim()}");
        }
    }

    /// <summary>
    /// Creates and starts a new cluster: with Citus, a coordinator and <paramref name="workers"/> workers. Until every
    /// node is ready, cluster.json marks the cluster unfinished: a creation stopped part-way (Ctrl+C, a node that
    /// fails to start) is then no cluster to <see cref="Open"/>, and <see cref="RemoveUnfinishedAsync"/> clears it.
    /// On a failure the nodes started are stopped, their logs kept.
    /// </summary>
    public static async Task<LocalCluster> CreateAsync(PostgresInstallation postgres, string folder, bool citus, int workers, Durability durability,
        CancellationToken ct = default)
    {
        if (NodeDataIn(folder).FirstOrDefault() is { } data)
        {
            // Without a cluster.json of its own, a folder with nodes' data is none this tool can open, or may clear up.
            throw new InvalidOperationException($"{folder} holds a node's data ({data}) but no {StateFileName} telling which cluster "
                + "it is, so a new cluster is not made there and nothing in it is touched. Stop its servers, if any run "
                + $"(pg_ctl stop -D <its data folder>, as the postgres user), then move the folder away to keep its data, or delete it.");
        }

        var names = citus ? ["coordinator", .. Enumerable.Range(1, workers).Select(i => $"worker{i}")] : new[] { "postgres" };
        var ports = LocalNode.FreePorts(names.Length);
        var state = new State(citus, durability, names.Select((name, i) => new NodeState(name, ports[i])).ToList(), Unfinished: true);
        Directory.CreateDirectory(folder);
        if (!OperatingSystem.IsWindows())
        {
            // The postgres user must be able to walk into the folder to reach its nodes' data.
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        }

        await Processes.RequirePostgresCanReachAsync(folder);
        var cluster = new LocalCluster(postgres, folder, state);
        // Saved before any server starts, so that whatever starts is found again however this ends.
        cluster.Save();
        try
        {
            await Task.WhenAll(cluster.Nodes.Select(node => cluster.PrepareAsync(node, ct)));
        }
        catch
        {
            await cluster.StopAsync(CancellationToken.None);
            throw;
        }

        cluster._unfinished = false;
        cluster.Save();
        return cluster;
    }

    /// <summary>The cluster described in <paramref name="folder"/>, or null if there is none or its creation did not finish.</summary>
    public static LocalCluster? Open(PostgresInstallation postgres, string folder) =>
        ReadState(folder) is { Unfinished: false } state ? new LocalCluster(postgres, folder, state) : null;

    /// <summary>
    /// Stops and deletes what a creation that did not finish left in <paramref name="folder"/>: servers nothing else
    /// would stop, and data folders initdb would refuse to reuse. Nothing of value goes: the schema, and so any
    /// message, comes only after the creation finished.
    /// </summary>
    /// <returns>How many nodes that creation had begun, or 0 if the folder holds no unfinished cluster.</returns>
    public static async Task<int> RemoveUnfinishedAsync(PostgresInstallation postgres, string folder)
    {
        if (ReadState(folder) is not { Unfinished: true } state)
        {
            return 0;
        }

        await new LocalCluster(postgres, folder, state).StopAsync();
        Directory.Delete(folder, recursive: true);
        return state.Nodes.Count;
    }

    private static State? ReadState(string folder) => StateFile.Read<State>(Path.Combine(folder, StateFileName),
        "it lists the nodes and their ports; fix it, or stop their servers (pg_ctl stop -D <data folder>, as the postgres "
        + "user) and move the folder away to keep their data.");

    /// <summary>The data folders initdb made under <paramref name="folder"/>, one per node.</summary>
    private static IEnumerable<string> NodeDataIn(string folder) => Directory.Exists(folder)
        ? Directory.EnumerateDirectories(folder).Select(node => Path.Combine(node, "data"))
            .Where(data => File.Exists(Path.Combine(data, "PG_VERSION")))
        : [];

    /// <summary>Starts one more worker on a free port; registering it with the coordinator is the operator's step.</summary>
    /// <exception cref="InvalidOperationException">
    /// The coordinator is not running: the worker could not be registered, and the next `up` would register it unasked.
    /// </exception>
    public async Task<LocalNode> AddWorkerAsync()
    {
        if (!await Coordinator.IsRunningAsync())
        {
            throw new InvalidOperationException("The local cluster is stopped: start it with `up`, then add a worker.");
        }

        // The lowest free name: a worker removed earlier frees its own.
        var name = Enumerable.Range(1, _workers.Count + 1).Select(i => $"worker{i}").First(candidate => _workers.All(w => w.Name != candidate));
        var worker = Node(new NodeState(name, LocalNode.FreePorts(1)[0]));
        // A worker is listed only once ready, and registered only once listed: one whose adding was stopped part-way,
        // now or before, is in no list, holds nothing, and is thrown away, or its folder would stop every later add.
        await DiscardAsync(worker);
        try
        {
            await PrepareAsync(worker, CancellationToken.None);
        }
        catch
        {
            await DiscardAsync(worker);
            throw;
        }

        _workers.Add(worker);
        Save();
        return worker;
    }

    /// <summary>
    /// Stops the worker at <paramref name="address"/> and deletes it, once Citus no longer counts it as a node (the
    /// operator's `remove`), so that a later start of the cluster does not bring it back.
    /// </summary>
    /// <returns>The worker, or null if none of this cluster's workers has that address.</returns>
    public async Task<LocalNode?> ForgetWorkerAsync(string address)
    {
        if (_workers.Find(w => w.Address == address) is not { } worker)
        {
            return null;
        }

        await worker.StopAsync();
        _workers.Remove(worker);
        Save();
        Directory.Delete(Path.Combine(_folder, worker.Name), recursive: true);
        return worker;
    }

    public Task StartAsync(CancellationToken ct = default) =>
        Interruptible(() => Task.WhenAll(Nodes.Select(node => node.StartAsync())), ct);

    private async Task DiscardAsync(LocalNode node)
    {
        var folder = Path.Combine(_folder, node.Name);
        if (Directory.Exists(folder))
        {
            await node.StopAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Stops every node that runs.</summary>
    /// <returns>How many were running.</returns>
    public async Task<int> StopAsync(CancellationToken ct = default)
    {
        var stops = Nodes.Select(node => node.StopAsync()).ToList();
        await Interruptible(() => Task.WhenAll(stops), ct);
        return stops.Count(stop => stop.Result);
    }

    private Task PrepareAsync(LocalNode node, CancellationToken ct) => Interruptible(async () =>
    {
        // initdb may be stopped part-way, its folder is thrown away with the unfinished cluster; a server is never killed.
        await node.InitializeAsync(Citus, Durability, ct);
        await node.StartAsync();
        await node.CreateDatabaseAsync(Citus);
    }, ct);

    private static async Task Interruptible(Func<Task> work, CancellationToken ct)
    {
        try
        {
            await work();
        }
        catch (InvalidOperationException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C reaches initdb and pg_ctl too (one process group): their failure is the interruption, and their
            // output (initdb's is pages long) would only hide it.
            throw new OperationCanceledException(ct);
        }
    }

    private LocalNode Node(NodeState node) => new(_postgres, node.Name, Path.Combine(_folder, node.Name), node.Port);

    private void Save() => StateFile.Write(Path.Combine(_folder, StateFileName),
        new State(Citus, Durability, Nodes.Select(node => new NodeState(node.Name, node.Port)).ToList(), _unfinished));

    /// <param name="Unfinished">Set while the nodes are created; absent, so false, in a cluster.json of before it existed.</param>
    private sealed record State(bool Citus, Durability Durability, List<NodeState> Nodes, bool Unfinished = false);

    private sealed record NodeState(string Name, int Port);
}
