using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Api.Http;
using Dialogs.Api.Messaging;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Api;

/// <summary>The admin endpoints: only the admin role, and a clear answer where there is no cluster to manage.</summary>
public sealed class AdminApiTests(PlainPostgres plain, CitusCluster citus)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Only_a_token_with_the_admin_role_may_call_them()
    {
        using var anonymous = plain.Client();
        using var user = plain.Client(Users.New());

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/admin/cluster", Ct)).StatusCode);
        foreach (var refused in (HttpResponseMessage[])[await user.GetAsync("/admin/cluster", Ct), await user.PostAsync("/admin/cluster/rebalance", null, Ct)])
        {
            // RFC 6750 (3.1): a valid token without the rights asked for is 403, and says so to the client.
            var challenge = Assert.Single(refused.Headers.WwwAuthenticate);
            Assert.Equal(("Bearer", "error=\"insufficient_scope\""), (challenge.Scheme, challenge.Parameter));
            Assert.Equal("This request needs a token with the admin role.",
                (await DialogsApiContract.AssertProblem(refused, 403)).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task On_plain_PostgreSQL_they_answer_409_not_a_Citus_cluster()
    {
        using var admin = plain.Client(Users.New("ops"), "admin");

        using var overview = await admin.GetAsync("/admin/cluster", Ct);
        // Not kept by any cache, whatever the answer.
        Assert.True(overview.Headers.CacheControl?.NoStore);
        await DialogsApiContract.AssertProblem(overview, 409);
        await DialogsApiContract.AssertProblem(await admin.PostAsync("/admin/cluster/rebalance", null, Ct), 409);
    }

    [Fact]
    public async Task The_latest_rebalance_job_is_read_without_a_query()
    {
        using var admin = plain.Client(Users.New("ops"), "admin");

        // A job's id goes in the path. One in the query was bound too, and a malformed one was the framework's bare 400.
        using var response = await admin.GetAsync("/admin/cluster/rebalance?jobId=abc", Ct);

        Assert.Contains("Not a Citus cluster", await response.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(response, 409);
    }

    [Theory]
    [InlineData("""{"host":"w1","port":0}""", "port")]
    [InlineData("""{"host":"w1","port":70000}""", "port")]
    [InlineData("""{"host":"w 1","port":5432}""", "host")]
    public async Task A_bad_worker_address_names_the_member_to_fix(string body, string member)
    {
        using var admin = plain.Client(Users.New("ops"), "admin");

        using var response = await admin.PostAsync("/admin/cluster/workers",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("errors");
        Assert.Equal([member], errors.EnumerateObject().Select(error => error.Name));
    }

    public static TheoryData<string> BadWorkerBodies =>
    [
        """{"host":"","port":5432}""",
        """{"host":"has space","port":5432}""",
        """{"host":"w\u00001","port":5432}""", // a NUL, which PostgreSQL cannot store
        $$"""{"host":"{{new string('w', Dialogs.Cluster.NodeAddress.MaxHostLength + 1)}}","port":5432}""",
        """{"host":"w1","port":70000}""",
        """{"host":"[::1]","port":5432}""", // the bare address here: brackets belong to a path's host:port
        """{"host":"w1/x","port":5432}""",
        """{"port":5432}""",
        """{"host":"w1","port":"5432"}""", // a number as a string
        """not json""",
    ];

    [Theory]
    [MemberData(nameof(BadWorkerBodies))]
    public async Task Adding_a_worker_with_a_bad_address_is_400(string body)
    {
        using var admin = plain.Client(Users.New("ops"), "admin");

        using var response = await admin.PostAsync("/admin/cluster/workers",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);

        await DialogsApiContract.AssertProblem(response, 400);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    public async Task A_worker_body_of_another_media_type_is_refused_only_after_authentication_and_authorization(string? contentType)
    {
        HttpContent Body() => DialogsHttp.Labelled("""{"host":"w1"}"""u8.ToArray(), contentType);
        using var anonymous = plain.Client();
        using var user = plain.Client(Users.New());
        using var admin = citus.Client(Users.New("ops"), "admin");

        await DialogsApiContract.AssertProblem(await anonymous.PostAsync("/admin/cluster/workers", Body(), Ct), 401);
        await DialogsApiContract.AssertProblem(await user.PostAsync("/admin/cluster/workers", Body(), Ct), 403);
        using var refused = await admin.PostAsync("/admin/cluster/workers", Body(), Ct);
        Assert.Equal("The body must be UTF-8 JSON (Content-Type: application/json).",
            (await DialogsApiContract.AssertProblem(refused, 415)).GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("POST", "127.0.0.1:+1/drain")]
    [InlineData("POST", "127.0.0.1:/drain")]
    [InlineData("DELETE", "fe80::1:5432")]
    [InlineData("DELETE", "%5B::1%5D::5")]
    public async Task A_worker_address_in_a_path_that_is_not_one_is_400(string method, string path)
    {
        using var admin = plain.Client(Users.New("ops"), "admin");

        using var response = await admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"/admin/cluster/workers/{path}"), Ct);

        Assert.Contains("[IPv6 address]:port", await response.Content.ReadAsStringAsync(Ct));
        await DialogsApiContract.AssertProblem(response, 400);
    }

    /// <summary>Every answer an operation can give, so that a client generated from the document expects each one.</summary>
    [Theory]
    [InlineData("/admin/cluster", "get", "200")]
    [InlineData("/admin/cluster/workers", "post", "200 400 408 413 415 422")]
    [InlineData("/admin/cluster/workers/{address}/drain", "post", "200 202 400 404")]
    [InlineData("/admin/cluster/workers/{address}", "delete", "204 400 404")]
    [InlineData("/admin/cluster/rebalance", "post", "200 202")]
    [InlineData("/admin/cluster/rebalance", "get", "200 404")]
    [InlineData("/admin/cluster/rebalance/{jobId}", "get", "200 404")]
    public async Task The_OpenAPI_document_lists_every_status_an_admin_operation_answers_with(string path, string method, string statuses)
    {
        using var client = plain.Client();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct)).RootElement;

        var responses = document.GetProperty("paths").GetProperty(path).GetProperty(method).GetProperty("responses");

        // Every admin operation: no token, no admin role, not a Citus cluster, and the server's own errors.
        var expected = statuses.Split(' ').Concat(["401", "403", "409", "500", "503"]).Order();
        Assert.Equal(expected, responses.EnumerateObject().Select(response => response.Name).Order());
        Assert.All(responses.EnumerateObject().Where(response => response.Name[0] is '4' or '5'),
            error => Assert.True(error.Value.GetProperty("content").TryGetProperty("application/problem+json", out _), error.Name));
    }

    [Fact]
    public async Task The_OpenAPI_document_names_every_operation_gives_a_user_id_s_rule_and_asks_a_new_worker_only_for_its_host()
    {
        using var client = plain.Client();
        var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct)).RootElement;

        // Client generators name their methods after operation ids, and need one for each operation.
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject(), (path, operation) => (Where: $"{operation.Name} {path.Name}", operation.Value))
            .ToList();
        Assert.All(operations, operation => Assert.True(operation.Value.TryGetProperty("operationId", out _), operation.Where));
        Assert.Equal(operations.Count, operations.Select(operation => operation.Value.GetProperty("operationId").GetString()).Distinct().Count());

        // A peer's id says what it may be, as a 400 would.
        Assert.All(operations.Where(operation => operation.Where.Contains("{user_id}")), operation =>
        {
            var userId = operation.Value.GetProperty("parameters").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "user_id");
            Assert.Equal(UserId.Pattern, userId.GetProperty("schema").GetProperty("pattern").GetString());
            Assert.Equal(UserId.MaxLength, userId.GetProperty("schema").GetProperty("maxLength").GetInt32());
        });

        // The port may be left out: 5432, as for a host given alone in a path.
        var body = document.GetProperty("paths").GetProperty("/admin/cluster/workers").GetProperty("post")
            .GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal(["host"], body.GetProperty("required").EnumerateArray().Select(name => name.GetString()));
    }

    [Fact]
    public async Task The_status_lists_the_coordinator_and_both_workers_reachable_with_every_shard()
    {
        using var admin = citus.Client(Users.New("ops"), "admin");

        var status = JsonDocument.Parse(await admin.GetStringAsync("/admin/cluster", Ct)).RootElement;

        var nodes = status.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(3, nodes.Count);
        Assert.Single(nodes, node => node.GetProperty("is_coordinator").GetBoolean());
        Assert.Equal(CitusCluster.ShardCount, nodes.Sum(node => node.GetProperty("shards").GetInt32()));
        Assert.All(nodes.Where(node => !node.GetProperty("is_coordinator").GetBoolean()),
            worker => Assert.True(worker.GetProperty("shards").GetInt32() > 0));
        Assert.All(nodes, node => Assert.True(node.GetProperty("reachable").GetBoolean()));
    }

    [Fact]
    public async Task The_coordinators_address_is_no_worker_to_drain_or_remove_and_is_named_as_what_it_is()
    {
        using var admin = citus.Client(Users.New("ops"), "admin");
        var coordinator = citus.Cluster.Coordinator.Address;

        using var drain = await admin.PostAsync($"/admin/cluster/workers/{coordinator}/drain", null, Ct);
        using var remove = await admin.DeleteAsync($"/admin/cluster/workers/{coordinator}", Ct);

        foreach (var refused in (HttpResponseMessage[])[drain, remove])
        {
            Assert.Equal($"{coordinator} is the coordinator, not a worker: it is neither drained nor removed, since the cluster cannot do without it.",
                (await DialogsApiContract.AssertProblem(refused, 404)).GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task HEAD_answers_as_GET_does_and_only_for_the_admin_role()
    {
        using var admin = citus.Client(Users.New("ops"), "admin");
        using var user = citus.Client(Users.New());

        using var overview = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/admin/cluster"), Ct);
        using var refused = await user.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/admin/cluster"), Ct);
        using var noSuchJob = await admin.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/admin/cluster/rebalance/999999"), Ct);

        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
        Assert.True(overview.Headers.CacheControl?.NoStore);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noSuchJob.StatusCode);
    }

    [Fact]
    public async Task Registering_a_registered_worker_again_changes_nothing()
    {
        using var admin = citus.Client(Users.New("ops"), "admin");
        var worker = citus.Cluster.Workers[0];
        var before = await NodesAsync(admin);

        using var response = await admin.PostAsJsonAsync("/admin/cluster/workers", new { host = "127.0.0.1", port = worker.Port }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var added = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal(worker.Address, added.GetProperty("address").GetString());
        Assert.Equal(before, await NodesAsync(admin));
    }

    // Ids and addresses; not sizes, which other tests change while they send, nor shard counts, which one moves.
    private static async Task<string> NodesAsync(HttpClient admin) => string.Join('|',
        JsonDocument.Parse(await admin.GetStringAsync("/admin/cluster", Ct)).RootElement.GetProperty("nodes").EnumerateArray()
            .Select(node => $"{node.GetProperty("node_id")} {node.GetProperty("address")}"));
}
