using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Local;

public sealed class ProcessesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_started_process_has_not_ended_until_it_is_stopped()
    {
        var folder = Directory.CreateTempSubdirectory("dialogs-processes-");
        try
        {
            var pid = Processes.StartDetached("sleep", ["60"], folder.FullName, Path.Combine(folder.FullName, "sleep.log"),
                new Dictionary<string, string>());
            // At once, while it may still be going from sh through setsid to sleep, and after.
            Assert.False(Processes.HasEnded(pid));
            await Task.Delay(200, Ct);
            Assert.False(Processes.HasEnded(pid));

            await Processes.StopAsync(pid, "sleep", TimeSpan.FromSeconds(5));
            await Eventually.UntilAsync(() => Task.FromResult(Processes.HasEnded(pid)), "the stopped process to end", Ct);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_process_that_ignores_the_stop_signal_is_killed_once_its_grace_is_over()
    {
        var folder = Directory.CreateTempSubdirectory("dialogs-processes-");
        try
        {
            // A process hung past caring for SIGTERM: ignored signals stay ignored across exec.
            var pid = Processes.StartDetached("sh", ["-c", "trap '' TERM; exec sleep 60"], folder.FullName,
                Path.Combine(folder.FullName, "sleep.log"), new Dictionary<string, string>());
            await Eventually.UntilAsync(() => Task.FromResult(Processes.IsAlive(pid, "sleep") && !Processes.IsAlive(pid, "trap")),
                "the shell to ignore SIGTERM and become sleep", Ct);

            await Processes.StopAsync(pid, "sleep", TimeSpan.FromSeconds(1));

            await Eventually.UntilAsync(() => Task.FromResult(Processes.HasEnded(pid)), "the process to be killed", Ct, TimeSpan.FromSeconds(5));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task As_root_a_folder_the_postgres_user_cannot_reach_is_refused_naming_the_closed_directory()
    {
        Assert.SkipUnless(Processes.IsRoot, "SKIPPED: only as root do the servers run as another user (postgres).");
        var closed = Directory.CreateTempSubdirectory("dialogs-closed-");
        try
        {
            // As a clone under /root: the folder itself is open, a directory above it lets only its owner in.
            var nodes = Directory.CreateDirectory(Path.Combine(closed.FullName, "clone", "local-cluster")).FullName;
            File.SetUnixFileMode(nodes, (UnixFileMode)0b111_101_101);

            var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Processes.RequirePostgresCanReachAsync(nodes));

            Assert.Contains($"chmod o+x {closed.FullName}", refused.Message);
            File.SetUnixFileMode(closed.FullName, (UnixFileMode)0b111_101_101);
            await Processes.RequirePostgresCanReachAsync(nodes);
        }
        finally
        {
            closed.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_pid_with_no_process_has_ended() =>
        Assert.True(Processes.HasEnded(int.MaxValue));

    [Fact]
    public void A_signal_to_no_process_is_not_sent_and_one_the_system_refuses_is_an_error_not_taken_for_an_ended_process()
    {
        Assert.False(Processes.Signal(int.MaxValue, Processes.SigTerm));

        // As another user's process refuses this user's signal (EPERM, which root never meets), so the system refuses
        // a signal that does not exist (EINVAL): the process is still there, and a stop must not take it for gone.
        var refused = Assert.Throws<InvalidOperationException>(() => Processes.Signal(Environment.ProcessId, 1_000));
        Assert.Contains($"Process {Environment.ProcessId} could not be sent signal 1000", refused.Message);
    }
}
