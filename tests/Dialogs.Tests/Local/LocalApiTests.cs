using Dialogs.Local.Cluster;

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
            await WaitUntilAsync(() => Processes.FindRunning(Path.Combine(mine.FullName, LocalApi.ProcessMarker)).Count == 1);

            Assert.Equal(1, await LocalApi.StopAllFromAsync(mine.FullName));

            await WaitUntilAsync(() => Processes.HasEnded(orphan));
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

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Gave up waiting after 10 s.");
            await Task.Delay(50, Ct);
        }
    }
}
