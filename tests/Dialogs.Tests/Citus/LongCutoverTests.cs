using System.Diagnostics;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dialogs.Tests.Citus;

/// <summary>
/// A shard move's cutover holds its shard's writes until the new placement has caught up, which nothing bounds but the
/// replication lag: a send held past the store's statement timeout is stored once the cutover ends, and the shard's
/// reads are served meanwhile. On a cluster of its own, since the shard's sends wait for seconds.
/// </summary>
public sealed class LongCutoverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sends_held_by_a_cutover_past_the_statement_timeout_are_stored_when_it_ends_and_the_dialog_is_read_meanwhile()
    {
        await using var nodes = await TemporaryCluster.StartCitusAsync(workers: 1, shardCount: 4, "the long cutover test", Ct);
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString());
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(alice);
        await client.SendOk(bob, "before");
        var shard = api.Services.GetRequiredService<ShardPlacements>().Find(Users.Dialog(alice, bob)).ShardId!.Value;

        // What a cutover holds on the coordinator (Citus' BlockWritesToShardList: the shard's metadata, in ExclusiveLock,
        // lock mode 7), taken as Citus takes it, and held past the store's statement timeout.
        await using var db = NpgsqlDataSource.Create(nodes.Cluster.Coordinator.ConnectionString());
        await using var holder = await db.OpenConnectionAsync(Ct);
        await using var cutover = await holder.BeginTransactionAsync(Ct);
        await using (var block = new NpgsqlCommand("SELECT lock_shard_metadata(7, ARRAY[$1])", holder, cutover))
        {
            block.Parameters.Add(new() { Value = shard });
            await block.ExecuteNonQueryAsync(Ct);
        }

        // The second send waits for the dialog's send lock, which the first holds while it waits for the shard: it gets
        // the lock only as the first gives up, 4 s in, and must not then wait another 4 s, past its statement timeout.
        var first = client.SendOk(bob, "held by the cutover");
        await Eventually.UntilAsync(async () => await nodes.Cluster.Coordinator.SessionsWaitingForALockAsync() == 1, "the first send to wait for the shard", Ct);
        var second = client.SendOk(bob, "held behind the first");
        await Eventually.UntilAsync(async () => await nodes.Cluster.Coordinator.SessionsWaitingForALockAsync() == 2, "the second send to wait for the first", Ct);
        await Task.Delay(TimeSpan.FromSeconds(MessageStore.StatementTimeoutSeconds + 1), Ct);
        Assert.False(first.IsCompleted || second.IsCompleted, "a send was answered while the cutover held its shard's writes");
        var started = Stopwatch.GetTimestamp();
        Assert.Equal(["before"], (await client.ListOk(bob)).Select(message => message.Text));
        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        await cutover.CommitAsync(Ct);

        var sent = await Task.WhenAll(first, second);

        Assert.Equal(["held behind the first", "held by the cutover", "before"], (await client.ListOk(bob)).Select(message => message.Text));
        Assert.Equal(sent.Select(message => message.Id).Reverse(), (await client.ListOk(bob)).Take(2).Select(message => message.Id));
    }
}
