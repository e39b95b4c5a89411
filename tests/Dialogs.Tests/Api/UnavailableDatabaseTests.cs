using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dialogs.Api.Http;
using Dialogs.Api.Storage;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Dialogs.Tests.Api;

/// <summary>With the database out of reach the API answers 503 with Retry-After and the base contract's members.</summary>
public sealed class UnavailableDatabaseTests : IAsyncDisposable
{
    private readonly TestApi _api;

    public UnavailableDatabaseTests()
    {
        // A port nobody listens on: every connection attempt is refused.
        var closedPort = LocalNode.FreePorts(1)[0];
        _api = new TestApi($"Host=127.0.0.1;Port={closedPort};Username=postgres;Database=dialogs;Timeout=3");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/xml")] // a client that asks for no JSON still gets the contract's body
    public async Task Send_and_list_are_503_with_retry_after_and_contract_members(string? accept)
    {
        using var client = _api.Client(Users.New());
        if (accept is not null)
        {
            client.DefaultRequestHeaders.Accept.ParseAdd(accept);
        }

        foreach (var response in new[] { await client.Send(Users.New(), "hi"), await client.List(Users.New()) })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
            Assert.True(response.Headers.CacheControl?.NoStore);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
            Assert.Equal(503, body.GetProperty("code").GetInt32());
            Assert.False(string.IsNullOrEmpty(body.GetProperty("message").GetString()));
            Assert.False(string.IsNullOrEmpty(body.GetProperty("request_id").GetString()));
            Assert.DoesNotContain("Npgsql", body.GetRawText());
        }
    }

    [Fact]
    public async Task A_fault_refusing_many_requests_is_logged_when_it_comes_then_counted_once_a_second_to_its_last()
    {
        // No schema: every request is a 503 at once, without retries.
        await using var nodes = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        var logs = new CapturedLogs();
        await using var api = new TestApi(nodes.Cluster.Coordinator.ConnectionString(), logs: logs);
        using var client = api.Client(Users.New());

        foreach (var refused in await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => client.List(Users.New()))))
        {
            using (refused)
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            }
        }

        // The last second of the fault is told too, with nothing after it.
        await Task.Delay(DatabaseUnavailableHandler.LogInterval * 1.5, TestContext.Current.CancellationToken);

        var lines = logs.Of(nameof(DatabaseUnavailableHandler), LogLevel.Warning);
        // The burst's first refusal, then a count for each second the refusals kept coming in (more than one where the
        // burst outlasted a second on a slow machine).
        Assert.InRange(lines.Count, 2, 4);
        Assert.StartsWith("Database unavailable, answering 503: ", lines[0]);
        Assert.All(lines.Skip(1), line => Assert.Matches(@"^Database unavailable: \d+ more 503s of this kind in the last second, the last: ", line));
        // Every refusal is told.
        Assert.Equal(30, lines.Sum(line => Regex.Match(line, @"^Database unavailable: (\d+) more") is { Success: true } count
            ? int.Parse(count.Groups[1].Value, CultureInfo.InvariantCulture) : 1));
    }

    [Fact]
    public async Task The_shard_map_logs_an_outage_once_not_on_every_refresh()
    {
        var logs = new CapturedLogs();
        await using var api = new TestApi($"Host=127.0.0.1;Port={LocalNode.FreePorts(1)[0]};Username=postgres;Database=dialogs", logs: logs);

        _ = api.Services; // started: the first refresh fails
        await Task.Delay(ShardPlacementRefresher.Interval * 2.5, TestContext.Current.CancellationToken);

        var warning = Assert.Single(logs.Of(nameof(ShardPlacementRefresher), LogLevel.Warning));
        Assert.Contains("Could not refresh the shard placements", warning);
    }

    [Fact]
    public async Task Health_is_503_while_alive_stays_200()
    {
        using var client = _api.Client();

        using var health = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        using var alive = await client.GetAsync("/alive", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("application/problem+json", health.Content.Headers.ContentType?.MediaType);
        Assert.True(health.Headers.CacheControl?.NoStore);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    public ValueTask DisposeAsync() => _api.DisposeAsync();
}
