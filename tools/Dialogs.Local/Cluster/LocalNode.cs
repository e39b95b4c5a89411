using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Dialogs.Local.Cluster;

/// <summary>Whether a node may trade crash safety for speed: test clusters are thrown away, a user's cluster is not.</summary>
public enum Durability
{
    Safe,
    Fast,
}

/// <summary>One PostgreSQL server on 127.0.0.1, its data and log in a folder of its own.</summary>
public sealed class LocalNode(PostgresInstallation postgres, string name, string folder, int port)
{
    public const string Host = "127.0.0.1";
    public const string Database = "dialogs";
    private const int LogLinesOnFailure = 6;
    private static readonly TimeSpan BootstrapEndTimeout = TimeSpan.FromSeconds(10);

    public string Name { get; } = name;
    public int Port { get; } = port;
    public string Address => $"{Host}:{Port}";
    public string LogPath => Path.Combine(folder, "postgres.log");
    private string DataDirectory => Path.Combine(folder, "data");

    /// <summary>The running server's postmaster (the first line of its postmaster.pid): the parent of all its processes.</summary>
    public int PostmasterPid() =>
        int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

    public string ConnectionString(string database = Database) =>
        $"Host={Host};Port={Port};Username=postgres;Database={database}";

    /// <summary>initdb with the settings every node of a Citus cluster needs for online shard moves.</summary>
    public async Task InitializeAsync(bool citus, Durability durability, CancellationToken ct = default)
    {
        Directory.CreateDirectory(folder);
        await Processes.GiveToPostgresAsync(folder);
        await Processes.RunAsync(postgres.Tool("initdb"),
            ["-D", DataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions"],
            asPostgres: true, ct);

        string[] settings =
        [
            // Loopback only, and trust: a developer's and a test's cluster, never a deployment.
            $"listen_addresses = '{Host}'",
            $"port = {Port}",
            "unix_socket_directories = ''",
            "max_connections = 300",
            "wal_level = logical",
            "max_wal_senders = 20",
            "max_replication_slots = 20",
            "max_worker_processes = 24",
            "max_logical_replication_workers = 8",
            // Shard moves finish their catch-up sooner (Citus' own test settings).
            "wal_retrieve_retry_interval = '250ms'",
            "log_min_messages = warning",
            // Its log lines in the API's time zone (ServiceDefaults.ConfigureConsoleLog), whatever the machine's.
            "log_timezone = 'UTC'",
            .. citus
                ? (string[])
                [
                    "shared_preload_libraries = 'citus'",
                    // A query for a dialog on a worker that is down fails in 2 s (default 30 s), so the API can
                    // answer 503 quickly while dialogs on the other workers keep working.
                    "citus.node_connection_timeout = 2000",
                ]
                : [],
            // Never synchronous_commit = off: an online shard move ends its catch-up at the source's WAL write
            // position, so a commit acknowledged but not yet written can be lost with the old shard (docs/resharding.md).
            .. durability == Durability.Fast ? (string[])["fsync = off", "full_page_writes = off"] : [],
        ];
        await File.AppendAllLinesAsync(Path.Combine(DataDirectory, "postgresql.conf"), ["", "# Dialogs local cluster", .. settings], ct);
    }

    /// <exception cref="InvalidOperationException">It did not start; the message names the node and ends with its log's last lines.</exception>
    public async Task StartAsync()
    {
        if (await IsRunningAsync())
        {
            return;
        }

        if (!File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            // pg_ctl would say only that the server did not start, and the log's last lines are of its last run.
            throw new InvalidOperationException($"The {Name} node has no data: {DataDirectory} is missing or was emptied, "
                + "so the node cannot start, and the messages it held are gone. Restore the folder, or start afresh: `down`, "
                + "then delete local-cluster/ (or the folder DIALOGS_LOCAL_FOLDER names; its other nodes' data with it) and `up`.");
        }

        try
        {
            await Processes.RunAsync(postgres.Tool("pg_ctl"), ["-D", DataDirectory, "-l", LogPath, "-w", "-t", "60", "start"], asPostgres: true);
        }
        catch (InvalidOperationException e)
        {
            // pg_ctl says only "could not start server, examine the log output"; the reason (a port taken, ...) is there.
            throw Failure($"did not start on port {Port}", e);
        }
    }

    /// <summary>What went wrong with this node, and its log's last lines, which say why.</summary>
    private InvalidOperationException Failure(string what, Exception inner)
    {
        var logEnd = File.Exists(LogPath) ? File.ReadLines(LogPath).TakeLast(LogLinesOnFailure) : [];
        return new InvalidOperationException(
            $"The {Name} node {what}. The end of its log, {LogPath}:{Environment.NewLine}  "
            + string.Join($"{Environment.NewLine}  ", logEnd), inner);
    }

    /// <summary>
    /// Stops every node whose data directory lies under <paramref name="folder"/> and is running (has a
    /// postmaster.pid), knowing nothing else of it: what clears up after a run that was killed or failed half-way.
    /// </summary>
    /// <returns>How many were running.</returns>
    public static async Task<int> StopAllUnderAsync(PostgresInstallation postgres, string folder) =>
        Directory.Exists(folder)
            ? (await Task.WhenAll(Directory.EnumerateFiles(folder, "postmaster.pid", SearchOption.AllDirectories).Select(pidFile =>
            {
                // A node's folder holds its data directory, and its postmaster.pid the port its pools are known by.
                var nodeFolder = Path.GetDirectoryName(Path.GetDirectoryName(pidFile))!;
                return new LocalNode(postgres, Path.GetFileName(nodeFolder), nodeFolder, PortIn(pidFile)).StopAsync();
            }))).Count(wasRunning => wasRunning)
            : 0;

    /// <summary>The port a postmaster.pid names on its fourth line, or 0 where it names none (yet).</summary>
    private static int PortIn(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadLines(pidFile).ElementAtOrDefault(3), System.Globalization.CultureInfo.InvariantCulture, out var port)
                ? port
                : 0;
        }
        catch (IOException)
        {
            return 0; // being removed as the node stops
        }
    }

    /// <returns>Whether it was running.</returns>
    public async Task<bool> StopAsync()
    {
        if (BootstrapBackend() is { } backend)
        {
            // initdb's single-user backend, its pid negated in postmaster.pid: pg_ctl refuses to stop one. It was
            // interrupted with the `up` that ran initdb and ends within moments; its data folder is thrown away.
            await Processes.WaitEndedAsync(backend, BootstrapEndTimeout);
            return false;
        }

        if (!await IsRunningAsync())
        {
            return false;
        }

        await Processes.RunAsync(postgres.Tool("pg_ctl"), ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], asPostgres: true);
        // This process's pooled connections to the node are dead now; kept, a node started later on the same port
        // would hand them out. (A node whose port its folder did not tell has none here: nothing to clear. Only the
        // service's database is reached through a pool: the others' connections are made unpooled.)
        if (Port != 0)
        {
            await using var pooled = new NpgsqlConnection(ConnectionString());
            NpgsqlConnection.ClearPool(pooled);
        }

        return true;
    }

    private int? BootstrapBackend()
    {
        try
        {
            return PostmasterPid() is < 0 and var negated ? -negated : null;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException)
        {
            return null; // no postmaster.pid, or one being written or removed
        }
    }

    public async Task<bool> IsRunningAsync()
    {
        try
        {
            await Processes.RunAsync(postgres.Tool("pg_ctl"), ["-D", DataDirectory, "status"], asPostgres: true);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>The application database, with Citus created in it where the cluster uses Citus.</summary>
    /// <exception cref="InvalidOperationException">The server failed meanwhile; the message ends with its log's last lines.</exception>
    public async Task CreateDatabaseAsync(bool citus)
    {
        try
        {
            await CreateDatabaseAndExtensionAsync(citus);
        }
        catch (NpgsqlException e)
        {
            throw Failure($"started on port {Port}, then failed while its database was made ({e.Message})", e);
        }
    }

    private async Task CreateDatabaseAndExtensionAsync(bool citus)
    {
        // Unpooled: Npgsql pools by connection string, so by port, and a port comes round to the next new node (tests
        // make many): a pooled connection to an earlier node on it, ended when that node stopped, would answer the
        // first statement with its "terminating connection due to administrator command".
        await using (var admin = new NpgsqlConnection($"{ConnectionString("postgres")};Pooling=false"))
        {
            await admin.OpenAsync();
            await using var exists = new NpgsqlCommand($"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{Database}')", admin);
            if (!(bool)(await exists.ExecuteScalarAsync())!)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", admin);
                await create.ExecuteNonQueryAsync();
            }
        }

        if (citus)
        {
            await using var connection = new NpgsqlConnection($"{ConnectionString()};Pooling=false");
            await connection.OpenAsync();
            await using var extension = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS citus", connection);
            await extension.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Whether nothing listens on <paramref name="port"/> of the loopback address now.</summary>
    public static bool IsFree(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Ports that are free now, all distinct (each listener stays open until every port is chosen).</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(listener => listener.Start());
            return listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(listener => listener.Stop());
        }
    }
}
