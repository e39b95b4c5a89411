using Dialogs.Local.Cluster;

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
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (!Processes.HasEnded(pid) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, Ct);
            }

            Assert.True(Processes.HasEnded(pid));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_pid_with_no_process_has_ended() =>
        Assert.True(Processes.HasEnded(int.MaxValue));
}
