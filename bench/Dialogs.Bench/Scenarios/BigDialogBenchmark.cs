using System.Diagnostics;
using Dialogs.Api.Messaging;
using Dialogs.Bench.Dialogs;
using Dialogs.Bench.Load;
using Dialogs.Bench.Reporting;
using Npgsql;
using Spectre.Console;

namespace Dialogs.Bench.Scenarios;

/// <summary>The size of the big dialog, and how many page reads to time at each position.</summary>
public sealed record BigDialogSettings(int Messages, int WarmupRequests, int RequestsPerRun, int Runs);

/// <summary>The latency of one page of the big dialog, one request at a time.</summary>
public sealed record PageLatency(string Page, string? Before, SideBySideResult Result);

public sealed record BigDialogResult(int Messages, double LoadSeconds, IReadOnlyList<PageLatency> Pages);

/// <summary>
/// One dialog with a long history (a million messages over a year), loaded with COPY, then its newest page, a page
/// in the middle reached by cursor and its oldest page, read one request at a time (latency, not throughput). Every
/// page is an index range scan of the primary key, so the three should cost the same however long the dialog is.
/// </summary>
public static class BigDialogBenchmark
{
    private static readonly TimeSpan History = TimeSpan.FromDays(365);

    public static async Task<BigDialogResult> RunAsync(NpgsqlDataSource db, SideBySide clients, ServiceCheck check,
        BigDialogSettings settings, SampleTexts texts, CancellationToken ct)
    {
        var dialog = DialogPair.Create("big", 1)[0];
        var loadSeconds = await LoadAsync(db, dialog, settings.Messages, texts, ct);
        await Maintenance.VacuumAnalyzeAsync(db, ct);

        var middle = await ServiceCheck.IdAtAsync(db, dialog, settings.Messages / 2, ct);
        // Before the (limit+1)-th oldest message lies exactly the oldest full page: the last page a reader reaches.
        var oldest = await ServiceCheck.IdAtAsync(db, dialog, PageRequest.DefaultLimit, ct);
        await check.BigDialogPagesAsync(db, dialog, settings.Messages, middle, oldest, ct);
        (string Name, MessageId? Before)[] pages = [("newest", null), ("middle", middle), ("oldest", oldest)];

        var latencies = new List<PageLatency>();
        foreach (var (name, before) in pages)
        {
            var label = $"{Figures.Count(settings.Messages)}-message dialog, {name} page";
            DialogOperation read = (client, _, token) => client.ReadPageAsync(dialog, before, token);
            await clients.WarmUpAsync(label, LoadPlan.Counted(1, settings.WarmupRequests), read, ct);
            var result = await clients.MeasureAsync(label, LoadPlan.Counted(1, settings.RequestsPerRun), settings.Runs, slices: 1, read, ct);
            latencies.Add(new PageLatency(name, before?.ToString(), result));
        }

        return new BigDialogResult(settings.Messages, loadSeconds, latencies);
    }

    private static async Task<double> LoadAsync(NpgsqlDataSource db, DialogPair dialog, int messages, SampleTexts texts, CancellationToken ct)
    {
        ProgressLog.Step($"Loading a dialog of {Figures.Count(messages)} messages with binary COPY ...");
        var rows = SyntheticHistory.Of(dialog, messages, DateTimeOffset.UtcNow - History, History / messages, texts);
        var started = Stopwatch.GetTimestamp();
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("COPY messages", maxValue: messages);
                await BulkLoader.LoadAsync(db, rows, written => task.Value = written, ct);
            });
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        ProgressLog.Step(Figures.Invariant($"Loaded {messages:N0} messages in {seconds:0.0} s ({messages / seconds:N0} rows/s)"));
        return seconds;
    }
}
