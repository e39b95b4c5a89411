using System.Diagnostics;
using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Dialogs.Tests.Storage;

/// <summary>
/// One dialog's requests that wait on each other hold only the dialog's share of the database, not its shard's; sends
/// that wait hold only their part of each share, so the dialog's and its shard's reads are served meanwhile.
/// </summary>
public sealed class BulkheadTests(CitusCluster citus)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_dialog_flooded_with_sends_that_wait_holds_its_own_share_and_its_shard_serves_the_other_dialogs()
    {
        citus.Require();
        // A pool of 40: a shard's share is 10, more than a dialog's.
        await using var api = new TestApi(citus.ConnectionString + ";Maximum Pool Size=40");
        var me = Users.New("alice");
        using var client = api.Client(me);
        var placements = api.Services.GetRequiredService<ShardPlacements>();
        var flooded = Users.New("bob");
        var shard = placements.Find(Users.Dialog(me, flooded)).ShardId;
        var neighbour = Enumerable.Range(0, 10_000).Select(_ => Users.New("carol")).First(peer => placements.Find(Users.Dialog(me, peer)).ShardId == shard);

        // Without a dialog's share the flood would hold all 10 of the shard's turns, and the read would wait for one.
        await AssertServedPromptlyDuringFloodAsync(client, me, flooded, neighbour);
    }

    [Fact]
    public async Task Sends_held_on_a_shard_as_by_a_moves_cutover_leave_its_reads_served()
    {
        citus.Require();
        // A pool of 40: a shard's share is 10, of which its sends may hold 8; a dialog's 4, of which 3.
        await using var api = new TestApi(citus.ConnectionString + ";Maximum Pool Size=40");
        var bulkhead = api.Services.GetRequiredService<StoreBulkhead>();
        Assert.Equal((10, 8), (bulkhead.ShardShare, bulkhead.ShardSendShare));
        var me = Users.New("alice");
        using var client = api.Client(me);
        var placements = api.Services.GetRequiredService<ShardPlacements>();
        var shard = placements.Find(Users.Dialog(me, Users.New("bob"))).ShardId;
        var peers = Enumerable.Range(0, 10_000).Select(_ => Users.New("carol"))
            .Where(peer => placements.Find(Users.Dialog(me, peer)).ShardId == shard).Take(4).ToList();
        var (held, reader) = (peers[..3], peers[3]);
        foreach (var peer in peers)
        {
            await client.SendOk(peer, "before");
        }

        // Three dialogs' sends held in the database, a dialog's whole share each: without sends' parts of the shares,
        // the twelve would hold all 10 of the shard's turns and each dialog's 4, and every read below would wait 2 s for
        // one, then be refused.
        var locks = new List<SendLock>();
        List<Task<HttpResponseMessage>> sends;
        try
        {
            foreach (var peer in held)
            {
                locks.Add(await SendLock.TakeAsync(citus.DataSource, Users.Dialog(me, peer).Value, Ct));
            }

            sends = [.. held.SelectMany(peer => Enumerable.Range(0, StoreBulkhead.DialogShare).Select(i => client.Send(peer, $"held {i}")))];
            await Eventually.UntilAsync(async () => await SendLock.SendsWaitingAsync(citus.DataSource, Ct) >= bulkhead.ShardSendShare,
                $"{bulkhead.ShardSendShare} sends to wait for their dialogs' locks", Ct);

            foreach (var peer in held.Append(reader))
            {
                var started = Stopwatch.GetTimestamp();
                Assert.Single(await client.ListOk(peer));
                Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(1));
            }

            // Never more than their share (one may be between tries: a held send gives up its wait after 4 s).
            Assert.InRange(await SendLock.SendsWaitingAsync(citus.DataSource, Ct), 1, bulkhead.ShardSendShare);
        }
        finally
        {
            foreach (var sendLock in locks)
            {
                await sendLock.DisposeAsync();
            }
        }

        var answers = await Task.WhenAll(sends);
        Assert.All(answers, answer => Assert.Contains(answer.StatusCode, (HttpStatusCode[])[HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable]));
        var stored = 0;
        foreach (var peer in held)
        {
            stored += (await client.ListOk(peer, "?limit=200")).Count - 1;
        }

        Assert.Equal(answers.Count(answer => answer.StatusCode == HttpStatusCode.OK), stored);
    }

    /// <summary>
    /// Floods the dialog with sends that wait, as behind a slow send, and reads the other dialog meanwhile: it must be
    /// served within a second. Then every send of the flood is either stored or refused with a 503.
    /// </summary>
    private async Task AssertServedPromptlyDuringFloodAsync(HttpClient client, string me, string flooded, string other)
    {
        await client.SendOk(other, "before");

        List<Task<HttpResponseMessage>> flood;
        await using (await SendLock.TakeAsync(citus.DataSource, Users.Dialog(me, flooded).Value, Ct))
        {
            flood = [.. Enumerable.Range(0, 3 * StoreBulkhead.DialogShare).Select(i => client.Send(flooded, $"flood {i}"))];
            await Task.Delay(TimeSpan.FromMilliseconds(300), Ct);

            var started = Stopwatch.GetTimestamp();
            Assert.Single(await client.ListOk(other));
            Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        }

        var statuses = (await Task.WhenAll(flood)).Select(response => response.StatusCode).ToList();
        Assert.All(statuses, status => Assert.Contains(status, (HttpStatusCode[])[HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable]));
        Assert.Equal(statuses.Count(status => status == HttpStatusCode.OK), (await client.ListOk(flooded, "?limit=200")).Count);
    }
}
