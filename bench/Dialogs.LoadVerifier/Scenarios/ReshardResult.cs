using System.Text.Json.Serialization;
using Dialogs.Cluster;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Reporting;

namespace Dialogs.LoadVerifier.Scenarios;

/// <param name="MovedDialogs">Dialogs whose shard is on another node after the rebalance than before.</param>
/// <param name="SlowestSendMoved">After the warm-up, the slowest acknowledged send of a moved dialog (its writers wait at the cutover).</param>
/// <param name="SlowestSendOther">After the warm-up, the slowest acknowledged send of a dialog that stayed.</param>
public sealed record ReshardResult(
    LoadSummary Summary,
    IReadOnlyList<TimelineEvent> Timeline,
    RebalanceStatus? Rebalance,
    string? NewWorker,
    IReadOnlyList<NodeStatus> NodesAfter,
    int Dialogs,
    int MovedDialogs,
    TimeSpan SlowestSendMoved,
    TimeSpan SlowestSendOther,
    IReadOnlyList<Check> Checks,
    [property: JsonIgnore] RequestLog Log,
    [property: JsonIgnore] Population Population,
    [property: JsonIgnore] IReadOnlyList<int> DialogPorts) : IVerifierResult
{
    public bool Passed => Checks.All(check => check.Passed);
}
