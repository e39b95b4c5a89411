using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Local;

public sealed class LocalApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_the_APIs_of_a_build_folder_finds_them_without_a_pid_and_spares_other_folders()
    {
        var (mine, other) = (Directory.CreateTempSubdirectory("dialogs-api-"), Directory.CreateTempSubdirectory("dialogs-api-"));
        try
        {
            // Stand-ins whose command lines name each folder's API the way a started API's does.
            var orphan = StartStandIn(mine.FullName);
            var spared = StartStandIn(other.FullName);
            await Eventually.UntilAsync(() => Task.FromResult(SleepStarted(orphan) && SleepStarted(spared)), "the stand-ins", Ct);

            Assert.Equal(1, await LocalApi.StopAllFromAsync(mine.FullName));

            await Eventually.UntilAsync(() => Task.FromResult(Processes.HasEnded(orphan)), "the orphan to end", Ct);
            Assert.False(Processes.HasEnded(spared));
            Assert.Equal(0, await LocalApi.StopAllFromAsync(mine.FullName));
            Assert.Equal(1, await LocalApi.StopAllFromAsync(other.FullName));
        }
        finally
        {
            mine.Delete(recursive: true);
            other.Delete(recursive: true);
        }
    }

    private static int StartStandIn(string apiFolder) =>
        // Two commands, so bash stays (it would exec a single one) with the folder's API in its arguments.
        Processes.StartDetached("bash", ["-c", "sleep 60; true", Path.Combine(apiFolder, LocalApi.ProcessMarker)],
            apiFolder, Path.Combine(apiFolder, "api.log"), new Dictionary<string, string>());

    /// <summary>
    /// Whether the stand-in's shell has started its sleep: until the child it forks for it execs, that child carries
    /// the shell's command line, marker and all, and would count as a second API of the folder.
    /// </summary>
    private static bool SleepStarted(int standIn) =>
        Processes.ChildrenOf(standIn).Any(child => Processes.IsAlive(child.Pid, "sleep") && !Processes.IsAlive(child.Pid, LocalApi.ProcessMarker));
}
