using System.Diagnostics;
using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Local;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dialogs.Tests.Citus;

/// <summary>
/// A worker that is down costs its own dialogs a 503, quickly, and nothing else: once one request has found it
/// unreachable, the others for it are refused without waiting, the other worker's dialogs are served, and its dialogs
/// are served again soon after it is back. On a cluster of its own, because it stops a worker.
/// </summary>
public sealed class WorkerDownTests
{
    // Without the circuit each request spends its retries first: 0.6 s or more even when the worker refuses at once.
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(200);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_down_worker_s_dialogs_get_a_quick_503_and_the_others_are_served()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the worker-down test", Ct);
        var tokens = DevTokens.CreateNew();
        await using var api = ApiFactory.Create(nodes.Cluster.Coordinator.ConnectionString(), tokens);
        var me = Users.New("alice");
        using var client = api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", tokens.Create(me, TimeSpan.FromHours(1)));
        var down = nodes.Cluster.Workers[0];
        var (onDown, onLive) = PeersByWorker(api.Services.GetRequiredService<ShardPlacements>(), me, down.Address);

        await down.StopAsync();
        try
        {
            using var first = await client.Send(onDown[0], "the first finds the worker down");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
            foreach (var peer in onDown.Skip(1))
            {
                var clock = Stopwatch.StartNew();
                using var refused = await client.Send(peer, "refused without waiting");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.NotNull(refused.Headers.RetryAfter);
                Assert.True(clock.Elapsed < Fast, $"a refusal took {clock.Elapsed.TotalMilliseconds:0} ms");
            }

            await client.SendOk(onLive, "the live worker serves");
        }
        finally
        {
            await down.StartAsync();
        }

        // Back after the circuit's pause, by the first request that tries.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        HttpStatusCode status;
        do
        {
            await Task.Delay(WorkerCircuit.OpenFor / 4, Ct);
            using var response = await client.Send(onDown[0], "back");
            status = response.StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
    }

    /// <summary>Peers whose dialog with <paramref name="me"/> lies on the worker to stop (three) and one on another worker.</summary>
    private static (List<string> OnDown, string OnLive) PeersByWorker(ShardPlacements placements, string me, string downWorker)
    {
        var onDown = new List<string>();
        string? onLive = null;
        while (onDown.Count < 3 || onLive is null)
        {
            var peer = Users.New("bob");
            if (placements.Find(Users.Dialog(me, peer)).Node == downWorker)
            {
                onDown.Add(peer);
            }
            else
            {
                onLive ??= peer;
            }
        }

        return (onDown, onLive);
    }
}
