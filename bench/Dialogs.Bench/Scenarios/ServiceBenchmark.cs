using System.Diagnostics;
using Dialogs.Api.Messaging;
using Dialogs.Bench.Dialogs;
using Dialogs.Bench.Harness;
using Dialogs.Bench.Load;
using Dialogs.Bench.Reporting;
using Dialogs.Local;
using Dialogs.Local.Cluster;
using Npgsql;

namespace Dialogs.Bench.Scenarios;

/// <summary>
/// The benchmark of issue 6, in one run: on a Citus cluster, then on one plain PostgreSQL node, each with the API in
/// front as its own process, it measures sends and page reads through the API against the same statements issued
/// straight to the coordinator, then the pages of a million-message dialog, while sampling the API's memory.
/// Everything it starts lives in the work folder, which is cleaned up at the end, on failure and on Ctrl+C.
/// </summary>
public static class ServiceBenchmark
{
    private static readonly TimeSpan MemorySampleInterval = TimeSpan.FromMilliseconds(200);

    public static async Task<BenchReport> RunAsync(BenchOptions options, string command, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var postgres = await PostgresInstallation.FindAsync();
        if (!postgres.HasCitus)
        {
            throw new InvalidOperationException(
                $"Citus is not installed for {postgres.BinDirectory} (no citus.control in {postgres.ExtensionDirectory}); this benchmark needs it.");
        }

        using var work = WorkFolder.Claim(options.WorkFolder, postgres);
        // A run killed outright (SIGKILL) could not clean up after itself: its processes are stopped now.
        await work.StartAfreshAsync();
        try
        {
            ProgressLog.Step($"Building the API (Release) into {work.ApiBuild} ...");
            await LocalApi.BuildAsync(LocalApi.FindRepositoryRoot(), work.ApiBuild, ct);
            var tokens = DevTokens.CreateNew();
            var clusters = new List<ClusterResult>();
            foreach (var kind in options.SkipPlain ? [ClusterKind.Citus] : new[] { ClusterKind.Citus, ClusterKind.Plain })
            {
                clusters.Add(await RunOnClusterAsync(kind, options, postgres, work, tokens, ct));
            }

            return new BenchReport(started, clock.Elapsed.TotalMinutes, command, MachineFacts.Read(), options, clusters, Targets.Evaluate(clusters));
        }
        finally
        {
            ProgressLog.Step("Stopping and deleting the clusters and the API ...");
            await work.CleanUpAsync();
        }
    }

    private static async Task<ClusterResult> RunOnClusterAsync(ClusterKind kind, BenchOptions options, PostgresInstallation postgres,
        WorkFolder work, DevTokens tokens, CancellationToken ct)
    {
        ProgressLog.Step(kind == ClusterKind.Citus
            ? $"Citus: starting a coordinator and {options.Workers} workers ({options.ShardCount} shards), the migrator, the API ..."
            : "Plain PostgreSQL: starting one node, the migrator, the API ...");
        var spec = new BenchClusterSpec(kind, options.Workers, options.ShardCount, options.Durability, work.ClusterFolder(kind), options.ApiSettings);
        try
        {
            await using var cluster = await BenchCluster.StartAsync(spec, postgres, work.ApiBuild, tokens, ct);
            ProgressLog.Step($"API at {cluster.Api.Url} (pid {cluster.Api.Pid}), coordinator at {cluster.Nodes.Coordinator.Address}");
            return await MeasureAsync(cluster, options, tokens, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var logs = Path.Combine(options.OutFolder, $"logs-{kind.ToString().ToLowerInvariant()}");
            BenchCluster.PreserveLogs(spec.Folder, logs);
            // The message may name a log in the work folder, which is deleted on the way out: say where the copies are.
            throw new InvalidOperationException($"{kind}: {e.Message} The work folder is deleted; its logs are kept in {logs}.", e);
        }
    }

    private static async Task<ClusterResult> MeasureAsync(BenchCluster cluster, BenchOptions options, DevTokens tokens, CancellationToken ct)
    {
        await using var memory = ProcessMemorySampler.Start(cluster.Api.Pid, MemorySampleInterval);
        await using var db = RawDialogClient.CreateDataSource(cluster.ConnectionString);
        using var api = new ApiDialogClient(cluster.Api.Url, options.Concurrency, tokens);
        var raw = new RawDialogClient(db, new MessageIdGenerator(TimeProvider.System));
        var texts = new SampleTexts();
        var check = new ServiceCheck(api, raw, texts);
        var clients = new SideBySide(api, raw, CpuParts.Meter(cluster), options.StealRepeats);
        await check.SendAndReadAsync(ct);

        var sendDialogs = DialogPair.Create("send", options.Dialogs);
        var readDialogs = await SeedAsync(db, options.Dialogs, texts, ct);
        await check.FullPageAsync(readDialogs[0], ct);

        DialogOperation send = (client, sequence, token) =>
            client.SendAsync(sendDialogs[(int)(sequence % sendDialogs.Count)], texts[sequence], token);
        DialogOperation read = (client, sequence, token) =>
            client.ReadPageAsync(readDialogs[(int)(sequence % readDialogs.Count)], null, token);
        // A fresh API spends its first tens of seconds under load compiling: its tiered JIT competes for the same two
        // cores. Sends and reads, mixed, until its hot paths are optimised, so no measured run pays for that.
        ProgressLog.Step($"Service warm-up: {options.ServiceWarmup.TotalSeconds:0} s of mixed sends and page reads on each side ...");
        await clients.WarmUpAsync("service", LoadPlan.Timed(options.Concurrency, options.ServiceWarmup),
            (client, sequence, token) => sequence % 2 == 0 ? send(client, sequence / 2, token) : read(client, sequence / 2, token), ct);

        var throughput = new ThroughputSettings(options.Concurrency, options.Warmup, options.Duration, options.Runs);
        var sends = await ThroughputComparison.RunAsync("send", clients, throughput, send, ct);
        var reads = await ThroughputComparison.RunAsync("page read", clients, throughput, read, ct);

        var bigDialog = await BigDialogBenchmark.RunAsync(db, clients, check,
            new BigDialogSettings(options.Messages, Math.Max(50, options.PageRequests / 4), options.PageRequests, options.Runs), texts, ct);
        return new ClusterResult(cluster.Kind, await cluster.DescribeAsync(ct), sends, reads, bigDialog, await memory.StopAsync());
    }

    /// <summary>Dialogs with two full pages of history each, for the page reads.</summary>
    private static async Task<IReadOnlyList<DialogPair>> SeedAsync(NpgsqlDataSource db, int count, SampleTexts texts, CancellationToken ct)
    {
        const int PerDialog = 2 * PageRequest.DefaultLimit;
        ProgressLog.Step($"Seeding {Figures.Count(count)} dialogs with {PerDialog} messages each for the page reads ...");
        var dialogs = DialogPair.Create("read", count);
        var since = DateTimeOffset.UtcNow.AddDays(-1);
        var rows = dialogs.SelectMany(dialog => SyntheticHistory.Of(dialog, PerDialog, since, TimeSpan.FromMinutes(1), texts));
        await BulkLoader.LoadAsync(db, rows, _ => { }, ct);
        await Maintenance.VacuumAnalyzeAsync(db, ct);
        return dialogs;
    }
}
