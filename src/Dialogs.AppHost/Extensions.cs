using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Dialogs.AppHost;

internal static class Extensions
{
    // Pinned: 13.2.0 is Citus 13.2 on PostgreSQL 17.6. "latest" is Citus 14 on PostgreSQL 18, which keeps its data
    // in another directory.
    private const string CitusImage = "citusdata/citus";
    private const string CitusImageTag = "13.2.0";

    // PostgreSQL 17's data directory. Not WithDataVolume(): it picks the path from the image tag it sees when called.
    private const string CitusDataDirectory = "/var/lib/postgresql/data";

    // On the container network every node is reachable by its resource name, on PostgreSQL's own port.
    private const int CitusPort = 5432;

    // AddPostgres's superuser, which Citus also uses for its connections between nodes.
    private const string CitusUser = "postgres";

    private const string TokenIssuer = "dialogs-apphost";
    private const string TokenAudience = "dialogs";
    private const string BearerSection = "Authentication__Schemes__Bearer__";

    // The same on every node. Online shard moves replicate logically: wal_level=logical, replication slots and WAL
    // senders on the source, apply workers on the target, background workers for the rebalancer. A node that does
    // not answer fails a Citus connection after 5 s instead of 30. Connections as on the local nodes: the image's 100
    // would not hold even one API instance's pool (Npgsql's default 100) beside the migrator, and each coordinator
    // backend that routes a query opens a connection to its worker.
    private static readonly string[] CitusSettings =
    [
        "-c", "max_connections=300",
        "-c", "wal_level=logical",
        "-c", "max_replication_slots=20",
        "-c", "max_wal_senders=20",
        "-c", "max_worker_processes=20",
        "-c", "max_logical_replication_workers=8",
        "-c", "citus.node_connection_timeout=5000",
    ];

    /// <summary>A Citus node (coordinator or worker) from the official image, with its data in a named volume.</summary>
    public static IResourceBuilder<PostgresServerResource> AddCitusNode(this IDistributedApplicationBuilder builder,
        string name, IResourceBuilder<ParameterResource> password)
    {
        var node = builder.AddPostgres(name, password: password)
            .WithImage(CitusImage, CitusImageTag)
            .WithArgs(CitusSettings)
            // Citus opens libpq connections to the other nodes (and to itself) as PGUSER with PGPASSWORD; the image
            // keeps PGPASSWORD in the server's environment for that, and Aspire's PostgreSQL requires passwords.
            .WithEnvironment("PGUSER", CitusUser)
            .WithEnvironment("PGPASSWORD", password);
        return node.WithVolume(VolumeNameGenerator.Generate(node, "data"), CitusDataDirectory);
    }

