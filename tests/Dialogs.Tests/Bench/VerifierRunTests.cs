using Dialogs.LoadVerifier.Cli;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Reporting;
using Dialogs.LoadVerifier.Scenarios;

namespace Dialogs.Tests.Bench;

public sealed class VerifierRunTests
{
    [Theory]
    [InlineData(8, 10)] // the command line's --move-at 8 with the default warm-up
    [InlineData(10, 10)]
    [InlineData(20, 25)]
    public async Task A_cluster_change_within_the_warm_up_is_refused_before_anything_starts(int changeAt, int warmUp)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"verifier-run-{Guid.NewGuid():N}");
        var ran = false;

        var exitCode = await VerifierRun.RunAsync("reshard", new EnvironmentOptions(folder, Workers: 2, Shards: 4),
            new LoadSettings(WarmUpTime: TimeSpan.FromSeconds(warmUp)), TimeSpan.FromSeconds(changeAt),
            (_, _, _) =>
            {
                ran = true;
                return Task.FromResult<ReshardResult>(null!);
            },
            ReportView.Reshard, TestContext.Current.CancellationToken);

        Assert.Equal(VerifierRun.CouldNotRun, exitCode);
        Assert.False(ran);
        Assert.False(Directory.Exists(folder), "a refused run started a cluster in its folder");
    }

    [Theory]
    [InlineData("reshard --bogus")]
    [InlineData("reshard --duration abc")]
    [InlineData("reshard --rate 0")]
    [InlineData("reshard --sends 1.5")]
    [InlineData("reshard --contacts 5 --users 10")]
    [InlineData("worker-down --down-for -5")]
    [InlineData("worker-down --worker 3")]
    [InlineData("no-such-scenario")]
    public async Task A_bad_command_line_is_refused_as_a_run_that_could_not_be_set_up_before_anything_starts(string arguments)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"verifier-run-{Guid.NewGuid():N}");

        var exitCode = await Dialogs.LoadVerifier.Program.Main([.. arguments.Split(' '), "--out", folder]);

        Assert.Equal(VerifierRun.CouldNotRun, exitCode);
        Assert.False(Directory.Exists(folder), "a refused run started a cluster in its folder");
    }
}
