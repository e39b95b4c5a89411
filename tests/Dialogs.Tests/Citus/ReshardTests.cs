using Dialogs.LoadVerifier.Harness;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Scenarios;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Citus;

/// <summary>
/// The load verifier's reshard scenario in small: a worker is added and 8 shards rebalanced onto it while simulated
/// users send and read, then every dialog is read back. It runs on a cluster of its own, because it grows the cluster
/// and other tests assert the shared one's topology; the API runs in-process (WebApplicationFactory), which exercises
/// the same endpoints and store as the process the command-line tool starts, without building it first.
/// </summary>
public sealed class ReshardTests(ITestOutputHelper output)
{
    private const int ShardCount = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Adding_a_worker_and_rebalancing_under_load_fails_no_request_and_loses_or_doubles_no_message()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, ShardCount, "the online resharding test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        using var http = api.Client();

        var result = await ReshardScenario.RunAsync(new VerifierTarget(http, api.Tokens, nodes.Cluster), new ReshardSettings(
                new LoadSettings(Rate: 40, Users: 20, ContactsPerUser: 2, SendShare: 0.6, WarmUpTime: TimeSpan.FromSeconds(2)),
                Duration: TimeSpan.FromSeconds(8), MoveAt: TimeSpan.FromSeconds(3), MinimumAfter: TimeSpan.FromSeconds(2),
                RebalanceTimeout: TimeSpan.FromMinutes(3)),
            output.WriteLine, Ct);

        Assert.True(result.Rebalance?.Succeeded, $"rebalance: {result.Checks[0].Detail}");
        Assert.Equal(0, result.Summary.Failures);
        Assert.True(result.Summary.Delivery.Acknowledged > 0);
        Assert.Equal(0, result.Summary.Delivery.Missing);
        Assert.Equal(0, result.Summary.Delivery.Duplicated);
        Assert.True(result.NodesAfter.Single(node => node.Address == result.NewWorker).Shards > 0);
        Assert.All(result.Checks, check => Assert.True(check.Passed, $"{check.Name}: {check.Detail}"));
    }
}