    /// <summary>
    /// Gives the migrator the cluster to build, with the addresses the coordinator container resolves (resource name
    /// and port 5432), never the host's localhost:port: citus_add_node runs inside the coordinator, and the workers
    /// connect back to it. The migrator starts once every node is healthy.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithCitusCluster(this IResourceBuilder<ProjectResource> migrator,
        IResourceBuilder<PostgresServerResource> coordinator, IReadOnlyList<IResourceBuilder<PostgresServerResource>> workers)
    {
        migrator.WaitFor(coordinator).WithEnvironment("Citus__CoordinatorHost", ContainerAddress(coordinator));
        for (var i = 0; i < workers.Count; i++)
        {
            migrator.WaitFor(workers[i]).WithEnvironment($"Citus__Workers__{i}", ContainerAddress(workers[i]));
        }

        if (migrator.ApplicationBuilder.Configuration["Citus:ShardCount"] is { Length: > 0 } shardCount)
        {
            migrator.WithEnvironment("Citus__ShardCount", shardCount);
        }

        return migrator;
    }

    /// <summary>Makes the API accept the HS256 tokens signed with <paramref name="signingKey"/> (base64).</summary>
    public static IResourceBuilder<ProjectResource> WithBearerTokens(this IResourceBuilder<ProjectResource> api,
        IResourceBuilder<ParameterResource> signingKey) =>
        api.WithEnvironment($"{BearerSection}ValidIssuer", TokenIssuer)
            .WithEnvironment($"{BearerSection}ValidAudiences__0", TokenAudience)
            .WithEnvironment($"{BearerSection}SigningKeys__0__Issuer", TokenIssuer)
            .WithEnvironment($"{BearerSection}SigningKeys__0__Value", signingKey);

    /// <summary>
    /// Dashboard buttons on the API for the resharding demo: register the standby worker, start an online
    /// rebalance, show the cluster. They call the API's admin endpoints with a short-lived admin token, so the
    /// cluster logic stays in the API.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithClusterCommands(this IResourceBuilder<ProjectResource> api,
        IResourceBuilder<PostgresServerResource> standbyWorker, IResourceBuilder<ParameterResource> signingKey)
    {
        var worker = new WorkerNode(standbyWorker.Resource.Name, CitusPort);
        return api
            .WithHttpCommand("/admin/cluster/workers", $"Add {worker.Host}", endpointName: "http",
                commandName: "add-worker", commandOptions: new HttpCommandOptions
                {
                    Method = HttpMethod.Post,
                    Description = $"Registers {worker.Host} with the coordinator (citus_add_node). "
                        + $"Start {worker.Host} first and wait until it is healthy.",
                    IconName = "AddCircle",
                    PrepareRequest = async context =>
                    {
                        await AuthorizeAsAdminAsync(context, signingKey.Resource);
                        context.Request.Content = JsonContent.Create(worker);
                    },
                    GetCommandResult = ToCommandResultAsync,
                })
            .WithHttpCommand("/admin/cluster/rebalance", "Rebalance shards", endpointName: "http",
                commandName: "rebalance", commandOptions: new HttpCommandOptions
                {
                    Method = HttpMethod.Post,
                    Description = "Starts an online rebalance (citus_rebalance_start): shard groups move to the "
                        + "emptiest nodes while the API keeps serving.",
                    ConfirmationMessage = "Start moving shards between the workers now?",
                    IconName = "ArrowSync",
                    PrepareRequest = context => AuthorizeAsAdminAsync(context, signingKey.Resource),
                    GetCommandResult = ToCommandResultAsync,
                })
            .WithHttpCommand("/admin/cluster", "Cluster status", endpointName: "http",
                commandName: "cluster-status", commandOptions: new HttpCommandOptions
                {
                    Method = HttpMethod.Get,
                    Description = "Shows the nodes, where the shards are and the rebalance in progress.",
                    IconName = "Info",
                    PrepareRequest = context => AuthorizeAsAdminAsync(context, signingKey.Resource),
                    GetCommandResult = ToCommandResultAsync,
                });
    }

    private static string ContainerAddress(IResourceBuilder<PostgresServerResource> node) =>
        $"{node.Resource.Name}:{CitusPort}";

    private static async Task AuthorizeAsAdminAsync(HttpCommandRequestContext context, ParameterResource signingKey)
    {
        var key = await signingKey.GetValueAsync(context.CancellationToken)
            ?? throw new InvalidOperationException($"Parameter '{signingKey.Name}' has no value.");
        context.Request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CreateAdminToken(key));
    }

    // A five-minute HS256 JWT for role "admin", signed with the key the API trusts.
    private static string CreateAdminToken(string base64Key)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64UrlJson(new { alg = "HS256", typ = "JWT" });
        var payload = Base64UrlJson(new
        {
            sub = TokenIssuer,
            role = "admin",
            iss = TokenIssuer,
            aud = TokenAudience,
            iat = now,
            nbf = now,
            exp = now + 300,
        });
        var signature = HMACSHA256.HashData(Convert.FromBase64String(base64Key), Encoding.ASCII.GetBytes($"{header}.{payload}"));
        return $"{header}.{payload}.{Base64Url.EncodeToString(signature)}";
    }

    private static string Base64UrlJson<T>(T value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));

    // Shows the API's answer in the dashboard: its JSON on success, the status and problem details on failure.
    private static async Task<ExecuteCommandResult> ToCommandResultAsync(HttpCommandResultContext context)
    {
        var response = context.Response;
        var body = await response.Content.ReadAsStringAsync(context.CancellationToken);
        var status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
        if (!response.IsSuccessStatusCode)
        {
            return CommandResults.Failure($"{status}: {body}");
        }

        var format = response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true
            ? CommandResultFormat.Json
            : CommandResultFormat.Text;
        return body.Length == 0 ? CommandResults.Success(status) : CommandResults.Success(status, body, format);
    }

    // The body of POST /admin/cluster/workers: {"host":"citus-worker-2","port":5432}.
    private sealed record WorkerNode(string Host, int Port);
}
