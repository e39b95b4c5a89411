using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Api.Telemetry;
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
        using var store = new StoreErrors(api.Services.GetRequiredService<IMeterFactory>());

        await down.StopAsync();
        try
        {
            using var first = await client.Send(onDown[0], "the first finds the worker down");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
            Assert.NotEmpty(store.Retries); // it tried, and waited between its tries

            // Refused without trying: no retry, so no wait (without the circuit each spends its second of retries).
            store.Clear();
            foreach (var peer in onDown.Skip(1))
            {
                using var refused = await client.Send(peer, "refused without waiting");
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
                Assert.NotNull(refused.Headers.RetryAfter);
            }

            Assert.Empty(store.Retries);
            Assert.Equal(Enumerable.Repeat(nameof(WorkerUnavailableException), onDown.Count - 1), store.Failures);

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

    /// <summary>The error types of the store's retries and failures (its metrics), in the API under test only.</summary>
    private sealed class StoreErrors : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<string> _retries = new();
        private readonly ConcurrentQueue<string> _failures = new();

        public StoreErrors(IMeterFactory apiMeters)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == apiMeters && instrument.Name is "dialogs.db.retries" or "dialogs.db.failures")
                {
                    listener.EnableMeasurementEvents(instrument, instrument.Name == "dialogs.db.retries" ? _retries : _failures);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, _, tags, queue) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == StoreTelemetry.ErrorTag)
                    {
                        ((ConcurrentQueue<string>)queue!).Enqueue((string)tag.Value!);
                    }
                }
            });
            _listener.Start();
        }

        public IReadOnlyList<string> Retries => [.. _retries];
        public IReadOnlyList<string> Failures => [.. _failures];

        public void Clear()
        {
            _retries.Clear();
            _failures.Clear();
        }

        public void Dispose() => _listener.Dispose();
    }
}
