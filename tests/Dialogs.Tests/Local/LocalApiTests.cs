using System.Net.Http.Headers;
using Dialogs.Local;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Local;

public sealed class LocalApiTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_the_APIs_of_a_build_folder_finds_them_without_a_pid_and_spares_other_folders()
    {
        var (mine, other) = (Directory.CreateTempSubdirectory("dialogs-api-"), Directory.CreateTempSubdirectory("dialogs-api-"));
        // A folder whose path ends with mine's: its API's path contains my API's.
        var nested = Directory.CreateDirectory(Path.Combine(other.FullName, mine.FullName.TrimStart('/')));
        try
        {
            // Stand-ins whose command lines name each folder's API the way a started API's does.
            var orphan = await StandInApi.StartAsync(mine.FullName, Ct);
            var spared = await StandInApi.StartAsync(other.FullName, Ct);
            var sparedToo = await StandInApi.StartAsync(nested.FullName, Ct);

            Assert.Equal(1, await LocalApi.StopAllFromAsync(mine.FullName));

            await Eventually.UntilAsync(() => Task.FromResult(Processes.HasEnded(orphan)), "the orphan to end", Ct);
            Assert.False(Processes.HasEnded(spared));
            Assert.False(Processes.HasEnded(sparedToo));
            Assert.Equal(0, await LocalApi.StopAllFromAsync(mine.FullName));
            Assert.Equal(1, await LocalApi.StopAllFromAsync(nested.FullName));
            Assert.Equal(1, await LocalApi.StopAllFromAsync(other.FullName));
        }
        finally
        {
            mine.Delete(recursive: true);
            other.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_saved_pid_is_this_folders_API_only_while_that_process_runs_this_folders_build()
    {
        var (mine, other) = (Directory.CreateTempSubdirectory("dialogs-api-"), Directory.CreateTempSubdirectory("dialogs-api-"));
        try
        {
            // The pid an `up` saved, since taken by another clone's API: not ours, so `up` starts one and `down` spares it.
            var othersApi = await StandInApi.StartAsync(other.FullName, Ct);

            Assert.Null(LocalApi.Find(mine.FullName, othersApi, port: 1));
            Assert.Equal(othersApi, LocalApi.Find(other.FullName, othersApi, port: 1)?.Pid);

            // Ended, its pid is nobody's API, its own folder's neither.
            Assert.Equal(1, await LocalApi.StopAllFromAsync(other.FullName));
            Assert.Null(LocalApi.Find(other.FullName, othersApi, port: 1));
        }
        finally
        {
            await LocalApi.StopAllFromAsync(other.FullName);
            mine.Delete(recursive: true);
            other.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_started_API_has_its_token_signing_key_in_its_environment_not_on_its_command_line_which_every_user_can_read()
    {
        var tokens = DevTokens.CreateNew();
        var log = Path.GetTempFileName();
        // The API this suite builds, beside it, with its appsettings.json: a folder no other test starts an API from.
        var api = await LocalApi.StartAsync(AppContext.BaseDirectory, LocalNode.FreePorts(1)[0], database.ConnectionString, tokens, log, ct: Ct);
        try
        {
            Assert.DoesNotContain(tokens.SigningKey, await File.ReadAllTextAsync($"/proc/{api.Pid}/cmdline", Ct));
            Assert.Contains(tokens.SigningKey, await File.ReadAllTextAsync($"/proc/{api.Pid}/environ", Ct));

            using var client = new HttpClient { BaseAddress = new Uri(api.Url) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Create("alice", TimeSpan.FromMinutes(5)));
            using var page = await client.GetAsync("/dialog/bob/list", Ct);
            Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        }
        finally
        {
            await api.StopAsync();
            File.Delete(log);
        }
    }
}
