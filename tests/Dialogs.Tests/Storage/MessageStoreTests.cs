using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dialogs.Tests.Storage;

/// <summary>The store's send, below HTTP, where a request can be repeated or arrive late at will.</summary>
public abstract class MessageStoreTests(Database database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_that_reaches_the_database_late_is_stored_after_the_sends_already_committed()
    {
        var (store, early, late) = (Store(), Request("arrived first"), Request("arrived second"));
        late = late with { Dialog = early.Dialog, From = early.From, To = early.To };

        var second = Stored(await store.SendAsync(late, Ct));
        var first = Stored(await store.SendAsync(early, Ct));

        Assert.True(string.CompareOrdinal(early.SendId.ToString(), late.SendId.ToString()) < 0);
        Assert.True(string.CompareOrdinal(second.Id, first.Id) < 0, "The id follows the commit, not the arrival.");
        var page = await store.ReadPageAsync(early.Dialog, PageRequest.Newest(), Ct);
        Assert.Equal(["arrived first", "arrived second"], page.Messages.Select(m => m.Text));
    }

    [Fact]
    public async Task The_same_request_inserted_again_stores_nothing_more_and_returns_the_first_message()
    {
        var (store, message) = (Store(), Request("once"));

        var first = Stored(await store.SendAsync(message, Ct));
        var again = Stored(await store.SendAsync(message, Ct));

        Assert.Equal(first, again);
        var page = await store.ReadPageAsync(message.Dialog, PageRequest.Newest(), Ct);
        Assert.Equal(first, Assert.Single(page.Messages));
    }

    [Fact]
    public async Task The_stores_statements_have_their_connections_own_timeout_so_none_resets_the_sockets()
    {
        var db = database.ApiServices.GetRequiredService<NpgsqlDataSource>();
        var message = Request("timeout");
        await using var insert = MessageStore.CreateInsert(db, message);
        await using var page = MessageStore.CreatePageQuery(db, message.Dialog, PageRequest.Newest());

        var connections = new NpgsqlConnectionStringBuilder(db.ConnectionString).CommandTimeout;
        Assert.Equal(MessageStore.StatementTimeoutSeconds, connections);
        Assert.All([insert, page], statement => Assert.Equal(connections, statement.CommandTimeout));
    }

    [Fact]
    public async Task A_probe_of_an_open_circuit_that_is_cancelled_lets_the_next_request_probe()
    {
        // The store's own circuit on a clock of the test's, so the circuit's pause passes at once.
        var clock = new ManualClock();
        var circuit = new WorkerCircuit(clock);
        var store = ActivatorUtilities.CreateInstance<MessageStore>(database.ApiServices, circuit);
        var dialog = Request("probed").Dialog;
        var worker = database.ApiServices.GetRequiredService<ShardPlacements>().Find(dialog).Node;
        circuit.Unreachable(worker);
        clock.Advance(WorkerCircuit.OpenFor);

        // The client went away while its request probed: the worker was never asked, and the next request must ask it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ReadPageAsync(dialog, PageRequest.Newest(), new CancellationToken(canceled: true)));
        var page = await store.ReadPageAsync(dialog, PageRequest.Newest(), Ct);

        Assert.Empty(page.Messages);
        Assert.False(circuit.Refuses(worker, out _), "the probe's success closed the circuit");
    }

    private MessageStore Store() => database.ApiServices.GetRequiredService<MessageStore>();

    private NewMessage Request(string text)
    {
        var (from, to) = (Users.Id(Users.New("alice")), Users.Id(Users.New("bob")));
        var sendId = database.ApiServices.GetRequiredService<MessageIdGenerator>().Next();
        return new NewMessage(DialogKey.Between(from, to), sendId, from, to, text, IdempotencyKey: null);
    }

    private static DialogMessage Stored(SendOutcome outcome) => Assert.IsType<SendOutcome.Stored>(outcome).Message;
}

public sealed class MessageStoreOnPostgres(PlainPostgres database) : MessageStoreTests(database);

public sealed class MessageStoreOnCitus(CitusCluster database) : MessageStoreTests(database);
