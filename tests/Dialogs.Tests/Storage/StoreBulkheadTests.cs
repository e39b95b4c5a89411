using System.Diagnostics;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;

namespace Dialogs.Tests.Storage;

/// <summary>
/// The bulkhead's bookkeeping on its own: turns are handed back on every path, a dialog's go with it, and sends hold
/// only their part of each share.
/// </summary>
public sealed class StoreBulkheadTests
{
    private static readonly Placement OnShard = new(1, "worker");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_beyond_the_dialogs_share_waits_for_a_turn_handed_back()
    {
        var bulkhead = new StoreBulkhead(shardShare: 10);
        var dialog = NewDialog();
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            Assert.True(bulkhead.EnterAsync(dialog, OnShard, StoreWork.Read, Ct).IsCompletedSuccessfully);
        }

        var waiting = bulkhead.EnterAsync(dialog, OnShard, StoreWork.Read, Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        Assert.False(waiting.IsCompleted);

        bulkhead.Leave(dialog, OnShard, StoreWork.Read);
        await waiting.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            bulkhead.Leave(dialog, OnShard, StoreWork.Read);
        }

        Assert.Equal(0, bulkhead.DialogsWithRequests);
    }

    [Fact]
    public void A_dialog_with_its_share_at_work_holds_back_no_other_dialog()
    {
        // One turn of the shard left for the others.
        var bulkhead = new StoreBulkhead(shardShare: StoreBulkhead.DialogShare + 1);
        var busy = NewDialog();
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            Assert.True(bulkhead.EnterAsync(busy, OnShard, StoreWork.Read, Ct).IsCompletedSuccessfully);
        }

        // Turns kept by anything coarser than the dialog (they were 4,096 stripes by hash code) would put some of these
        // dialogs behind the busy one.
        foreach (var other in Enumerable.Range(0, 20_000).Select(_ => NewDialog()))
        {
            Assert.True(bulkhead.EnterAsync(other, OnShard, StoreWork.Read, Ct).IsCompletedSuccessfully, $"dialog {other.Value} waited");
            bulkhead.Leave(other, OnShard, StoreWork.Read);
        }

        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            bulkhead.Leave(busy, OnShard, StoreWork.Read);
        }
    }

    [Fact]
    public async Task Requests_refused_or_cancelled_while_waiting_hold_no_turn_and_leave_nothing_behind()
    {
        var bulkhead = new StoreBulkhead(shardShare: StoreBulkhead.DialogShare);
        var full = NewDialog();
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            await bulkhead.EnterAsync(full, OnShard, StoreWork.Read, Ct);
        }

        // Waiting for the dialog's turn, for the shard's (another dialog, same shard), and cancelled while waiting for each.
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var dialogRefused = bulkhead.EnterAsync(full, OnShard, StoreWork.Read, Ct);
        var shardRefused = bulkhead.EnterAsync(NewDialog(), OnShard, StoreWork.Read, Ct);
        var cancelledWaits = new[] { bulkhead.EnterAsync(full, OnShard, StoreWork.Read, cancelled.Token), bulkhead.EnterAsync(NewDialog(), OnShard, StoreWork.Read, cancelled.Token) };
        await cancelled.CancelAsync();
        foreach (var cancelledWait in cancelledWaits)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledWait);
        }

        Assert.Contains("Dialog", (await Assert.ThrowsAsync<NoTurnException>(() => dialogRefused)).Message);
        Assert.Contains("Shard 1", (await Assert.ThrowsAsync<NoTurnException>(() => shardRefused)).Message);
        Assert.Equal(1, bulkhead.DialogsWithRequests);

        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            bulkhead.Leave(full, OnShard, StoreWork.Read);
        }

        Assert.Equal(0, bulkhead.DialogsWithRequests);
        // Every turn is back: the dialog and the shard take their whole shares again at once.
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            Assert.True(bulkhead.EnterAsync(full, OnShard, StoreWork.Read, Ct).IsCompletedSuccessfully);
        }
    }

    [Fact]
    public async Task Requests_cancelled_at_a_full_shard_hand_back_the_turn_they_held_at_their_dialog()
    {
        var bulkhead = new StoreBulkhead(shardShare: 1);
        var (dialog, other) = (NewDialog(), NewDialog());
        await bulkhead.EnterAsync(other, OnShard, StoreWork.Read, Ct); // the shard's one turn
        // A request of the dialog at work elsewhere keeps its turns alive: they do not go with the cancelled ones.
        var elsewhere = new Placement(2, "worker");
        await bulkhead.EnterAsync(dialog, elsewhere, StoreWork.Read, Ct);

        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var waiting = bulkhead.EnterAsync(dialog, OnShard, StoreWork.Read, cancelled.Token);
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        bulkhead.Leave(other, OnShard, StoreWork.Read);
        Assert.True(bulkhead.EnterAsync(dialog, OnShard, StoreWork.Read, Ct).IsCompletedSuccessfully, "the cancelled requests kept the dialog's turns");
        bulkhead.Leave(dialog, OnShard, StoreWork.Read);
        bulkhead.Leave(dialog, elsewhere, StoreWork.Read);
        Assert.Equal(0, bulkhead.DialogsWithRequests);
    }

    [Fact]
    public async Task A_request_that_waited_at_its_dialog_waits_at_the_shard_only_for_the_time_left()
    {
        var bulkhead = new StoreBulkhead(shardShare: StoreBulkhead.DialogShare);
        var dialog = NewDialog();
        var elsewhere = new Placement(2, "worker");
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            await bulkhead.EnterAsync(NewDialog(), OnShard, StoreWork.Read, Ct); // the shard's turns, kept throughout
            await bulkhead.EnterAsync(dialog, elsewhere, StoreWork.Read, Ct);
        }

        var waited = Stopwatch.StartNew();
        var waiting = bulkhead.EnterAsync(dialog, OnShard, StoreWork.Read, Ct);
        var atDialog = StoreBulkhead.TurnTimeout * 0.6;
        await Task.Delay(atDialog, Ct);
        bulkhead.Leave(dialog, elsewhere, StoreWork.Read); // the dialog's turn comes; the shard's never does

        var refused = await Assert.ThrowsAsync<NoTurnException>(() => waiting);
        Assert.False(refused.AtDialog);
        // One deadline for both turns: a second whole wait at the shard would refuse it only after 1.6 timeouts.
        Assert.InRange(waited.Elapsed, StoreBulkhead.TurnTimeout * 0.95, StoreBulkhead.TurnTimeout * 1.3);
    }

    [Fact]
    public async Task Sends_hold_only_their_part_of_each_share_so_reads_of_their_dialog_and_shard_find_a_turn()
    {
        // As in a shard move's cutover, which holds the shard's sends and serves its reads: the sends of one dialog, and
        // then of its shard, are all at work.
        var bulkhead = new StoreBulkhead(shardShare: 8);
        Assert.Equal((3, 6), (StoreBulkhead.DialogSendShare, bulkhead.ShardSendShare));
        var sending = NewDialog();
        for (var i = 0; i < StoreBulkhead.DialogSendShare; i++)
        {
            Assert.True(bulkhead.EnterAsync(sending, OnShard, StoreWork.Send, Ct).IsCompletedSuccessfully);
        }

        var sendOfTheDialog = bulkhead.EnterAsync(sending, OnShard, StoreWork.Send, Ct);
        Assert.True(bulkhead.EnterAsync(sending, OnShard, StoreWork.Read, Ct).IsCompletedSuccessfully, "a read waited behind its dialog's sends");
        var others = Enumerable.Range(0, bulkhead.ShardSendShare - StoreBulkhead.DialogSendShare).Select(_ => NewDialog()).ToList();
        foreach (var other in others)
        {
            Assert.True(bulkhead.EnterAsync(other, OnShard, StoreWork.Send, Ct).IsCompletedSuccessfully);
        }

        var late = NewDialog();
        var sendOfTheShard = bulkhead.EnterAsync(late, OnShard, StoreWork.Send, Ct);
        var reader = NewDialog();
        Assert.True(bulkhead.EnterAsync(reader, OnShard, StoreWork.Read, Ct).IsCompletedSuccessfully, "a read waited behind its shard's sends");
        await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        Assert.False(sendOfTheDialog.IsCompleted, "a send took its dialog's last turn");
        Assert.False(sendOfTheShard.IsCompleted, "a send took its shard's last turns");

        // Sends handed back make room for the sends that waited, each at its own part of the share.
        bulkhead.Leave(others[0], OnShard, StoreWork.Send);
        await sendOfTheShard.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        bulkhead.Leave(sending, OnShard, StoreWork.Read);
        bulkhead.Leave(sending, OnShard, StoreWork.Send);
        await sendOfTheDialog.WaitAsync(TimeSpan.FromSeconds(1), Ct);

        for (var i = 0; i < StoreBulkhead.DialogSendShare; i++)
        {
            bulkhead.Leave(sending, OnShard, StoreWork.Send);
        }

        foreach (var other in others.Skip(1).Append(late))
        {
            bulkhead.Leave(other, OnShard, StoreWork.Send);
        }

        bulkhead.Leave(reader, OnShard, StoreWork.Read);
        Assert.Equal(0, bulkhead.DialogsWithRequests);
        // Every turn is back: the shard takes its whole share of reads at once.
        Assert.All(Enumerable.Range(0, bulkhead.ShardShare).Select(_ => bulkhead.EnterAsync(NewDialog(), OnShard, StoreWork.Read, Ct)),
            entered => Assert.True(entered.IsCompletedSuccessfully));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(4, 3)]
    [InlineData(25, 19)]
    public void Sends_may_hold_all_but_a_quarter_of_a_shards_turns_and_at_least_one(int shardShare, int sendShare) =>
        Assert.Equal(sendShare, new StoreBulkhead(shardShare).ShardSendShare);

    [Fact]
    public async Task A_send_refused_at_its_sends_share_says_which_and_holds_no_turn()
    {
        var bulkhead = new StoreBulkhead(shardShare: 8); // sends: 6
        var sending = NewDialog();
        var others = Enumerable.Range(0, bulkhead.ShardSendShare - StoreBulkhead.DialogSendShare).Select(_ => NewDialog()).ToList();
        foreach (var dialog in Enumerable.Repeat(sending, StoreBulkhead.DialogSendShare).Concat(others))
        {
            await bulkhead.EnterAsync(dialog, OnShard, StoreWork.Send, Ct);
        }

        var atDialog = await Assert.ThrowsAsync<NoTurnException>(() => bulkhead.EnterAsync(sending, OnShard, StoreWork.Send, Ct));
        var atShard = await Assert.ThrowsAsync<NoTurnException>(() => bulkhead.EnterAsync(NewDialog(), OnShard, StoreWork.Send, Ct));

        Assert.Equal((true, "3 sends"), (atDialog.AtDialog, atDialog.Crowd));
        Assert.Contains("kept its 3 sends at work", atDialog.Message);
        Assert.Equal((false, "6 sends"), (atShard.AtDialog, atShard.Crowd));
        Assert.Contains("Shard 1 on worker kept its 6 sends at work", atShard.Message);
        foreach (var dialog in Enumerable.Repeat(sending, StoreBulkhead.DialogSendShare).Concat(others))
        {
            bulkhead.Leave(dialog, OnShard, StoreWork.Send);
        }

        // The refused ones took nothing: the shares are whole again.
        Assert.Equal(0, bulkhead.DialogsWithRequests);
        Assert.All(Enumerable.Range(0, bulkhead.ShardSendShare).Select(_ => bulkhead.EnterAsync(NewDialog(), OnShard, StoreWork.Send, Ct)),
            entered => Assert.True(entered.IsCompletedSuccessfully));
    }

    [Fact]
    public async Task Many_requests_at_once_over_a_few_dialogs_hand_every_turn_back()
    {
        var bulkhead = new StoreBulkhead(shardShare: 6);
        var dialogs = Enumerable.Range(0, 5).Select(_ => NewDialog()).ToArray();
        var placements = new[] { OnShard, new Placement(2, "worker"), new Placement(null, "server") };
        var served = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                var pick = (caller + i) % dialogs.Length;
                var (dialog, placement) = (dialogs[pick], placements[pick % placements.Length]);
                var work = i % 3 == 0 ? StoreWork.Read : StoreWork.Send;
                await bulkhead.EnterAsync(dialog, placement, work, Ct);
                Interlocked.Increment(ref served);
                await Task.Yield();
                bulkhead.Leave(dialog, placement, work);
            }
        }, Ct)));

        Assert.Equal(16 * 2_000, served);
        Assert.Equal(0, bulkhead.DialogsWithRequests);
    }

    private static DialogKey NewDialog() => new(Guid.NewGuid());
}
