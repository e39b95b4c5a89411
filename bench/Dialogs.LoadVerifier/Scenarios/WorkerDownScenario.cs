using Dialogs.LoadVerifier.Cluster;
using Dialogs.LoadVerifier.Harness;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Reporting;

namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>
/// Loses a worker under load: one worker node is stopped (pg_ctl fast stop), left down, then started again, while the
/// simulated users keep sending and reading; the API is not restarted. Which dialogs live on that worker is read from
/// the coordinator's metadata before the run. Passes when only requests for those dialogs failed, only while the
/// worker was down (plus a grace period after its restart), each as a quick 503 with Retry-After, and every
/// acknowledged message is readable exactly once afterwards.
/// </summary>
public static class WorkerDownScenario
{
    public static async Task<WorkerDownResult> RunAsync(VerifierTarget target, WorkerDownSettings settings, Action<string> progress,
        CancellationToken ct)
    {
        if (settings.Worker < 1 || settings.Worker > target.Cluster.Workers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(settings),
                $"There is no worker {settings.Worker}; the cluster has {target.Cluster.Workers.Count}.");
        }

        var session = new LoadSession(target, settings.Load, progress);
        var worker = target.Cluster.Workers[settings.Worker - 1];
        var ports = await ShardMap.WorkerPortsAsync(target.Cluster.Coordinator.ConnectionString(), session.Population.Dialogs, ct);
        var onDead = ports.Select(port => port == worker.Port).ToArray();
        session.Timeline.Mark($"{onDead.Count(dead => dead)} of {onDead.Length} dialogs live on {worker.Name} ({worker.Address})");
        TimeSpan? stopping = null, restarted = null;

        var outcome = await session.RunAsync(async token =>
        {
            await session.WaitUntilAsync(settings.StopAt, token);
            stopping = session.Timeline.Mark($"stopping {worker.Name} (pg_ctl stop -m fast)");
            await worker.StopAsync();
            session.Timeline.Mark($"{worker.Name} is down; {session.InFlight} operations in flight");
            await Task.Delay(settings.DownFor, token);
            session.Timeline.Mark($"starting {worker.Name} again; {session.InFlight} operations in flight");
            await worker.StartAsync();
            restarted = session.Timeline.Mark($"{worker.Name} is up");
            await session.WaitUntilAsync(settings.Duration, token);
        }, ct);

        var (down, up) = (stopping!.Value, restarted!.Value);
        var outage = Judge(settings, worker.Name, onDead, outcome.Requests, down, up,
            DeliveryChecks.Of(outcome.Delivery, dialog => $"node :{ports[dialog]}"));
        var summary = LoadSummary.Of(outcome, outcome.Phases(down, up, "worker down", "after restart"), settings.Load.Rate);
        return new WorkerDownResult(summary, session.Timeline.Events, worker.Address, onDead.Length, onDead.Count(dead => dead),
            outage.Routed, outage.RoutedFailed, outage.FailedFast, outage.LiveLatencies,
            WriteStall.Of(outcome.Sends.Where(s => !onDead[s.Dialog] && s.Scheduled >= outcome.WarmedUp)),
            outage.FirstSuccessAfterRestart, outage.Checks, session.Log, session.Population, ports);
    }

    /// <summary>
    /// What the requests saw of the outage, and the verdict on it: from the requests alone and when the worker
    /// stopped (<paramref name="down"/>) and was up again (<paramref name="up"/>).
    /// </summary>
    /// <param name="onDead">Whether each dialog (by index) lives on the stopped worker.</param>
    public static Outage Judge(WorkerDownSettings settings, string worker, bool[] onDead, IReadOnlyList<RequestRecord> requests,
        TimeSpan down, TimeSpan up, IEnumerable<Check> delivery)
    {
        var routed = requests.Where(r => onDead[r.Dialog] && r.Overlaps(down, up)).ToList();
        var failures = requests.Where(r => !r.Succeeded).ToList();
        var duringOutage = failures.Where(r => onDead[r.Dialog] && r.Overlaps(down, up + settings.RecoveryGrace)).ToList();
        var failedFast = LatencyRow.Of("worker down", "failed", duringOutage);
        var live = requests.Where(r => !onDead[r.Dialog] && r.Overlaps(down, up)).ToList();
        var liveRows = Enum.GetValues<OperationKind>()
            .Select(kind => LatencyRow.Of("worker down, other workers' dialogs", kind.ToString().ToLowerInvariant(),
                live.Where(r => r.Kind == kind).ToList()))
            .ToList();
        var firstSuccess = requests.Where(r => onDead[r.Dialog] && r.Succeeded && r.Start >= up).Select(r => r.End - up)
            .DefaultIfEmpty(TimeSpan.MaxValue).Min();

        var checks = Checks(settings, worker, onDead, failures, duringOutage.Count, failedFast, firstSuccess, delivery);
        return new Outage(routed.Count, routed.Count(r => !r.Succeeded), failedFast, liveRows,
            firstSuccess == TimeSpan.MaxValue ? null : firstSuccess, checks);
    }

    private static List<Check> Checks(WorkerDownSettings settings, string worker, bool[] onDead, List<RequestRecord> failures,
        int failedDuringOutage, LatencyRow failedFast, TimeSpan firstSuccess, IEnumerable<Check> delivery)
    {
        var liveFailures = failures.Count(r => !onDead[r.Dialog]);
        var outsideOutage = failures.Count(r => onDead[r.Dialog]) - failedDuringOutage;
        var not503 = failures.Where(r => r.Status != 503 || !r.HasRetryAfter)
            .GroupBy(r => LoadSummary.StatusName(r.Status) + (r.HasRetryAfter ? "" : " without Retry-After"))
            .Select(g => $"{g.Count()} x {g.Key}")
            .ToList();
        return
        [
            new("the stopped worker held dialogs", onDead.Any(dead => dead), $"{onDead.Count(dead => dead)} dialogs on {worker}"),
            new("dialogs on the other workers kept working", liveFailures == 0, $"{liveFailures} failed requests for their dialogs"),
            new("failures only while the worker was down", outsideOutage == 0,
                $"{outsideOutage} failed requests for its dialogs before the stop "
                + $"or later than {settings.RecoveryGrace.TotalSeconds:0} s after the restart"),
            new("every failure is 503 with Retry-After", not503.Count == 0,
                not503.Count == 0 ? $"{failures.Count} failures, all 503 with Retry-After" : $"not all: {string.Join("; ", not503)}"),
            new("requests for the stopped worker failed fast", failedFast.Max <= settings.FailFastLimit.TotalMilliseconds,
                $"slowest failure {failedFast.Max / 1000:0.00} s (limit {settings.FailFastLimit.TotalSeconds:0.#} s)"),
            new("the service recovered without an API restart", firstSuccess != TimeSpan.MaxValue,
                firstSuccess == TimeSpan.MaxValue ? "no request for its dialogs succeeded after the restart"
                    : $"first success for its dialogs {firstSuccess.TotalSeconds:0.00} s after the restart"),
            .. delivery,
        ];
    }
}

/// <summary>The worker-down scenario's figures of the outage (<see cref="WorkerDownResult"/> names each) and its checks.</summary>
public sealed record Outage(int Routed, int RoutedFailed, LatencyRow FailedFast, IReadOnlyList<LatencyRow> LiveLatencies,
    TimeSpan? FirstSuccessAfterRestart, IReadOnlyList<Check> Checks);
