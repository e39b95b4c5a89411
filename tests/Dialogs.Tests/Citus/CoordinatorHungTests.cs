using System.Diagnostics;
using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dialogs.Tests.Citus;

/// <summary>
/// A hung coordinator (its host frozen, say) costs requests a 503 within the statement timeout, not Npgsql's
/// connection timeouts on top, and once it answers again every worker's dialogs are served at once: it is not taken
/// for a worker that stopped answering.
/// </summary>
public sealed class CoordinatorHungTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Requests_get_a_503_within_the_statement_timeout_and_no_worker_is_blamed()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 2, shardCount: 8, "the hung-coordinator test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        var me = Users.New("alice");
        using var client = api.Client(me);
        using var anonymous = api.Client();
        var placements = api.Services.GetRequiredService<ShardPlacements>();
        // A dialog on each worker, each used once, so the pool holds connections to the coordinator.
        var peers = nodes.Cluster.Workers.Select(worker => Users.PeerOn(placements, me, worker.Address)).ToList();
        foreach (var peer in peers)
        {
            await client.SendOk(peer, "before");
        }

        // The statement's time; its cancellation's (Npgsql connects to send it and, when the server does not answer,
        // connects again without GSS encryption); then the question whether the coordinator answers.
        var limit = TimeSpan.FromSeconds(MessageStore.StatementTimeoutSeconds + 2 * StorageSetup.ConnectTimeoutSeconds
                                         + CoordinatorProbe.TimeoutSeconds + 1);
        using (SuspendedNode.Suspend(nodes.Cluster.Coordinator))
        {
            var started = Stopwatch.GetTimestamp();
            var sends = peers.Select(peer => client.Send(peer, "while the coordinator hangs")).ToList();
            // More requests than the pool holds idle connections: some need a new one, from a server that accepts
            // the connection and never answers.
            sends.AddRange(Enumerable.Range(0, 4).Select(_ => client.Send(Users.New("carol"), "needs a new connection")));
            using var health = await anonymous.GetAsync("/health", Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            var tookHealth = Stopwatch.GetElapsedTime(started);
            Assert.True(tookHealth < limit, $"/health took {tookHealth}");

            foreach (var response in await Task.WhenAll(sends))
            {
                using (response)
                {
                    Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                    Assert.NotNull(response.Headers.RetryAfter);
                }
            }

            var tookSends = Stopwatch.GetElapsedTime(started);
            Assert.True(tookSends < limit, $"the sends took {tookSends}");
        }

        // Back: every worker's dialogs at once, none refused as if its worker had stopped answering.
        await Eventually.UntilAsync(async () =>
        {
            using var health = await anonymous.GetAsync("/health", Ct);
            return health.StatusCode == HttpStatusCode.OK;
        }, "the coordinator to answer again", Ct);
        foreach (var peer in peers)
        {
            await client.SendOk(peer, "after");
        }
    }
}
