using System.Globalization;
using Dialogs.LoadVerifier.Scenarios;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dialogs.LoadVerifier.Reporting;

/// <summary>The report of a run as Spectre tables: the same renderables go to the console and to report.txt.</summary>
public static class ReportView
{
    public static IEnumerable<IRenderable> Reshard(ReshardResult result)
    {
        yield return Timeline(result.Timeline);
        yield return Figures("Load and delivery", result.Summary,
        [
            ("dialogs moved to another node", $"{result.MovedDialogs} of {result.Dialogs}"),
            ("slowest acknowledged send, moved dialogs", Seconds(result.SlowestSendMoved)),
            ("slowest acknowledged send, other dialogs", Seconds(result.SlowestSendOther)),
            ("shards per node after", string.Join(", ", result.NodesAfter.Select(n => $"{n.Address} {n.Shards}"))),
        ]);
        yield return Latencies(result.Summary.Latencies);
        yield return Checks(result.Checks);
    }

    public static IEnumerable<IRenderable> WorkerDown(WorkerDownResult result)
    {
        yield return Timeline(result.Timeline);
        yield return Figures("Load and delivery", result.Summary,
        [
            ("dialogs on the stopped worker", $"{result.DeadDialogs} of {result.Dialogs} ({result.StoppedWorker})"),
            ("requests for them while it was down", $"{result.RoutedToDeadWorker}, of which {result.RoutedToDeadWorkerFailed} failed"),
            ("their failures: p50 / p99 / max", $"{Ms(result.FailedFast.P50)} / {Ms(result.FailedFast.P99)} / {Ms(result.FailedFast.Max)} ({result.FailedFast.Requests} failures)"),
            ("first success for them after the restart", result.FirstSuccessAfterRestart is { } first ? $"+{Seconds(first)}" : "none"),
            ("longest write stall, other workers' dialogs", Stall(result.LiveWriteStall)),
        ]);
        yield return Latencies([.. result.Summary.Latencies, .. result.LiveOutageLatencies]);
        yield return Checks(result.Checks);
    }

    private static Table Timeline(IReadOnlyList<TimelineEvent> events)
    {
        var table = new Table().Title("Timeline").AddColumn(new TableColumn("at").RightAligned()).AddColumn("what");
        foreach (var e in events)
        {
            table.AddRow($"{e.At.TotalSeconds:0.0} s", Markup.Escape(e.What));
        }

        return table;
    }

    private static Table Figures(string title, LoadSummary summary, IEnumerable<(string Name, string Value)> extra)
    {
        var table = new Table().Title(title).AddColumn("figure").AddColumn("value");
        var delivery = summary.Delivery;
        (string, string)[] rows =
        [
            ("load", $"{Seconds(summary.LoadDuration)} at {summary.TargetRate:0} operations/s target, {summary.AchievedRate:0.0}/s achieved, at most {summary.MostInFlight} in flight"),
            ("requests", $"{summary.Requests} ({summary.Sends} sends, {summary.Reads} page reads)"),
            ("failed requests", summary.Failures == 0 ? "0"
                : $"{summary.Failures}: " + string.Join(", ", summary.FailuresByStatus.Select(f => $"{f.Value} x {f.Key}"))),
            ("client retries of sends (same Idempotency-Key)", $"{summary.ClientRetries}"),
            ("sends given up by the client", $"{summary.SendsGivenUp}"),
            ("acknowledged messages", $"{delivery.Acknowledged}"),
            ("stored messages read back", $"{delivery.Stored} ({delivery.StoredUnacknowledged} stored without a 200)"),
            ("missing (acknowledged, not readable)", $"{delivery.Missing}"),
            ("duplicated / unexpected", $"{delivery.Duplicated} / {delivery.Unexpected}"),
            ("longest write stall (all dialogs)", Stall(summary.WriteStall)),
            ("slowest acknowledged send", $"{Seconds(summary.WriteStall.SlowestSend)} (operation {summary.WriteStall.SlowestSendOperation})"),
            .. extra,
            .. delivery.Examples.Select(example => ("example", example)),
        ];
        foreach (var (name, value) in rows)
        {
            table.AddRow(Markup.Escape(name), Markup.Escape(value));
        }

        return table;
    }

    private static Table Latencies(IEnumerable<LatencyRow> rows)
    {
        var table = new Table().Title("Latency per request in ms (first attempts from their scheduled time)")
            .AddColumn("phase").AddColumn("kind");
        foreach (var column in new[] { "requests", "failed", "p50", "p90", "p99", "p99.9", "max" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        foreach (var row in rows)
        {
            table.AddRow(Markup.Escape(row.Phase), row.Kind, $"{row.Requests}", $"{row.Failed}", Ms(row.P50), Ms(row.P90), Ms(row.P99), Ms(row.P999), Ms(row.Max));
        }

        return table;
    }

    private static Table Checks(IReadOnlyList<Check> checks)
    {
        var table = new Table().Title("Checks").AddColumn("check").AddColumn("result").AddColumn("detail");
        foreach (var check in checks)
        {
            table.AddRow(Markup.Escape(check.Name), check.Passed ? "[green]PASS[/]" : "[red]FAIL[/]", Markup.Escape(check.Detail));
        }

        return table;
    }

    private static string Stall(WriteStall stall) => $"{Seconds(stall.Longest)} (from {Seconds(stall.From)})";

    private static string Seconds(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.000} s");

    private static string Ms(double milliseconds) => milliseconds.ToString("0.0", CultureInfo.InvariantCulture);
}
