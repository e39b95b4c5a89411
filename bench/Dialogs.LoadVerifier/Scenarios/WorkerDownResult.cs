using System.Text.Json.Serialization;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Reporting;

namespace Dialogs.LoadVerifier.Scenarios;

/// <param name="DeadDialogs">Dialogs whose shard is on the stopped worker.</param>
/// <param name="RoutedToDeadWorker">Requests for those dialogs while the worker was down (from the stop until its restart).</param>
/// <param name="FailedFast">Latency of the failed requests for those dialogs, as percentiles.</param>
/// <param name="FirstSuccessAfterRestart">From the restart to the first successful request for a dialog on that worker.</param>
/// <param name="LiveOutageLatencies">Requests for dialogs on the other workers while the worker was down.</param>
/// <param name="LiveWriteStall">The write stall over sends to dialogs on the other workers only.</param>
public sealed record WorkerDownResult(
    LoadSummary Summary,
    IReadOnlyList<TimelineEvent> Timeline,
    string StoppedWorker,
    int Dialogs,
    int DeadDialogs,
    int RoutedToDeadWorker,
    int RoutedToDeadWorkerFailed,
    LatencyRow FailedFast,
    IReadOnlyList<LatencyRow> LiveOutageLatencies,
    WriteStall LiveWriteStall,
    TimeSpan? FirstSuccessAfterRestart,
    IReadOnlyList<Check> Checks,
    [property: JsonIgnore] RequestLog Log,
    [property: JsonIgnore] Population Population,
    [property: JsonIgnore] IReadOnlyList<int> DialogPorts) : IVerifierResult
{
    public bool Passed => Checks.All(check => check.Passed);
}
