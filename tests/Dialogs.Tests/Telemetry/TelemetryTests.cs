using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Dialogs.Api.Telemetry;
using Dialogs.Tests.Infrastructure;
using Npgsql;

namespace Dialogs.Tests.Telemetry;

/// <summary>What the real exporter sends: spans that name shard and worker, and latency tagged by worker.</summary>
public sealed class TelemetryTests(PlainPostgres plain, CitusCluster citus)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_computed_hash_of_a_uuid_is_the_one_PostgreSQL_computes()
    {
        plain.Require();
        var values = Enumerable.Range(0, 300).Select(_ => Guid.NewGuid()).Append(Guid.Empty).Append(Guid.AllBitsSet).ToList();

        foreach (var value in values)
        {
            await using var hash = plain.DataSource.CreateCommand("SELECT uuid_hash($1)");
            hash.Parameters.Add(new() { Value = value });
            Assert.Equal((int)(await hash.ExecuteScalarAsync(Ct))!, PostgresHash.Uuid(value));
        }
    }

    [Fact]
    public async Task The_shard_map_names_the_shard_and_worker_Citus_routes_each_dialog_to()
    {
        citus.Require();
        var placements = new ShardPlacements(citus.DataSource);
        Assert.True(await placements.RefreshAsync(citus.DataSource, Ct));

        for (var i = 0; i < 200; i++)
        {
            var dialog = Users.Dialog(Users.New(), Users.New());
            Assert.Equal(await PlacementOfAsync(dialog), placements.Find(dialog));
        }
    }

    [Fact]
    public async Task A_send_and_a_page_read_are_traced_as_http_then_store_then_npgsql_spans_naming_shard_worker_and_statement()
    {
        await using var api = await TracedApi.StartAsync(citus);
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(alice);
        // Before the send, so that the send's exported trace shows the probes' would have been exported too; in each
        // spelling routing serves them in.
        string[] probes = ["/health", "/HEALTH/", "/Alive/"];
        foreach (var probe in probes)
        {
            using var probed = await client.GetAsync(probe, Ct);
            probed.EnsureSuccessStatusCode();
        }

        await client.SendOk(bob, "traced");

        var trace = await api.TraceOfAsync($"/dialog/{bob}/send", Ct);
        var server = Assert.Single(trace, span => span.Scope == "Microsoft.AspNetCore");
        var store = Assert.Single(trace, span => span.Scope == StoreTelemetry.Name);
        var npgsql = trace.Where(span => span.Scope == "Npgsql" && span.ParentSpanId == store.SpanId).ToList();
        Assert.Equal("POST /dialog/{user_id}/send", server.Name);
        Assert.Equal(server.SpanId, store.ParentSpanId);
        Assert.Contains(npgsql, span => span.Name == "INSERT messages");
        var expected = await PlacementOfAsync(alice, bob);
        Assert.Equal(expected.Node, store.Attributes[StoreTelemetry.WorkerTag]);
        Assert.Equal(expected.ShardId.ToString(), store.Attributes[StoreTelemetry.ShardTag]);
        Assert.Equal("send", store.Attributes[StoreTelemetry.OperationTag]);
        Assert.DoesNotContain(api.Receiver.Spans(), span => probes.Contains(span.Attributes.GetValueOrDefault("url.path")));

        (await client.GetAsync($"/dialog/{bob}/list", Ct)).Dispose();
        var read = await api.TraceOfAsync($"/dialog/{bob}/list", Ct);
        var page = Assert.Single(read, span => span.Scope == StoreTelemetry.Name);
        Assert.Contains(read, span => span.Scope == "Npgsql" && span.ParentSpanId == page.SpanId && span.Name == "SELECT messages");
    }

    [Fact]
    public async Task A_statement_is_traced_only_inside_a_recorded_span_even_by_a_sampler_that_records_every_span()
    {
        await using var api = await TracedApi.StartAsync(citus);
        var bob = Users.New("bob");
        using var client = api.Client(Users.New("alice")); // the API started, its telemetry listening
        // What Aspire's always_on sampler does in Development: every span recorded, whatever its parent's flags. Added
        // once the API's telemetry listens, which sees every span start from then on; a span that other tests' work
        // began before, this listener recording it, would end in the API's exporter unseen by its processors.
        using var alwaysOn = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(alwaysOn);
        // The probes' requests in a trace of their own, told apart from what other tests' requests send meanwhile: the
        // listeners are the process's.
        var probes = ActivityTraceId.CreateRandom();
        for (var i = 0; i < 3; i++)
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, "/health");
            probe.Headers.Add("traceparent", $"00-{probes}-{ActivitySpanId.CreateRandom()}-01");
            (await client.SendAsync(probe, Ct)).Dispose();
        }

        await client.SendOk(bob, "traced");
        // The shard placements' refresher queries once more meanwhile.
        await Task.Delay(ShardPlacementRefresher.Interval * 1.5, Ct);
        var send = await api.TraceOfAsync($"/dialog/{bob}/send", Ct);

        Assert.Contains(send, span => span.Scope == "Npgsql" && span.Name == "INSERT messages");
        var statements = api.Receiver.Spans().Where(span => span.Scope == "Npgsql").ToList();
        // Neither a root trace per refresh nor the statements of the health probes, whose spans are dropped.
        Assert.DoesNotContain(statements, statement => statement.ParentSpanId == "");
        Assert.DoesNotContain(statements, statement => statement.TraceId == probes.ToString());
    }

    [Fact]
    public async Task Server_spans_carry_the_response_status_and_only_a_5xx_marks_an_error_as_its_failed_store_operation_does()
    {
        await using var api = await TracedApi.StartAsync(plain);
        var bob = Users.New("bob");
        using var client = api.Client(Users.New("alice"));
        await client.SendOk(bob, "traced");
        (await client.GetAsync($"/dialog/{bob}/list?limit=0", Ct)).Dispose();
        var ok = Server(await api.TraceOfAsync($"/dialog/{bob}/send", Ct));
        var refused = Server(await api.TraceOfAsync($"/dialog/{bob}/list", Ct));
        // Nothing listens on port 1: the store cannot connect, and the request is answered 503. Read after the others:
        // the two APIs share this process, so each one's exporter sees the other's spans from then on.
        await using var down = await TracedApi.StartAsync("Host=127.0.0.1;Port=1;Username=dialogs;Database=dialogs");
        using var downClient = down.Client(Users.New("carol"));
        (await downClient.GetAsync($"/dialog/{bob}/list", Ct)).Dispose();
        var failedTrace = await down.TraceOfAsync($"/dialog/{bob}/list", Ct);
        var failed = Server(failedTrace);
        var failedStore = Assert.Single(failedTrace, span => span.Scope == StoreTelemetry.Name);
        Assert.Equal(("200", 0), (ok.Attributes["http.response.status_code"], ok.Status));
        Assert.Equal(("400", 0), (refused.Attributes["http.response.status_code"], refused.Status));
        Assert.False(refused.Attributes.ContainsKey("error.type"));
        Assert.Equal(("503", "503", 2), (failed.Attributes["http.response.status_code"], failed.Attributes["error.type"], failed.Status));
        Assert.Equal(2, failedStore.Status);
        Assert.NotEmpty(failedStore.Attributes[StoreTelemetry.ErrorTag]);

        static ExportedSpan Server(IReadOnlyList<ExportedSpan> trace) => Assert.Single(trace, span => span.Scope == "Microsoft.AspNetCore");
    }

    [Fact]
    public async Task Traces_and_logs_name_the_service_by_OTEL_SERVICE_NAME_or_else_by_the_application_with_one_instance_id()
    {
        await using var named = await TracedApi.StartAsync(plain, new Dictionary<string, string> { ["OTEL_SERVICE_NAME"] = "dialogs-api" });
        await using var unnamed = await TracedApi.StartAsync(plain);

        foreach (var (api, expected) in new[] { (named, "dialogs-api"), (unnamed, "Dialogs.Api") })
        {
            await api.Client(Users.New("alice")).SendOk(Users.New("bob"), "named");
            await Eventually.UntilAsync(() =>
            {
                api.Flush();
                return Task.FromResult(api.Receiver.TraceResources().Count > 0 && api.Receiver.LogResources().Count > 0);
            }, "spans and log records", Ct);
            var resources = api.Receiver.TraceResources().Concat(api.Receiver.LogResources()).ToList();
            Assert.All(resources, resource => Assert.Equal(expected, resource["service.name"]));
            Assert.Single(resources.Select(resource => resource["service.instance.id"]).Distinct());
        }
    }

    [Fact]
    public async Task Store_latency_is_exported_as_a_histogram_tagged_by_operation_and_worker()
    {
        await using var api = await TracedApi.StartAsync(citus);
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(alice);
        await client.SendOk(bob, "measured");
        await client.ListOk(bob);
        api.Flush();

        var worker = (await PlacementOfAsync(alice, bob)).Node;
        var points = api.Receiver.Points().Where(point => point.Metric == "dialogs.store.operation.duration").ToList();
        Assert.Contains(points, p => p.Attributes[StoreTelemetry.WorkerTag] == worker && p.Attributes[StoreTelemetry.OperationTag] == "send");
        Assert.Contains(points, p => p.Attributes[StoreTelemetry.WorkerTag] == worker && p.Attributes[StoreTelemetry.OperationTag] == "list");
        // In seconds, as the conventions have durations, with buckets of milliseconds: the SDK's own (0, 5, 10, ... 10000)
        // are for milliseconds, and would put every operation in its first bucket, every percentile at 5 s.
        Assert.All(points, point =>
        {
            Assert.Equal("s", point.Unit);
            Assert.InRange(point.Bounds.Count(bound => bound is > 0 and <= 0.01), 3, int.MaxValue);
        });
        Assert.Contains(api.Receiver.Points(), point => point.Metric == "dialogs.messages.sent");
        Assert.Contains(api.Receiver.Points(), point => point.Metric == "dialogs.pages.read");
    }

    [Fact]
    public async Task A_store_operation_its_client_gave_up_on_is_timed_as_ended_by_the_cancellation_and_counted_as_no_failure()
    {
        await using var api = await TracedApi.StartAsync(plain);
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(alice);
        await using (var held = await SendLock.TakeAsync(plain.DataSource, Users.Dialog(alice, bob).Value, Ct))
        {
            // The send waits for the dialog's lock until its client gives up, as one gives up on a slow worker.
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var send = client.PostAsJsonAsync($"/dialog/{bob}/send", new { text = "given up" }, giveUp.Token);
            await Eventually.UntilAsync(() => held.HoldsUpASendAsync(Ct), "the send to wait for the dialog's lock", Ct);
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);
        }

        // Its own trace: the meter and source are the process's, so the receiver also gets what other tests' APIs do.
        var store = Assert.Single(await api.TraceOfAsync($"/dialog/{bob}/send", Ct), span => span.Scope == StoreTelemetry.Name);
        Assert.Equal(nameof(OperationCanceledException), store.Attributes.GetValueOrDefault(StoreTelemetry.ErrorTag));
        Assert.Equal(2, store.Status);
        api.Flush();
        Assert.Contains(api.Receiver.Points(), IsCancelled("dialogs.store.operation.duration"));
        Assert.DoesNotContain(api.Receiver.Points(), IsCancelled("dialogs.db.failures"));
    }

    private static Predicate<ExportedPoint> IsCancelled(string metric) => point => point.Metric == metric
        && point.Attributes.GetValueOrDefault(StoreTelemetry.ErrorTag) == nameof(OperationCanceledException);

    [Fact]
    public async Task On_plain_PostgreSQL_the_store_span_names_the_server()
    {
        await using var api = await TracedApi.StartAsync(plain);
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        await api.Client(alice).SendOk(bob, "traced");

        var store = Assert.Single(await api.TraceOfAsync($"/dialog/{bob}/send", Ct), span => span.Scope == StoreTelemetry.Name);
        Assert.Equal(plain.Cluster.Coordinator.Address, store.Attributes[StoreTelemetry.WorkerTag]);
    }

    [Fact]
    public async Task After_the_dialogs_shard_moves_the_spans_name_the_new_worker_within_seconds()
    {
        await using var api = await TracedApi.StartAsync(citus);
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var client = api.Client(alice);
        await client.SendOk(bob, "before the move");
        var before = await PlacementOfAsync(alice, bob);
        var target = citus.Cluster.Workers.Single(worker => worker.Address != before.Node);
        // Moved after a few of the refresher's rounds, not right after the API's start: its map must go on refreshing.
        await Task.Delay(ShardPlacementRefresher.Interval * 2.5, Ct);

        await MoveAsync(before.ShardId!.Value, before.Node, target.Address);
        try
        {
            await Eventually.UntilAsync(async () =>
            {
                await client.SendOk(bob, "after the move");
                var trace = await api.TraceOfAsync($"/dialog/{bob}/send", Ct);
                return trace.Single(span => span.Scope == StoreTelemetry.Name).Attributes[StoreTelemetry.WorkerTag] == target.Address;
            }, $"a send's span to name {target.Address}", Ct);
        }
        finally
        {
            await MoveAsync(before.ShardId!.Value, target.Address, before.Node);
        }
    }

    [Fact]
    public async Task The_cluster_overview_reports_each_workers_latency_over_the_last_minute()
    {
        await using var api = await TracedApi.StartAsync(citus);
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        await api.Client(alice).SendOk(bob, "measured");

        var overview = JsonDocument.Parse(await api.Client(Users.New("ops"), "admin").GetStringAsync("/admin/cluster", Ct)).RootElement;

        var worker = (await PlacementOfAsync(alice, bob)).Node;
        var latency = overview.GetProperty("latency_last_minute").EnumerateArray()
            .Single(entry => entry.GetProperty("worker").GetString() == worker);
        Assert.True(latency.GetProperty("operations").GetInt32() >= 1);
        Assert.True(latency.GetProperty("p99_ms").GetDouble() > 0);
        // The instance that measured it, this test's process.
        Assert.Equal($"{Environment.MachineName}:{Environment.ProcessId}", overview.GetProperty("instance").GetString());
    }

    private Task<Placement> PlacementOfAsync(string one, string other) => PlacementOfAsync(Users.Dialog(one, other));

    /// <summary>Where Citus itself routes the dialog.</summary>
    private async Task<Placement> PlacementOfAsync(DialogKey dialog)
    {
        await using var where = citus.DataSource.CreateCommand("""
            SELECT s.shardid, n.nodename || ':' || n.nodeport FROM pg_dist_placement s JOIN pg_dist_node n USING (groupid)
            WHERE s.shardid = get_shard_id_for_distribution_column('messages', $1)
            """);
        where.Parameters.Add(new() { Value = dialog.Value });
        await using var reader = await where.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        return new Placement(reader.GetInt64(0), reader.GetString(1));
    }

    private async Task MoveAsync(long shard, string from, string to)
    {
        var (source, target) = (Dialogs.Cluster.NodeAddress.Parse(from), Dialogs.Cluster.NodeAddress.Parse(to));
        await using var move = citus.DataSource.CreateCommand("SELECT citus_move_shard_placement($1, $2, $3, $4, $5, 'auto')");
        foreach (var value in new object[] { shard, source.Host, source.Port, target.Host, target.Port })
        {
            move.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await move.ExecuteNonQueryAsync(Ct);
    }
}
