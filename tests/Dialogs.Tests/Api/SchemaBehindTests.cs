using System.Net;
using Dialogs.Local.Cluster;
using Dialogs.Api.Storage;
using Dialogs.Migrator;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Dialogs.Tests.Api;

/// <summary>An API upgraded ahead of the migrator, on a database one migration behind it.</summary>
public sealed class SchemaBehindTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sends_are_503_and_the_API_unready_until_the_newest_migration_is_there_while_pages_are_served()
    {
        await using var nodes = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        await nodes.Cluster.MigrateAsync(shardCount: 4, Ct);
        var node = nodes.Cluster.Coordinator;
        // The database as it was before 0002_commit_order.
        await node.ExecuteAsync("DROP FUNCTION dialog_message_id(uuid); ALTER TABLE messages DROP COLUMN send_id");
        var logs = new CapturedLogs();
        await using var api = new TestApi(node.ConnectionString(), logs: logs);
        var (me, peer) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(me);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/health", Ct)).StatusCode);
        using var early = await client.Send(peer, "too early");
        // The migrator is on its way: back soon, not after the wait of a node refusing the work until someone acts.
        Assert.Equal(WorkerCircuit.OpenFor, early.Headers.RetryAfter?.Delta);
        // Unavailable for now, as on a first deployment: not the words of a node refusing the work until someone acts.
        var problem = await DialogsApiContract.AssertProblem(early, (int)HttpStatusCode.ServiceUnavailable);
        Assert.Equal("The database is temporarily unavailable for this request. Retry later.", problem.GetProperty("detail").GetString());
        Assert.Empty(await client.ListOk(peer));

        await node.ExecuteAsync(SchemaMigrator.Embedded.Single(m => m.Version == "0002_commit_order").Sql);

        // Once the answer before it has stood its second (DatabaseHealthCheck.AnswerStands).
        await Eventually.UntilAsync(async () => (await client.GetAsync("/health", Ct)).StatusCode == HttpStatusCode.OK, "/health ready", Ct);
        await client.SendOk(peer, "once the schema is there");
        // An operator who read the warning reads the recovery too, once.
        Assert.Single(logs.Of(nameof(DatabaseHealthCheck), LogLevel.Warning));
        Assert.Equal("Ready again (/health 200)", Assert.Single(logs.Of(nameof(DatabaseHealthCheck), LogLevel.Information)));
    }
}
