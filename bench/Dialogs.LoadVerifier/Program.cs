using System.CommandLine;
using Dialogs.Local;
using Dialogs.LoadVerifier.Cli;
using Dialogs.LoadVerifier.Reporting;
using Dialogs.LoadVerifier.Scenarios;
using Dialogs.Migrator;

namespace Dialogs.LoadVerifier;

/// <summary>
/// Proves that the service keeps its promises while the cluster changes under load: `reshard` adds a worker and
/// rebalances, `worker-down` stops a worker and starts it again; both against a fresh local Citus cluster with the
/// API as its own process, and both check every acknowledged message afterwards.
/// </summary>
public static class Program
{
    // Stopping the API and four PostgreSQL nodes after Ctrl+C takes a few seconds; the default grace is 2 s.
    private static readonly TimeSpan CleanupGrace = TimeSpan.FromMinutes(2);

    public static async Task<int> Main(string[] args)
    {
        ToolConsole.PlainWhenRedirected();
        var common = new CommonOptions();

        var moveAt = new Option<int>("--move-at") { Description = "Seconds after the load starts to add the worker and rebalance", DefaultValueFactory = _ => 30 }.AtLeast(1);
        var after = new Option<int>("--after") { Description = "Seconds of load at least after the rebalance finished", DefaultValueFactory = _ => 10 }.AtLeast(0);
        var timeout = new Option<int>("--rebalance-timeout") { Description = "Seconds the rebalance may take", DefaultValueFactory = _ => 600 }.AtLeast(1);
        var reshard = new Command("reshard", "Add a worker and rebalance the shards onto it under load") { moveAt, after, timeout };
        common.AddTo(reshard);
        reshard.SetAction((parse, ct) =>
        {
            var settings = new ReshardSettings(common.Load(parse), common.Duration(parse), Seconds(parse.GetValue(moveAt)),
                Seconds(parse.GetValue(after)), Seconds(parse.GetValue(timeout)));
            return VerifierRun.RunAsync("reshard", common.Environment(parse), settings.Load, settings.MoveAt,
                (target, progress, token) => ReshardScenario.RunAsync(target, settings, progress, token), ReportView.Reshard, ct);
        });

        var worker = new Option<int>("--worker") { Description = "Which worker to stop (1 = worker1), one of --workers", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var stopAt = new Option<int>("--stop-at") { Description = "Seconds after the load starts to stop the worker", DefaultValueFactory = _ => 30 }.AtLeast(1);
        var downFor = new Option<int>("--down-for") { Description = "Seconds the worker stays down", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var failFast = new Option<double>("--fail-fast") { Description = "Seconds a request for the stopped worker may take to fail", DefaultValueFactory = _ => 5 }.AtLeast(0.1);
        var grace = new Option<double>("--recovery-grace") { Description = "Seconds after the restart its dialogs may still fail", DefaultValueFactory = _ => 5 }.AtLeast(0.0);
        var workerDown = new Command("worker-down", "Stop a worker under load, then start it again") { worker, stopAt, downFor, failFast, grace };
        common.AddTo(workerDown);
        workerDown.SetAction((parse, ct) =>
        {
            if (parse.GetValue(worker) > parse.GetValue(common.Workers))
            {
                Console.Error.WriteLine($"load-verifier: --worker {parse.GetValue(worker)} is not one of the cluster's {parse.GetValue(common.Workers)} workers (--workers).");
                return Task.FromResult(VerifierRun.CouldNotRun);
            }

            var settings = new WorkerDownSettings(common.Load(parse), common.Duration(parse), parse.GetValue(worker),
                Seconds(parse.GetValue(stopAt)), Seconds(parse.GetValue(downFor)), TimeSpan.FromSeconds(parse.GetValue(failFast)),
                TimeSpan.FromSeconds(parse.GetValue(grace)));
            return VerifierRun.RunAsync("worker-down", common.Environment(parse), settings.Load, settings.StopAt,
                (target, progress, token) => WorkerDownScenario.RunAsync(target, settings, progress, token), ReportView.WorkerDown, ct);
        });

        var root = new RootCommand("Load verifier of the Dialogs service: online resharding and worker loss under load") { reshard, workerDown };
        var parsed = root.Parse(args);
        var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = CleanupGrace });
        // The parser's own code for a bad command line is 1, which here means a check failed.
        return parsed.Errors.Count > 0 ? VerifierRun.CouldNotRun : exitCode;
    }

    private static TimeSpan Seconds(int seconds) => TimeSpan.FromSeconds(seconds);
}
