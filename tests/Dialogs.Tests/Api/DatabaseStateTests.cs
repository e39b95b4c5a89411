using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Api;

/// <summary>
/// A database whose state refuses the work (read-only, a privilege taken away) is an infrastructure fault: a 503 with
/// Retry-After, nothing stored, and served again once it is put right. One that ends idle sessions is no fault at all.
/// </summary>
public sealed class DatabaseStateTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_read_only_database_refuses_sends_with_503_and_stores_nothing_while_pages_are_served()
    {
        database.Require();
        // As a primary demoted, or a standby the connection string reaches after a failover.
        await using var api = new TestApi($"{database.ConnectionString};Options=-c default_transaction_read_only=on");
        var (me, peer) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(me);

        using var refused = await client.Send(peer, "not now");

        // A failover may end it within seconds.
        Assert.Equal(WorkerCircuit.OpenFor, refused.Headers.RetryAfter?.Delta);
        var problem = await DialogsApiContract.AssertProblem(refused, (int)HttpStatusCode.ServiceUnavailable);
        Assert.StartsWith("The database refused this request in the state it is in", problem.GetProperty("detail").GetString());
        Assert.Empty(await client.ListOk(peer));
    }

    [Fact]
    public async Task A_role_without_the_privilege_to_insert_refuses_sends_with_503_until_it_is_granted()
    {
        database.Require();
        await using var role = await TemporaryRole.CreateAsync(database.Cluster.Coordinator, privileges: $"SELECT ON {MessageStore.Table}");
        await using var api = new TestApi($"{database.ConnectionString};Username={role.Name}");
        var (me, peer) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(me);

        using var refused = await client.Send(peer, "not yet");
        // Not the 2 s of a fault that may pass by itself: this one waits for a person.
        Assert.Equal(TimeSpan.FromSeconds(30), refused.Headers.RetryAfter?.Delta);
        await DialogsApiContract.AssertProblem(refused, (int)HttpStatusCode.ServiceUnavailable);

        await role.GrantAsync($"INSERT ON {MessageStore.Table}");
        await client.SendOk(peer, "now");
        Assert.Equal(["now"], (await client.ListOk(peer)).Select(message => message.Text));
    }

    [Fact]
    public async Task Sessions_the_server_ended_for_idling_are_replaced_not_answered_with_an_error()
    {
        database.Require();
        await using var api = new TestApi($"{database.ConnectionString};Options=-c idle_session_timeout=200");
        var (me, peer) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(me);
        await client.SendOk(peer, "before");

        // Each request alone, after every pooled session (the warm-up's 8 too) was ended by the server meanwhile.
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        await client.SendOk(peer, "after");
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        Assert.Equal(["after", "before"], (await client.ListOk(peer)).Select(message => message.Text));
    }
}
