using System.Text.Json;
using Dialogs.LoadVerifier.Harness;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Scenarios;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dialogs.LoadVerifier.Cli;

/// <summary>
/// One run of the tool: a fresh cluster and API in a new run folder, the scenario, the report on the console and in
/// the folder (report.txt, summary.json, requests.csv, api.log, logs/), then everything stopped, also on failure or
/// Ctrl+C. Exit codes: 0 every check passed, 1 a check failed, 2 the run could not be set up, 130 cancelled.
/// </summary>
public static class VerifierRun
{
    public const int Passed = 0;
    public const int ChecksFailed = 1;
    public const int CouldNotRun = 2;
    public const int Cancelled = 130;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <param name="load">Checked before anything starts, so a bad option costs no cluster.</param>
    /// <param name="changeAt">
    /// When the scenario changes the cluster (adds a worker, stops one): after the load's warm-up, or the "before" phase
    /// would be empty, its latencies reported as zeros. Checked with the load.
    /// </param>
    public static async Task<int> RunAsync<TResult>(string scenario, EnvironmentOptions options, LoadSettings load, TimeSpan changeAt,
        Func<VerifierTarget, Action<string>, CancellationToken, Task<TResult>> run, Func<TResult, IEnumerable<IRenderable>> view,
        CancellationToken ct)
        where TResult : IVerifierResult
    {
        try
        {
            load.Validate();
            if (changeAt <= load.WarmUp)
            {
                throw new ArgumentException($"the cluster would change {changeAt.TotalSeconds:0} s into the load, not after its "
                    + $"{load.WarmUp.TotalSeconds:0} s warm-up, so nothing would be measured before the change: give a later "
                    + "--move-at or --stop-at, or a shorter --warmup.");
            }
        }
        catch (ArgumentException e)
        {
            System.Console.Error.WriteLine($"load-verifier: {e.Message}");
            return CouldNotRun;
        }

        var folder = Path.GetFullPath(Path.Combine(options.Folder, $"{scenario}-{DateTime.Now:yyyyMMdd-HHmmss}"));
        var console = Console(System.Console.Out, System.Console.IsOutputRedirected ? 180 : null);
        try
        {
            TResult result;
            await using (var environment = await LocalEnvironment.StartAsync(folder, options, Progress, ct))
            {
                result = await run(environment.Target, Progress, ct);
                Progress("stopping the API and the nodes");
            }

            var report = view(result).ToList();
            report.ForEach(console.Write);
            await using (var file = new StreamWriter(Path.Combine(folder, "report.txt")))
            {
                report.ForEach(Console(file, 180).Write);
            }

            await File.WriteAllTextAsync(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(result, Json), CancellationToken.None);
            await result.Log.WriteCsvAsync(Path.Combine(folder, "requests.csv"), result.Population.Dialogs, result.DialogPorts,
                CancellationToken.None);
            console.MarkupLine(result.Passed ? "[green]PASSED[/]" : "[red]FAILED[/]");
            console.WriteLine($"report, requests and logs: {folder}");
            return result.Passed ? Passed : ChecksFailed;
        }
        // Ctrl+C signals the terminal's whole process group: a server's initdb or pg_ctl may die of it too, and its
        // failure is then the cancellation's.
        catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or InvalidOperationException
                                      or ArgumentException or HttpRequestException or Npgsql.NpgsqlException)
        {
            console.MarkupLineInterpolated($"[yellow]Cancelled; the API and the nodes are stopped. Logs: {folder}[/]");
            return Cancelled;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or HttpRequestException or Npgsql.NpgsqlException)
        {
            console.MarkupLineInterpolated($"[red]The run could not be done: {e.Message}[/]");
            console.MarkupLineInterpolated($"Logs: {folder}");
            return CouldNotRun;
        }
    }

    private static void Progress(string line) => System.Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

    private static IAnsiConsole Console(TextWriter writer, int? width)
    {
        var terminal = writer == System.Console.Out && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        if (width is { } columns)
        {
            console.Profile.Width = columns;
        }

        return console;
    }
}
