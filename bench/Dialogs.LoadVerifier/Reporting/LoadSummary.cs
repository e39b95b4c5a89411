using System.Globalization;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Scenarios;
using Dialogs.LoadVerifier.Verification;

namespace Dialogs.LoadVerifier.Reporting;

/// <summary>The figures every scenario reports: what was asked, what failed, what was acknowledged and is readable, how fast.</summary>
/// <param name="Failures">Requests without a 200, retried ones included; <paramref name="ClientRetries"/> counts the repeats.</param>
public sealed record LoadSummary(
    TimeSpan LoadDuration,
    double TargetRate,
    double AchievedRate,
    long MostInFlight,
    int Requests,
    int Sends,
    int Reads,
    int Failures,
    IReadOnlyDictionary<string, int> FailuresByStatus,
    int ClientRetries,
    int SendsGivenUp,
    Delivery Delivery,
    IReadOnlyList<LatencyRow> Latencies,
    WriteStall WriteStall)
{
    /// <summary>The figures of a load; the write stall leaves out the warm-up, where a cold service stalls anyway.</summary>
    public static LoadSummary Of(LoadOutcome outcome, IReadOnlyList<Phase> phases, double targetRate)
    {
        var (requests, sends, duration) = (outcome.Requests, outcome.Sends, outcome.Stopped - outcome.Started);
        var latencies = new List<LatencyRow>();
        foreach (var phase in phases)
        {
            var inPhase = requests.Where(r => phase.Contains(r.Start)).ToList();
            latencies.AddRange(Enum.GetValues<OperationKind>()
                .Select(kind => LatencyRow.Of(phase.Name, kind.ToString().ToLowerInvariant(), inPhase.Where(r => r.Kind == kind).ToList())));
        }

        return new LoadSummary(
            duration,
            targetRate,
            requests.Count(r => r.Attempt == 1) / Math.Max(duration.TotalSeconds, 1e-9),
            outcome.MostInFlight,
            requests.Count,
            requests.Count(r => r.Kind == OperationKind.Send),
            requests.Count(r => r.Kind == OperationKind.Read),
            requests.Count(r => !r.Succeeded),
            requests.Where(r => !r.Succeeded).GroupBy(r => StatusName(r.Status)).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            requests.Count(r => r.Attempt > 1),
            sends.Count(s => !s.Acknowledged),
            outcome.Delivery,
            latencies,
            WriteStall.Of(sends.Where(s => s.Scheduled >= outcome.WarmedUp)));
    }

    public static string StatusName(int status) =>
        status == RequestRecord.NoResponse ? "no response" : status.ToString(CultureInfo.InvariantCulture);
}
