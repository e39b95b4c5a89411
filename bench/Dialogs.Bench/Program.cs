using System.CommandLine;
using System.Globalization;
using Dialogs.Bench.Load;
using Dialogs.Bench.Reporting;
using Dialogs.Bench.Scenarios;
using Dialogs.Migrator;
using Npgsql;
using Spectre.Console;

namespace Dialogs.Bench;

/// <summary>
/// The benchmark of the Dialogs service against the raw database, on local clusters it starts and removes itself.
/// Resharding under load is measured by bench/Dialogs.LoadVerifier.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        LoadGeneratorSockets.RunCompletionsInline();
        // Reports are read and diffed across machines: the same number formatting everywhere.
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        ToolConsole.PlainWhenRedirected();

        var root = BenchCommandLine.Root(RunServiceBenchmarkAsync);
        // Ctrl+C or SIGTERM cancels the run; the clean-up (stopping PostgreSQL and the API) then needs time to finish.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(2) });
    }

    private static async Task<int> RunServiceBenchmarkAsync(BenchOptions options, CancellationToken ct)
    {
        var arguments = Environment.GetCommandLineArgs()[1..];
        var command = "dotnet run -c Release --project bench/Dialogs.Bench" + (arguments is [] ? "" : $" -- {string.Join(' ', arguments)}");
        try
        {
            var report = await ServiceBenchmark.RunAsync(options, command, ct);
            foreach (var table in ServiceReport.Tables(report))
            {
                foreach (var part in table.ToConsole(AnsiConsole.Profile.Width))
                {
                    AnsiConsole.Write(part);
                }
            }

            var name = $"dialogs-bench-{report.StartedAt:yyyyMMdd-HHmmss}";
            foreach (var path in await ReportWriter.WriteAsync(options.OutFolder, name, ServiceReport.Markdown(report), report, ct))
            {
                AnsiConsole.MarkupLineInterpolated($"Written: [blue]{path}[/]");
            }

            var missed = report.Targets.Count(target => !target.Met);
            AnsiConsole.MarkupLine(missed == 0 ? "[green]All targets met.[/]" : $"[yellow]{missed} target(s) missed.[/]");
            foreach (var warning in ServiceReport.NoisyMachineWarnings(report.Clusters))
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]{warning}[/]");
            }

            return 0;
        }
        // Ctrl+C signals the terminal's whole process group: a server's initdb or pg_ctl may die of it too, and its
        // failure is then the cancellation's.
        catch (Exception e) when (ct.IsCancellationRequested
                                  && e is OperationCanceledException or InvalidOperationException or NpgsqlException or HttpRequestException)
        {
            AnsiConsole.MarkupLine("[yellow]Cancelled; everything it started has been stopped.[/]");
            return 130;
        }
        catch (Exception e) when (e is InvalidOperationException or NpgsqlException or HttpRequestException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]dialogs-bench: {e.Message}[/]");
            return 1;
        }
    }
}
