using System.Diagnostics;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;

namespace Dialogs.Tests.Storage;

/// <summary>The bulkhead's bookkeeping on its own: turns are handed back on every path, and a dialog's go with it.</summary>
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
            Assert.True(bulkhead.EnterAsync(dialog, OnShard, Ct).IsCompletedSuccessfully);
        }

        var waiting = bulkhead.EnterAsync(dialog, OnShard, Ct);
        await Task.Delay(TimeSpan.FromMilliseconds(100), Ct);
        Assert.False(waiting.IsCompleted);

        bulkhead.Leave(dialog, OnShard);
        await waiting.WaitAsync(TimeSpan.FromSeconds(1), Ct);
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            bulkhead.Leave(dialog, OnShard);
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
            Assert.True(bulkhead.EnterAsync(busy, OnShard, Ct).IsCompletedSuccessfully);
        }

        // Turns kept by anything coarser than the dialog (they were 4,096 stripes by hash code) would put some of these
        // dialogs behind the busy one.
        foreach (var other in Enumerable.Range(0, 20_000).Select(_ => NewDialog()))
        {
            Assert.True(bulkhead.EnterAsync(other, OnShard, Ct).IsCompletedSuccessfully, $"dialog {other.Value} waited");
            bulkhead.Leave(other, OnShard);
        }

        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            bulkhead.Leave(busy, OnShard);
        }
    }

    [Fact]
    public async Task Requests_refused_or_cancelled_while_waiting_hold_no_turn_and_leave_nothing_behind()
    {
        var bulkhead = new StoreBulkhead(shardShare: StoreBulkhead.DialogShare);
        var full = NewDialog();
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            await bulkhead.EnterAsync(full, OnShard, Ct);
        }

        // Waiting for the dialog's turn, for the shard's (another dialog, same shard), and cancelled while waiting for each.
        using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var dialogRefused = bulkhead.EnterAsync(full, OnShard, Ct);
        var shardRefused = bulkhead.EnterAsync(NewDialog(), OnShard, Ct);
        var cancelledWaits = new[] { bulkhead.EnterAsync(full, OnShard, cancelled.Token), bulkhead.EnterAsync(NewDialog(), OnShard, cancelled.Token) };
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
            bulkhead.Leave(full, OnShard);
        }

        Assert.Equal(0, bulkhead.DialogsWithRequests);
        // Every turn is back: the dialog and the shard take their whole shares again at once.
        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            Assert.True(bulkhead.EnterAsync(full, OnShard, Ct).IsCompletedSuccessfully);
        }
    }

    [Fact]
    public async Task Requests_cancelled_at_a_full_shard_hand_back_the_turn_they_held_at_their_dialog()
    {
        var bulkhead = new StoreBulkhead(shardShare: 1);
        var (dialog, other) = (NewDialog(), NewDialog());
        await bulkhead.EnterAsync(other, OnShard, Ct); // the shard's one turn
        // A request of the dialog at work elsewhere keeps its turns alive: they do not go with the cancelled ones.
        var elsewhere = new Placement(2, "worker");
        await bulkhead.EnterAsync(dialog, elsewhere, Ct);

        for (var i = 0; i < StoreBulkhead.DialogShare; i++)
        {
            using var cancelled = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var waiting = bulkhead.EnterAsync(dialog, OnShard, cancelled.Token);
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        }

        bulkhead.Leave(other, OnShard);
        Assert.True(bulkhead.EnterAsync(dialog, OnShard, Ct).IsCompletedSuccessfully, "the cancelled requests kept the dialog's turns");
        bulkhead.Leave(dialog, OnShard);
        bulkhead.Leave(dialog, elsewhere);
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
            await bulkhead.EnterAsync(NewDialog(), OnShard, Ct); // the shard's turns, kept throughout
            await bulkhead.EnterAsync(dialog, elsewhere, Ct);
        }

        var waited = Stopwatch.StartNew();
        var waiting = bulkhead.EnterAsync(dialog, OnShard, Ct);
        var atDialog = StoreBulkhead.TurnTimeout * 0.6;
        await Task.Delay(atDialog, Ct);
        bulkhead.Leave(dialog, elsewhere); // the dialog's turn comes; the shard's never does

        var refused = await Assert.ThrowsAsync<NoTurnException>(() => waiting);
        Assert.False(refused.AtDialog);
        // One deadline for both turns: a second whole wait at the shard would refuse it only after 1.6 timeouts.
        Assert.InRange(waited.Elapsed, StoreBulkhead.TurnTimeout * 0.95, StoreBulkhead.TurnTimeout * 1.3);
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
                await bulkhead.EnterAsync(dialog, placement, Ct);
                Interlocked.Increment(ref served);
                await Task.Yield();
                bulkhead.Leave(dialog, placement);
            }
        }, Ct)));

        Assert.Equal(16 * 2_000, served);
        Assert.Equal(0, bulkhead.DialogsWithRequests);
    }

    private static DialogKey NewDialog() => new(Guid.NewGuid());
}
