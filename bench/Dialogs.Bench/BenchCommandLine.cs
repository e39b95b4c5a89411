using System.CommandLine;
using Dialogs.Local;
using Dialogs.Local.Cluster;

namespace Dialogs.Bench;

/// <summary>The command line: options with their defaults, turned into <see cref="BenchOptions"/>.</summary>
public static class BenchCommandLine
{
    public static RootCommand Root(Func<BenchOptions, CancellationToken, Task<int>> run)
    {
        var concurrency = Positive("--concurrency", 16, "Concurrent callers for the send and page-read throughput runs");
        var serviceWarmup = Positive("--service-warmup", 20,
            "Seconds of mixed sends and reads on each side after a cluster starts, until the API's JIT has optimised its hot paths");
        var warmup = Positive("--warmup", 3, "Seconds of unmeasured warm-up before each throughput comparison, for each side");
        var duration = Positive("--duration", 5, "Seconds an API throughput run lasts; the raw run does the same number of operations");
        // Five: the medians the targets are judged on then stand on five run pairs, as in the reference run.
        var runs = Positive("--runs", 5, "Measured runs of everything, alternating API and raw");
        var dialogs = Positive("--dialogs", 1024, "Distinct dialogs (user pairs) the sends and page reads spread over");
        var messages = AtLeast(MinimumMessages, "--messages", 1_000_000,
            "Messages in the big dialog (at least four pages, so that its newest, middle and oldest pages are apart)");
        var pageRequests = Positive("--page-requests", 500, "Timed requests per run for each page of the big dialog");
        var stealRepeats = AtLeast(0, "--steal-repeats", 2,
            "Times a run pair is measured again while the machine's host takes a tenth or more of the cores (0: never)");
        var skipPlain = new Option<bool>("--skip-plain") { Description = "Only the Citus cluster, not the single plain PostgreSQL node" };
        var workers = Positive("--workers", 2, "Citus workers");
        var shards = Positive("--shards", 32, "Shards of the messages table on Citus");
        var durability = new Option<Durability>("--durability")
        {
            Description = "Safe: fsync on, as a deployment. Fast: fsync and full-page writes off, so the disk does not bound the sends "
                + "(synchronous commit stays on: an online shard move needs it)",
            DefaultValueFactory = _ => Durability.Safe,
        };
        var apiSettings = new Option<string[]>("--api-setting")
        {
            Description = "Extra API configuration as Section:Key=value, repeatable (e.g. Logging:LogLevel:Npgsql=Warning), "
                + "to measure a configuration change without a code change",
        };
        apiSettings.Validators.Add(result =>
        {
            var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase); // as configuration compares them
            foreach (var setting in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (setting.IndexOf('=', StringComparison.Ordinal) < 1)
                {
                    result.AddError($"--api-setting '{setting}' is not Section:Key=value.");
                }
                else if (!keys.Add(setting[..setting.IndexOf('=', StringComparison.Ordinal)]))
                {
                    result.AddError($"--api-setting '{setting}' sets a key given before: give each key once.");
                }
            }
        });
        var output = new Option<string>("--out")
        {
            Description = "Folder for the Markdown and JSON reports (default: bench-results/ in the repository)",
        };
        var work = new Option<string>("--work")
        {
            Description = "Folder for the clusters and the built API, deleted at the end (default: bench-results/work/ in the repository)",
        };

        var root = new RootCommand(
            "Benchmarks the Dialogs service against the raw database on local clusters (Citus, then one plain PostgreSQL node), "
            + "which it starts, measures and removes.")
        {
            concurrency, serviceWarmup, warmup, duration, runs, dialogs, messages, pageRequests, stealRepeats, skipPlain, workers, shards,
            durability, apiSettings, output, work,
        };
        root.SetAction((result, ct) =>
        {
            var results = Path.Combine(Local.Cluster.LocalApi.FindRepositoryRoot(), "bench-results");
            return run(new BenchOptions(
                result.GetValue(concurrency),
                TimeSpan.FromSeconds(result.GetValue(serviceWarmup)),
                TimeSpan.FromSeconds(result.GetValue(warmup)),
                TimeSpan.FromSeconds(result.GetValue(duration)),
                result.GetValue(runs),
                result.GetValue(dialogs),
                result.GetValue(messages),
                result.GetValue(pageRequests),
                result.GetValue(stealRepeats),
                result.GetValue(skipPlain),
                result.GetValue(workers),
                result.GetValue(shards),
                result.GetValue(durability),
                (result.GetValue(apiSettings) ?? []).Select(setting => setting.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]),
                Path.GetFullPath(result.GetValue(output) ?? results),
                Path.GetFullPath(result.GetValue(work) ?? Path.Combine(results, "work"))), ct);
        });
        return root;
    }

    /// <summary>Four pages of the API's default size: the newest, middle and oldest page of the big dialog lie apart.</summary>
    public const int MinimumMessages = 4 * Api.Messaging.PageRequest.DefaultLimit;

    private static Option<int> Positive(string name, int defaultValue, string description) => AtLeast(1, name, defaultValue, description);

    private static Option<int> AtLeast(int minimum, string name, int defaultValue, string description) =>
        new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue }.AtLeast(minimum);
}
