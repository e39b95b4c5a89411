using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Dialogs.Local.Cluster;

/// <summary>
/// Runs the PostgreSQL tools. PostgreSQL refuses to run as root, so as root they run as the postgres user.
/// </summary>
public static class Processes
{
    public static readonly bool IsRoot = Environment.IsPrivilegedProcess;

    /// <summary>Runs to completion; a non-zero exit is an exception carrying what the tool printed.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, bool asPostgres = false, CancellationToken ct = default)
    {
        var start = new ProcessStartInfo(asPostgres && IsRoot ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (asPostgres && IsRoot)
        {
            foreach (var prefix in (string[])["-u", "postgres", "--", file])
            {
                start.ArgumentList.Add(prefix);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var (exitCode, output, errors) = await RunToEndAsync(start, ct);
        var text = (output + errors).Trim();
        return exitCode == 0
            ? text
            : throw new InvalidOperationException($"{Path.GetFileName(file)} exited with {exitCode}: {text}");
    }

    /// <summary>Runs <paramref name="start"/> (its output and errors redirected) to completion, whatever its exit code.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunToEndAsync(ProcessStartInfo start, CancellationToken ct)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {start.FileName}");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true); // a cancelled command must not run on unseen
            throw;
        }

        return (process.ExitCode, await output, await errors);
    }

    /// <summary>
    /// Starts a process that outlives this one: its own session, output appended to a log file. Returns its pid
    /// (setsid does not fork when the caller is not a group leader, so the pid is the program's own).
    /// </summary>
    public static int StartDetached(string file, IEnumerable<string> arguments, string workingDirectory, string logPath,
        IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "exec setsid \"$0\" \"$@\" >>\"$DIALOGS_LOG\" 2>&1 </dev/null", file },
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DIALOGS_LOG"] = logPath;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        return process.Id;
    }

    /// <summary>Whether <paramref name="pid"/> runs a program whose command line contains <paramref name="commandLineContains"/>.</summary>
    public static bool IsAlive(int pid, string commandLineContains)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Contains(commandLineContains, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // gone, or ended while we looked
        }
    }

    /// <summary>
    /// Whether the process has ended: gone, or a zombie not yet reaped. Unlike <see cref="IsAlive"/> it does not read
    /// the command line, which reads empty for a moment while a process execs (sh, then setsid, then the program):
    /// a start-up check that read it took a starting API for an exited one and stopped it, leaving an empty log.
    /// </summary>
    public static bool HasEnded(int pid) => StatFields(pid) is not { } fields || fields[0] is "Z" or "X";

    /// <summary>Waits until the process has ended (<see cref="HasEnded"/>); throws if it has not within <paramref name="timeout"/>.</summary>
    public static async Task WaitEndedAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!HasEnded(pid))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"Process {pid} did not end within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The fields of /proc/PID/stat after the command name (field 3, the state, is index 0), or null once it has gone.</summary>
    public static string[]? StatFields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may itself hold spaces or parentheses.
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every running process whose command line contains <paramref name="commandLineContains"/>.</summary>
    public static IReadOnlyList<int> FindRunning(string commandLineContains) =>
        Running().Where(pid => IsAlive(pid, commandLineContains)).ToList();

    /// <summary>The running processes whose parent is <paramref name="parent"/>, with their /proc/PID/stat fields (<see cref="StatFields"/>).</summary>
    public static IEnumerable<(int Pid, string[] Stat)> ChildrenOf(int parent)
    {
        var parentId = parent.ToString(CultureInfo.InvariantCulture);
        foreach (var pid in Running())
        {
            if (StatFields(pid) is { } fields && fields[1] == parentId)
            {
                yield return (pid, fields);
            }
        }
    }

    private static IEnumerable<int> Running() =>
        Directory.EnumerateDirectories("/proc")
            .Select(folder => int.TryParse(Path.GetFileName(folder), out var pid) ? pid : -1)
            .Where(pid => pid > 0);

    public const int SigKill = 9, SigTerm = 15, SigCont = 18, SigStop = 19; // Linux on x86-64 and arm64

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Sends <paramref name="signal"/>; false if the process has ended or was never there.</summary>
    /// <exception cref="InvalidOperationException">It may not be signalled: another user's process (EPERM).</exception>
    public static bool Signal(int pid, int signal)
    {
        if (kill(pid, signal) == 0)
        {
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        return error == NoSuchProcess
            ? false
            : throw new InvalidOperationException($"Process {pid} could not be sent signal {signal} (errno {error}); a process of another user may not be.");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>SIGTERM, then SIGKILL if the process has not ended within the grace period.</summary>
    public static async Task StopAsync(int pid, string commandLineContains, TimeSpan grace)
    {
        if (!IsAlive(pid, commandLineContains))
        {
            return;
        }

        // Each signal straight after the check: a pid is reused soon on a busy machine (pid_max is 32,768 here), and a
        // signal sent later, by a kill process started for it, could reach whatever took the pid.
        if (!Signal(pid, SigTerm))
        {
            return;
        }

        var deadline = DateTime.UtcNow + grace;
        while (IsAlive(pid, commandLineContains) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        if (IsAlive(pid, commandLineContains))
        {
            _ = Signal(pid, SigKill);
        }
    }

    /// <summary>
    /// As root the servers run as the postgres user, which must be able to walk down to <paramref name="folder"/>: a
    /// clone under /root (mode 700) is out of its reach. Refused here, with the way out, rather than by initdb.
    /// </summary>
    public static async Task RequirePostgresCanReachAsync(string folder)
    {
        if (!IsRoot || OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            await RunAsync("test", ["-x", folder], asPostgres: true);
        }
        catch (InvalidOperationException)
        {
            var closed = new DirectoryInfo(folder).Parent;
            for (var up = closed; up is not null; up = up.Parent)
            {
                if (!up.UnixFileMode.HasFlag(UnixFileMode.OtherExecute))
                {
                    closed = up;
                }
            }

            throw new InvalidOperationException(
                $"Running as root, PostgreSQL runs as the postgres user, which cannot reach {folder} ({closed} lets only its "
                + $"owner in). Keep the folder where the postgres user can walk in (a clone under /srv or /tmp, say), "
                + $"or let it through with: chmod o+x {closed}");
        }
    }

    /// <summary>Hands a folder to the postgres user when running as root, so the server can own its data.</summary>
    public static async Task GiveToPostgresAsync(string path)
    {
        if (IsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", path]);
        }
    }
}
