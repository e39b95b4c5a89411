using System.Diagnostics;
using System.Net;
using Dialogs.Api.Storage;
using Dialogs.Local.Cluster;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Dialogs.Tests.Storage;

/// <summary>/health takes no token: a flood of it costs the database one round trip a second, not one each.</summary>
public sealed class DatabaseHealthCheckTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Checks_at_the_same_time_share_one_round_trip_and_its_answer_stands_for_a_second()
    {
        database.Require();
        var clock = new ManualClock();
        var warmup = new StoreWarmup(database.DataSource, new ShardPlacements(database.DataSource), NullLogger<StoreWarmup>.Instance);
        var check = new DatabaseHealthCheck(database.DataSource, warmup, clock, NullLogger<DatabaseHealthCheck>.Instance);
        using var test = new Activity("health checks").Start();
        using var queries = new QueriesOfTrace(test.TraceId);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => check.CheckHealthAsync(new HealthCheckContext(), Ct), Ct)));
        Assert.All(answers, answer => Assert.Equal(HealthStatus.Healthy, answer.Status));
        Assert.Equal(1, queries.Count);

        clock.Advance(DatabaseHealthCheck.AnswerStands * 0.9);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);
        Assert.Equal(1, queries.Count);

        clock.Advance(DatabaseHealthCheck.AnswerStands * 0.2);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);
        Assert.Equal(2, queries.Count);
    }

    [Theory]
    [InlineData("terminated")] // as a restart or an operator's script would
    [InlineData("idle")]       // by the server's idle_session_timeout
    public async Task A_pooled_session_the_server_ended_is_not_an_outage(string how)
    {
        database.Require();
        var name = $"health-{Guid.NewGuid():N}";
        var options = how == "idle" ? ";Options=-c idle_session_timeout=200" : "";
        await using var db = NpgsqlDataSource.Create($"{database.ConnectionString};Application Name={name}{options}");
        var warmup = new StoreWarmup(db, new ShardPlacements(db), NullLogger<StoreWarmup>.Instance);
        var check = new DatabaseHealthCheck(db, warmup, TimeProvider.System, NullLogger<DatabaseHealthCheck>.Instance);
        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);

        if (how == "terminated")
        {
            await database.Cluster.Coordinator.ExecuteAsync(
                $"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '{name}'");
        }

        await Task.Delay(DatabaseHealthCheck.AnswerStands * 1.2, Ct);

        Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);
    }

    [Fact]
    public async Task The_pool_is_warmed_once_not_at_every_probe()
    {
        database.Require();
        var clock = new ManualClock();
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(logging => logging.AddProvider(logs));
        var warmup = new StoreWarmup(database.DataSource, new ShardPlacements(database.DataSource), loggers.CreateLogger<StoreWarmup>());
        var check = new DatabaseHealthCheck(database.DataSource, warmup, clock, NullLogger<DatabaseHealthCheck>.Instance);

        for (var probe = 0; probe < 3; probe++)
        {
            Assert.Equal(HealthStatus.Healthy, (await check.CheckHealthAsync(new HealthCheckContext(), Ct)).Status);
            clock.Advance(DatabaseHealthCheck.AnswerStands * 2);
        }

        Assert.Single(logs.Of(nameof(StoreWarmup), LogLevel.Information), line => line.StartsWith("Opened ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_flood_of_health_probes_costs_the_database_one_query()
    {
        database.Require();
        await using var api = new TestApi(database.ConnectionString);
        using var anonymous = api.Client();
        // The probes in a trace of their own: the API's own queries (its shard map) are in others.
        var probes = ActivityTraceId.CreateRandom();
        using var queries = new QueriesOfTrace(probes);

        var answers = await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, "/health");
            probe.Headers.Add("traceparent", $"00-{probes}-{ActivitySpanId.CreateRandom()}-01");
            using var answer = await anonymous.SendAsync(probe, Ct);
            return answer.StatusCode;
        }));

        Assert.All(answers, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(1, queries.Count);
    }

    [Fact]
    public async Task An_outage_is_logged_once_not_with_every_probe()
    {
        var logs = new CapturedLogs();
        await using var api = new TestApi($"Host=127.0.0.1;Port={LocalNode.FreePorts(1)[0]};Username=postgres;Database=dialogs", logs: logs);
        using var anonymous = api.Client();

        for (var round = 0; round < 2; round++)
        {
            if (round > 0)
            {
                await Task.Delay(DatabaseHealthCheck.AnswerStands * 1.5, Ct); // a second check, as unready
            }

            var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
            {
                using var probe = await anonymous.GetAsync("/health", Ct);
                return probe.StatusCode;
            }));
            Assert.All(answers, status => Assert.Equal(HttpStatusCode.ServiceUnavailable, status));
        }

        var warning = Assert.Single(logs.Of(nameof(DatabaseHealthCheck), LogLevel.Warning));
        Assert.Contains("the database cannot be reached", warning);
        Assert.Contains("Failed to connect", warning); // why, in the line itself: it carries no exception's stack
        // The framework's own line for each unhealthy probe, with the exception's stack trace.
        Assert.Empty(logs.Of("DefaultHealthCheckService", LogLevel.Error));
    }

    /// <summary>Counts the statements Npgsql runs in one trace (opening a connection has a span too, CONNECT: not counted).</summary>
    private sealed class QueriesOfTrace : IDisposable
    {
        private readonly ActivityListener _listener;
        private int _count;

        public QueriesOfTrace(ActivityTraceId trace)
        {
            _listener = new ActivityListener
            {
                // The API's request spans too, which carry the probes' trace on to the queries beneath them.
                ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = span =>
                {
                    if (span.Source.Name == "Npgsql" && span.TraceId == trace && !span.OperationName.StartsWith("CONNECT", StringComparison.Ordinal))
                    {
                        Interlocked.Increment(ref _count);
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int Count => Volatile.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
