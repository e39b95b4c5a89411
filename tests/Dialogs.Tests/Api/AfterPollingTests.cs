using Dialogs.Tests.Infrastructure;
using Npgsql;

namespace Dialogs.Tests.Api;

/// <summary>
/// A client that polls `after` the newest id it has seen gets every message of the dialog, also one whose insert
/// was held up inside the database while a later send of the same dialog arrived. Runs on plain PostgreSQL and on
/// Citus, where the held-up insert waits on a worker.
/// </summary>
public abstract class AfterPollingTests(Database database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_send_held_up_in_the_database_is_not_skipped_by_a_client_polling_after()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var asAlice = database.Client(alice);
        using var asBob = database.Client(bob);
        var seen = await asBob.SendOk(alice, "seen");

        // Another session inserts a row with alice's idempotency key and keeps its transaction open: alice's send
        // with that key then waits inside the database for that transaction to end.
        await using var blocker = await database.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await blocker.BeginTransactionAsync(Ct);
        // The text is a literal, so the holding session's query names it on every node (Citus sends a worker the
        // shard's statement with its values written out), which tells this test's wait from any other test's.
        var marker = $"blocker-{Guid.NewGuid():N}";
        await using (var hold = new NpgsqlCommand($"""
            INSERT INTO messages (dialog_id, id, sender_id, recipient_id, body, created_at, idempotency_key)
            VALUES ($1, gen_random_uuid(), $2, $3, '{marker}', now(), 'held')
            """, blocker, transaction))
        {
            hold.Parameters.Add(new() { Value = Users.Dialog(alice, bob).Value });
            hold.Parameters.Add(new() { Value = alice });
            hold.Parameters.Add(new() { Value = bob });
            Assert.Equal(1, await hold.ExecuteNonQueryAsync(Ct));
        }

        var heldUp = asAlice.Send(bob, "held up", idempotencyKey: "held");
        await Eventually.UntilAsync(() => AnyNodeHasAsync($"""
            SELECT count(*) FROM pg_stat_activity waiting
            WHERE waiting.wait_event_type = 'Lock' AND EXISTS (
                SELECT 1 FROM pg_stat_activity holding
                WHERE holding.pid = ANY (pg_blocking_pids(waiting.pid)) AND holding.query LIKE '%{marker}%')
            """), "alice's send to wait behind the held row", Ct);

        // Bob's send, which arrived later, may not become visible before alice's, which is still to commit.
        var later = asBob.Send(alice, "later");
        using (var waiting = CancellationTokenSource.CreateLinkedTokenSource(Ct))
        {
            // Either bob's send waits for alice's to commit, or it went through.
            var waitsForAlice = Eventually.UntilAsync(
                () => AnyNodeHasAsync(
                    // A send's own lock (SendLock.Key), not the lock of a migrator another test keeps waiting, which
                    // would let the poll below run too early to test anything.
                    SendLock.CountSendsWaitingSql),
                "bob's send to wait for alice's", waiting.Token);
            var first = await Task.WhenAny(later, waitsForAlice);
            await waiting.CancelAsync();
            // Neither within the patience: the wait gave up, and the poll below would test nothing.
            await first;
        }

        var polled = await asBob.ListOk(alice, $"?after={seen.Id}");
        Assert.True(polled.Count == 0 || polled.Any(m => m.Text == "held up"),
            $"A poller after {seen.Id} got [{string.Join(", ", polled.Select(m => m.Text))}] while alice's send was still to commit.");

        await transaction.RollbackAsync(Ct);
        using var heldUpResponse = await heldUp;
        using var laterResponse = await later;
        Assert.True(heldUpResponse.IsSuccessStatusCode && laterResponse.IsSuccessStatusCode);

        var all = await asBob.ListOk(alice, $"?after={seen.Id}");
        Assert.Equal(["later", "held up"], all.Select(m => m.Text));
        Assert.True(string.CompareOrdinal(all[1].Id, all[0].Id) < 0);
    }

    private async Task<bool> AnyNodeHasAsync(string countSql)
    {
        foreach (var node in database.Cluster.Nodes)
        {
            if ((long)(await node.ExecuteAsync(countSql))! > 0)
            {
                return true;
            }
        }

        return false;
    }
}

public sealed class AfterPollingOnPostgres(PlainPostgres database) : AfterPollingTests(database);

public sealed class AfterPollingOnCitus(CitusCluster database) : AfterPollingTests(database);
