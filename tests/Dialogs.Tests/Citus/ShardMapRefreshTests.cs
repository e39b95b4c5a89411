using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Dialogs.Tests.Citus;

/// <summary>The shard map's refresh, every two seconds, warns of an outage only when there is one.</summary>
public sealed class ShardMapRefreshTests(CitusCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sessions_the_coordinator_ended_while_idle_are_no_failed_refresh()
    {
        cluster.Require();
        var logs = new CapturedLogs();
        // Shorter than the refresh interval: every refresh finds the session it takes from the pool ended.
        await using var api = new TestApi($"{cluster.ConnectionString};Options=-c idle_session_timeout=300", logs: logs);
        using var client = api.Client(Users.New("alice"));
        await client.SendOk(Users.New("bob"), "the pool has sessions");

        await Task.Delay(ShardPlacementRefresher.Interval * 4, Ct);

        Assert.Empty(logs.Of(nameof(ShardPlacementRefresher), LogLevel.Warning));
        Assert.Empty(logs.Of(nameof(ShardPlacementRefresher), LogLevel.Information));
    }
}
