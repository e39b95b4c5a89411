using Spectre.Console;

namespace Dialogs.Migrator;

/// <summary>How the command-line tools (the migrator, the Local tool, the benchmark and the load verifier) write to a console.</summary>
public static class ToolConsole
{
    /// <summary>
    /// Into a file or a pipe (a log, CI), plain text: Spectre.Console decides on colour by TERM alone and would write
    /// its codes ("^[[38;5;11m") into the file, and it would wrap lines and table cells at 80 columns.
    /// </summary>
    public static void PlainWhenRedirected()
    {
        if (!Console.IsOutputRedirected)
        {
            return;
        }

        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        AnsiConsole.Profile.Width = 200;
    }
}
