using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using Dialogs.Api.Http;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dialogs.Tests.Api;

/// <summary>One user's sends beyond a burst and a rate a second are refused with 429 and stored nowhere; others go on.</summary>
public sealed class SendRateLimitTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sender_beyond_the_burst_gets_429_with_Retry_After_and_nothing_stored_while_other_senders_go_on()
    {
        database.Require();
        await using var api = new TestApi(database.ConnectionString, Limits(burst: 3, perSecond: 1));
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var asAlice = api.Client(alice);
        using var asBob = api.Client(bob);
        for (var i = 1; i <= 3; i++)
        {
            await asAlice.SendOk(bob, $"message {i}");
        }

        using var refused = await asAlice.Send(bob, "one too many", idempotencyKey: "the-fourth");
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        var problem = await DialogsApiContract.AssertProblem(refused, 429);
        Assert.Equal("Too many send requests", problem.GetProperty("title").GetString());
        Assert.Contains("3 send requests at once and 1 a second", problem.GetProperty("detail").GetString());
        Assert.Equal("https://tools.ietf.org/html/rfc6585#section-4", problem.GetProperty("type").GetString());
        // What a client of the base contract, which knows no 429, reads of an error it can retry.
        Assert.Equal((429, problem.GetProperty("detail").GetString()), (problem.GetProperty("code").GetInt32(), problem.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("request_id").GetString()));

        // The allowance is the sender's, whomever she writes to; a recipient is no limit on others writing to him.
        using var toCarol = await asAlice.Send(Users.New("carol"), "to another peer");
        Assert.Equal(HttpStatusCode.TooManyRequests, toCarol.StatusCode);
        using var asDave = api.Client(Users.New("dave"));
        await asDave.SendOk(bob, "dave's own");

        // Each sender has a bucket of its own, and reading takes nothing from it.
        await asBob.SendOk(alice, "bob's own");
        Assert.Equal(["bob's own", "message 3", "message 2", "message 1"], (await asAlice.ListOk(bob)).Select(m => m.Text));

        // A second later the bucket has a message more: the refused one, sent again with its key, is stored once.
        await Eventually.UntilAsync(async () =>
        {
            using var again = await asAlice.Send(bob, "one too many", idempotencyKey: "the-fourth");
            Assert.True(again.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{again.StatusCode}");
            return again.StatusCode == HttpStatusCode.OK;
        }, "the bucket to refill", Ct, TimeSpan.FromSeconds(5));
        Assert.Single(await asAlice.ListOk(bob), m => m.Text == "one too many");
    }

    [Fact]
    public async Task A_refusal_is_counted_by_the_frameworks_rate_limiting_metric_under_the_sends_policy()
    {
        database.Require();
        await using var api = new TestApi(database.ConnectionString, Limits(burst: 1, perSecond: 1));
        var results = new ConcurrentQueue<string?>();
        using var listener = new MeterListener();
        // This API's meters only: other tests' APIs in this process count their own requests.
        var meters = api.Services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "aspnetcore.rate_limiting.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var named = tags.ToArray().ToDictionary(tag => tag.Key, tag => tag.Value as string);
            if (named.GetValueOrDefault("aspnetcore.rate_limiting.policy") == "sends")
            {
                results.Enqueue(named.GetValueOrDefault("aspnetcore.rate_limiting.result"));
            }
        });
        listener.Start();
        var bob = Users.New("bob");
        using var alice = api.Client(Users.New("alice"));

        // Until the first refusal: the bucket may refill between two sends on a slow machine.
        var sent = 0;
        for (var status = HttpStatusCode.OK; status == HttpStatusCode.OK; sent++)
        {
            using var send = await alice.Send(bob, $"send {sent}");
            status = send.StatusCode;
            Assert.True(status is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{status}");
        }

        // As the README names them: every send counted, the last one refused.
        Assert.Equal([.. Enumerable.Repeat("acquired", sent - 1), "endpoint_limiter"], results);
    }

    [Fact]
    public async Task A_UUID_user_has_one_allowance_whichever_case_its_tokens_spell_it_in()
    {
        database.Require();
        await using var api = new TestApi(database.ConnectionString, Limits(burst: 2, perSecond: 1));
        var user = Guid.NewGuid().ToString();
        var bob = Users.New("bob");
        using var lower = api.Client(user);
        using var upper = api.Client(user.ToUpperInvariant());

        await lower.SendOk(bob, "lower");
        await upper.SendOk(bob, "upper");
        using var refused = await upper.Send(bob, "one too many");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
    }

    [Fact]
    public async Task Each_refused_request_has_an_id_of_its_own_within_the_trace_its_caller_chose()
    {
        database.Require();
        await using var api = new TestApi(database.ConnectionString, Limits(burst: 1, perSecond: 1));
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var asAlice = api.Client(alice);
        // A client retrying within one trace, as traced retries do: every attempt names the same trace.
        const string Trace = "0af7651916cd43dd8448eb211c80319c";
        asAlice.DefaultRequestHeaders.Add("traceparent", $"00-{Trace}-b7ad6b7169203331-01");
        await asAlice.SendOk(bob, "the one allowed");

        var ids = new List<string>();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var refused = await asAlice.Send(bob, "refused", idempotencyKey: "the-second");
            ids.Add((await DialogsApiContract.AssertProblem(refused, 429)).GetProperty("request_id").GetString()!);
        }

        Assert.All(ids, id => Assert.StartsWith($"{Trace}-", id));
        Assert.NotEqual(ids[0], ids[1]);
    }

    [Fact]
    public async Task By_default_a_sender_may_send_60_at_once()
    {
        database.Require();
        await using var api = new TestApi(database.ConnectionString);
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var asAlice = api.Client(alice);

        // All at once. The bucket refills as time passes, 10 a second, so what the burst's own time added passes too;
        // 200 of them, so that without a limit all would pass only were the burst to take 14 s.
        var started = Stopwatch.GetTimestamp();
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => asAlice.Send(bob, $"burst {i}")));
        var refilled = (int)Math.Ceiling(Stopwatch.GetElapsedTime(started).TotalSeconds * 10);

        var sent = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        Assert.Equal(200 - sent, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.InRange(sent, 60, 60 + refilled);
        Assert.Equal(sent, (await asAlice.ListOk(bob, "?limit=200")).Count);
        Array.ForEach(responses, response => response.Dispose());
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(60, 0)]
    [InlineData(-1, 10)]
    public async Task A_limit_below_one_stops_the_API_at_start(int burst, int perSecond)
    {
        // The API's start on its own: a WebApplicationFactory whose host fails to start may throw its disposal instead.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(Limits(burst, perSecond)!);
        builder.AddSendRateLimit();
        using var host = builder.Build();

        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(Ct));

        var key = burst < 1 ? nameof(SendRateLimitOptions.Burst) : nameof(SendRateLimitOptions.PerSecond);
        Assert.Contains($"{SendRateLimitOptions.Section}:{key} must be between 1 and 1000000.", refused.Message);
    }

    private static Dictionary<string, string> Limits(int burst, int perSecond) => new()
    {
        [$"{SendRateLimitOptions.Section}:{nameof(SendRateLimitOptions.Burst)}"] = burst.ToString(CultureInfo.InvariantCulture),
        [$"{SendRateLimitOptions.Section}:{nameof(SendRateLimitOptions.PerSecond)}"] = perSecond.ToString(CultureInfo.InvariantCulture),
    };
}
