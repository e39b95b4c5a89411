using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Dialogs.Local.Cluster;
using Dialogs.Local.Commands;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Local;

/// <summary>
/// The README's commands as a user types them: the local tool as a process of its own, building and starting the
/// API, on a cluster of its own folder (Citus where it is installed, else one plain node, as the README says).
/// </summary>
public sealed partial class LocalServiceTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(4); // `up` builds the API

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Up_serves_status_shows_an_API_that_cannot_reach_its_database_down_stops_every_process_and_up_again_keeps_the_messages()
    {
        var folder = FolderForNodes();
        var tool = new LocalTool(folder.FullName);
        var apiFolder = Path.Combine(folder.FullName, "api");
        try
        {
            var up = await tool.RunAsync("up");
            var url = RunningAt().Match(up).Groups[1].Value;
            // Its hints act on this service, copied into any shell, not on local-cluster/.
            Assert.Contains($"{Workspace.FolderVariable}={folder.FullName} dotnet run --project tools/Dialogs.Local -- down", up);
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await tool.RunAsync("token", "alice"));
            var sent = await http.PostAsJsonAsync("/dialog/bob/send", new { text = "kept across down and up" }, Ct);
            Assert.Equal(HttpStatusCode.OK, sent.StatusCode);

            var cluster = LocalCluster.Open(await PostgresInstallation.FindAsync(), Path.Combine(folder.FullName, "nodes"))!;
            var nodes = cluster.Nodes.Select(node => node.Name).ToArray();
            var running = await tool.RunAsync("status");
            Assert.All([.. nodes, "api"], part => Assert.Matches(StateRow(part, "running"), running));

            // An API whose database is gone is there, yet not serving: status says so rather than "running".
            await cluster.Coordinator.StopAsync();
            // A minute: `status` is a process of its own, and it gives the API 3 s to answer, on a machine the other tests keep busy.
            var status = "";
            await Eventually.UntilAsync(async () => (status = await tool.RunAsync("status")).Contains("/health answers 503"),
                "status to show the API's 503", Ct, TimeSpan.FromMinutes(1), () => status);

            var api = Assert.Single(LocalApi.RunningFrom(apiFolder));
            var down = await tool.RunAsync("down");
            Assert.Contains("API stopped.", down);
            // All but the coordinator, stopped above.
            Assert.Contains(nodes.Length > 1 ? $"Stopped {nodes.Length - 1} PostgreSQL node(s)." : "No PostgreSQL node was running.", down);
            Assert.True(Processes.HasEnded(api));
            Assert.Empty(LocalApi.RunningFrom(apiFolder));
            foreach (var node in cluster.Nodes)
            {
                Assert.False(await node.IsRunningAsync(), $"{node.Name} still runs after down");
            }

            status = await tool.RunAsync("status");
            Assert.All([.. nodes, "api"], part => Assert.Matches(StateRow(part, "stopped"), status));

            Assert.Equal(url, RunningAt().Match(await tool.RunAsync("up")).Groups[1].Value);
            var page = await http.GetFromJsonAsync<Message[]>("/dialog/bob/list", Ct);
            Assert.Equal(["kept across down and up"], page!.Select(message => message.Text));
        }
        finally
        {
            await tool.ExitCodeAsync("down"); // what failed before is the test's failure, not this
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task In_a_folder_no_up_has_used_down_stops_nothing_and_makes_nothing_and_token_is_refused()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dialogs-local-{Guid.NewGuid():N}"); // a typing error's
        var tool = new LocalTool(folder);

        Assert.Contains($"No local service in {folder}: nothing to stop.", await tool.RunAsync("down"));
        Assert.False(Path.Exists(folder));

        Assert.Equal(1, await tool.ExitCodeAsync("token", "alice"));
        Assert.False(Path.Exists(folder));
    }

    [Fact]
    public async Task In_a_folder_of_other_files_down_add_worker_and_cluster_remove_leave_it_as_it_was()
    {
        var folder = Directory.CreateTempSubdirectory("dialogs-local-").FullName; // a folder of the user's, named by mistake
        try
        {
            File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
            var tool = new LocalTool(folder);

            Assert.Contains($"No local service in {folder}: nothing to stop.", await tool.RunAsync("down"));
            Assert.Equal(1, await tool.ExitCodeAsync("add-worker"));
            Assert.Equal(1, await tool.ExitCodeAsync("cluster", "remove", "127.0.0.1:1"));

            Assert.Equal([Path.Combine(folder, "notes.txt")], Directory.GetFileSystemEntries(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Down_stops_an_API_left_behind_without_a_cluster_and_says_only_that()
    {
        // An `up` stopped after it built and started the API, before its nodes or its service.json were there.
        var folder = Directory.CreateTempSubdirectory("dialogs-local-").FullName;
        try
        {
            var apiFolder = Directory.CreateDirectory(Path.Combine(folder, "api")).FullName;
            var leftBehind = await StandInApi.StartAsync(apiFolder, Ct);

            var said = await new LocalTool(folder).RunAsync("down");

            Assert.Contains("API stopped.", said);
            Assert.DoesNotContain("nothing to stop", said);
            Assert.False(Processes.IsAlive(leftBehind, LocalApi.ProcessMarker), "the API left behind still runs");
        }
        finally
        {
            await LocalApi.StopAllFromAsync(Path.Combine(folder, "api"));
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public Task Down_stops_the_servers_of_nodes_whose_cluster_json_is_gone_and_leaves_their_data() =>
        WithPlainClusterAsync(async (folder, nodes, cluster) =>
        {
            File.Delete(Path.Combine(nodes, LocalCluster.StateFileName));

            var said = await new LocalTool(folder).RunAsync("down");

            // As one line: the console wraps a line this long at its width.
            Assert.Contains($"Stopped 1 PostgreSQL server(s) whose data lies in {nodes} without a cluster.json", Regex.Replace(said, @"\s+", " "));
            Assert.DoesNotContain("nothing to stop", said);
            Assert.False(await cluster.Coordinator.IsRunningAsync(), "the node still runs");
            Assert.True(File.Exists(Path.Combine(nodes, cluster.Coordinator.Name, "data", "PG_VERSION")), "its data went");
        });

    [Fact]
    public Task On_plain_PostgreSQL_add_worker_and_the_cluster_commands_say_there_is_no_cluster_to_manage_and_start_nothing() =>
        WithPlainClusterAsync(async (folder, nodes, _) =>
        {
            var tool = new LocalTool(folder);
            foreach (var command in (string[][])[["add-worker"], ["cluster", "status"], ["cluster", "rebalance"]])
            {
                var (exitCode, said) = await tool.RunToEndAsync(command);
                Assert.True(exitCode == 1, $"`{string.Join(' ', command)}` exited with {exitCode}: {said}");
                Assert.Contains("This local cluster is plain PostgreSQL", said);
                Assert.DoesNotContain("Started", said);
            }

            // No worker was started, not even one stopped and deleted again.
            Assert.Equal(["postgres"], Directory.GetDirectories(nodes).Select(Path.GetFileName));
            Assert.Single(LocalCluster.Open(await PostgresInstallation.FindAsync(), nodes)!.Nodes);
        });

    /// <summary>
    /// Runs <paramref name="test"/> on one plain PostgreSQL node, the cluster `up` makes where Citus is not installed,
    /// given the service's folder and its nodes' folder; then stops every server there and deletes the folder.
    /// </summary>
    private static async Task WithPlainClusterAsync(Func<string, string, LocalCluster, Task> test)
    {
        var folder = FolderForNodes().FullName;
        var postgres = await PostgresInstallation.FindAsync();
        var nodes = Path.Combine(folder, "nodes");
        try
        {
            await test(folder, nodes, await LocalCluster.CreateAsync(postgres, nodes, citus: false, workers: 0, Durability.Fast, Ct));
        }
        finally
        {
            await LocalNode.StopAllUnderAsync(postgres, nodes);
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A temporary folder the nodes' servers can walk into: as root they run as the postgres user, and a temporary folder is its owner's alone.</summary>
    private static DirectoryInfo FolderForNodes()
    {
        var folder = Directory.CreateTempSubdirectory("dialogs-local-");
        if (!OperatingSystem.IsWindows())
        {
            folder.UnixFileMode |= UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        }

        return folder;
    }

    [GeneratedRegex(@"Dialogs is running at (http://\S+)")]
    private static partial Regex RunningAt();

    /// <summary>A row of status's table: the part, its address, its state.</summary>
    private static Regex StateRow(string part, string state) => new($@"│ {Regex.Escape(part)} +│ \S+ +│ {state} +│");

    private sealed record Message(string Text);

    /// <summary>The local tool run as `dotnet run --project tools/Dialogs.Local -- ...` runs it, on a folder of its own.</summary>
    private sealed class LocalTool(string folder)
    {
        /// <summary>Runs one command to its end; its output, or the test fails with it where it exits other than 0.</summary>
        public async Task<string> RunAsync(params string[] arguments)
        {
            var (exitCode, output) = await RunToEndAsync(arguments);
            Assert.True(exitCode == 0, $"`{string.Join(' ', arguments)}` exited with {exitCode}: {output}");
            return output;
        }

        public async Task<int> ExitCodeAsync(params string[] arguments) => (await RunToEndAsync(arguments)).ExitCode;

        public async Task<(int ExitCode, string Output)> RunToEndAsync(string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = LocalApi.FindRepositoryRoot(),
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { [Workspace.FolderVariable] = folder },
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Dialogs.Local.dll"));
            arguments.ToList().ForEach(start.ArgumentList.Add);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(CommandTimeout);
            var (exitCode, output, errors) = await Processes.RunToEndAsync(start, timeout.Token);
            // Standard output alone: what a command prints for a user to copy (the URL, a token) is there.
            return exitCode == 0 ? (0, output.Trim()) : (exitCode, output + errors);
        }
    }
}
