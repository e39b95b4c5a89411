using System.Text.Json.Serialization;
using Dialogs.Api.Telemetry;
using Dialogs.Cluster;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Dialogs.Api.Http;

/// <summary>
/// Growing the cluster over HTTP, for tokens with the admin role: the same operations as `dialogs-migrator cluster ...`
/// (<see cref="ClusterOperations"/>). Jobs run in the background inside Citus; these endpoints start and report them.
/// </summary>
public static class AdminApi
{
    public const string Prefix = "/admin/cluster";

    private const int MaxBodyBytes = 4 * 1024;
    private const string WorkerShape = """{"host": "name", "port": 5432}""";

    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup(Prefix)
            .WithTags("Cluster administration")
            .RequireAuthorization(BearerAuthentication.AdminPolicy)
            .AddEndpointFilter(RefuseWithoutCitus)
            .AddEndpointFilter(NotStored)
            .AddEndpointFilter(ReadAgainAfterEndedSession)
            // The typed results cannot declare these: a ProblemHttpResult carries whatever status its handler chose, and
            // authorization, RefuseWithoutCitus (409) and the exception handler answer from outside the handlers.
            .ProducesAuthenticatedServerProblems()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict);

        admin.MapGet("", GetOverviewAsync)
            .WithName("GetCluster")
            .WithSummary("Nodes, shards and bytes per node, the latest rebalance job, and each worker's latency over the last minute");
        admin.MapHead("", GetOverviewAsync);
        admin.MapPost("/workers", AddWorkerAsync)
            .WithName("AddWorker")
            .WithSummary("Register a worker (citus_add_node) once it has shown it can take online shard moves; registering it again changes nothing")
            .ReadsJsonBody<WorkerRequest>()
            .ProducesJsonBodyProblems()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        admin.MapPost("/workers/{address}/drain", DrainAsync)
            .WithName("DrainWorker")
            .WithSummary("Stop placing shards on a worker and move its shards away online")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/workers/{address}", RemoveAsync)
            .WithName("RemoveWorker")
            .WithSummary("Remove a drained worker")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/rebalance", StartRebalanceAsync)
            .WithName("StartRebalance")
            .WithSummary("Start an online rebalance (logical replication; writes pause briefly per shard at cutover)");
        admin.MapGet("/rebalance", GetLatestRebalanceAsync)
            .WithName("GetLatestRebalance")
            .WithSummary("The latest rebalance job with its progress")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapHead("/rebalance", GetLatestRebalanceAsync);
        admin.MapGet("/rebalance/{jobId:long}", GetRebalanceAsync)
            .WithName("GetRebalance")
            .WithSummary("A rebalance job with its progress")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapHead("/rebalance/{jobId:long}", GetRebalanceAsync);
        admin.MapDelete("/rebalance/{jobId:long}", CancelRebalanceAsync)
            .WithName("CancelRebalance")
            .WithSummary("Cancel a rebalance or drain job that is not over; the shards moved so far stay where they are")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    public static async Task<Ok<ClusterOverview>> GetOverviewAsync(ClusterOperations cluster, WorkerLatency latency, CancellationToken ct)
    {
        var status = await cluster.GetStatusAsync(ct);
        return TypedResults.Ok(new ClusterOverview(ClusterOverview.ThisInstance, status.Nodes, status.Rebalance, latency.LastMinute()));
    }

    public static async Task<Results<Ok<WorkerAdded>, ProblemHttpResult>> AddWorkerAsync(
        HttpRequest request, ClusterOperations cluster, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<WorkerRequest>(request, MaxBodyBytes, WorkerShape, ct);
        if (problem is not null)
        {
            return problem;
        }

        var errors = new Dictionary<string, string[]>();
        if (!NodeAddress.IsValidHost(body!.Host))
        {
            errors["host"] = [$"Give the worker as {WorkerShape}: its host name or IP address of 1..{NodeAddress.MaxHostLength} characters, as the coordinator reaches it."];
        }

        if (body.Port is < 1 or > 65535)
        {
            errors["port"] = [$"Give the worker as {WorkerShape}: its port from 1 to 65535 ({NodeAddress.DefaultPort} when left out)."];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var worker = new NodeAddress(body.Host!, body.Port ?? NodeAddress.DefaultPort);
        try
        {
            return TypedResults.Ok(new WorkerAdded(await cluster.AddWorkerAsync(worker, ct), worker.ToString()));
        }
        catch (WorkerNotReadyException e)
        {
            return Problems.Status(StatusCodes.Status422UnprocessableEntity, "The worker cannot join the cluster", e.Message);
        }
        catch (RebalanceAlreadyRunningException e)
        {
            return RebalanceRunning(e);
        }
    }

    public static Task<Results<Accepted<RebalanceStatus>, Ok<NothingToMove>, ProblemHttpResult>> StartRebalanceAsync(
        ClusterOperations cluster, CancellationToken ct) =>
        StartJobAsync(cluster.StartRebalanceAsync, cluster, ct);

    public static async Task<Results<Accepted<RebalanceStatus>, Ok<NothingToMove>, ProblemHttpResult>> DrainAsync(
        string address, ClusterOperations cluster, CancellationToken ct)
    {
        if (!TryParse(address, out var worker, out var invalid))
        {
            return invalid;
        }

        try
        {
            return await StartJobAsync(token => cluster.DrainWorkerAsync(worker, token), cluster, ct);
        }
        catch (UnknownWorkerException e)
        {
            return NoSuchWorker(e);
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveAsync(string address, ClusterOperations cluster, CancellationToken ct)
    {
        if (!TryParse(address, out var worker, out var invalid))
        {
            return invalid;
        }

        try
        {
            await cluster.RemoveWorkerAsync(worker, ct);
            return TypedResults.NoContent();
        }
        catch (UnknownWorkerException e)
        {
            return NoSuchWorker(e);
        }
        catch (RebalanceAlreadyRunningException e)
        {
            return RebalanceRunning(e);
        }
        catch (ClusterChangeRefusedException e)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "The worker cannot be removed",
                $"{e.Message} To drain it: POST {Prefix}/workers/{worker}/drain.");
        }
    }

    // Two handlers rather than one with an optional id: that one would also bind ?jobId= on /rebalance, an
    // undocumented second way to name a job, and answer a malformed one with the framework's bare 400.
    public static Task<Results<Ok<RebalanceStatus>, ProblemHttpResult>> GetLatestRebalanceAsync(
        ClusterOperations cluster, CancellationToken ct) =>
        RebalanceAsync(jobId: null, cluster, ct);

    public static Task<Results<Ok<RebalanceStatus>, ProblemHttpResult>> GetRebalanceAsync(
        long jobId, ClusterOperations cluster, CancellationToken ct) =>
        RebalanceAsync(jobId, cluster, ct);

    private static async Task<Results<Ok<RebalanceStatus>, ProblemHttpResult>> RebalanceAsync(
        long? jobId, ClusterOperations cluster, CancellationToken ct) =>
        await cluster.GetRebalanceAsync(jobId, ct) is { } status
            ? TypedResults.Ok(status)
            : Problems.Status(StatusCodes.Status404NotFound, "No such rebalance job",
                jobId is null ? "There is no rebalance job to report." : $"There is no rebalance job {jobId}.");

    /// <summary>202 with the job's status (cancelling, or cancelled already), 404 for no such job, 409 for one that is over.</summary>
    public static async Task<Results<Accepted<RebalanceStatus>, ProblemHttpResult>> CancelRebalanceAsync(
        long jobId, ClusterOperations cluster, CancellationToken ct)
    {
        try
        {
            return await cluster.CancelRebalanceAsync(jobId, ct) is { } status
                ? TypedResults.Accepted(JobLocation(jobId), status)
                : Problems.Status(StatusCodes.Status404NotFound, "No such rebalance job", $"There is no rebalance job {jobId}.");
        }
        catch (ClusterChangeRefusedException e)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "The job cannot be cancelled", e.Message);
        }
    }

    /// <summary>Starts a background job: 202 with its status, 200 when nothing needs moving, 409 while another runs.</summary>
    private static async Task<Results<Accepted<RebalanceStatus>, Ok<NothingToMove>, ProblemHttpResult>> StartJobAsync(
        Func<CancellationToken, Task<long?>> start, ClusterOperations cluster, CancellationToken ct)
    {
        try
        {
            return await start(ct) is { } job && await cluster.GetRebalanceAsync(job, ct) is { } status
                ? TypedResults.Accepted(JobLocation(job), status)
                : TypedResults.Ok(new NothingToMove("The shards are already where they should be: nothing to move."));
        }
        catch (RebalanceAlreadyRunningException e)
        {
            return RebalanceRunning(e);
        }
        catch (ClusterChangeRefusedException e)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "The job cannot start", e.Message);
        }
    }

    private static string JobLocation(long job) => $"{Prefix}/rebalance/{job}";

    private static ProblemHttpResult RebalanceRunning(RebalanceAlreadyRunningException e) =>
        Problems.Status(StatusCodes.Status409Conflict, "A rebalance is running", e.Message);

    private static ProblemHttpResult NoSuchWorker(UnknownWorkerException e) =>
        Problems.Status(StatusCodes.Status404NotFound, "No such worker", e.IsCoordinator ? e.Message : $"No worker is registered at {e.Worker}; GET {Prefix} lists the nodes.");

    private static bool TryParse(string address, out NodeAddress worker, out ProblemHttpResult invalid)
    {
        try
        {
            worker = NodeAddress.Parse(address);
            invalid = null!;
            return true;
        }
        catch (FormatException e)
        {
            worker = null!;
            invalid = Problems.Invalid("address", e.Message);
            return false;
        }
    }

    /// <summary>The cluster's state changes by the second, and what an operator sees of it is theirs alone (RFC 9111, 5.2.2.5).</summary>
    private static ValueTask<object?> NotStored(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        return next(context);
    }

    /// <summary>
    /// A read that met a pooled session the coordinator had ended (its idle timeout, a restart) is read again on another,
    /// as the store's requests are, instead of a 503 for a dashboard polling a quiet API. A change is not repeated: the
    /// statement that met the ended session may have followed others that took effect.
    /// </summary>
    private static async ValueTask<object?> ReadAgainAfterEndedSession(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        IsRead(context.HttpContext.Request)
            ? await EndedSessions.RetriedOnceAsync(() => next(context).AsTask())
            : await next(context);

    /// <summary>An admin request that changes nothing: a GET, or its HEAD.</summary>
    public static bool IsRead(HttpRequest request) => HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method);

    /// <summary>On plain PostgreSQL there is no cluster to administer: a clear 409, not a 500.</summary>
    private static async ValueTask<object?> RefuseWithoutCitus(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedFunction)
        {
            return Problems.Status(StatusCodes.Status409Conflict, "Not a Citus cluster",
                "The database has no Citus extension, so there are no nodes or shards to manage.");
        }
    }
}

/// <summary>The body of POST /admin/cluster/workers.</summary>
public sealed record WorkerRequest(
    [property: JsonPropertyName("host")] string? Host,
    // Optional: 5432 when left out, as for a host given alone in a path.
    [property: JsonPropertyName("port")] int? Port = null);

public sealed record WorkerAdded(int NodeId, string Address);

/// <summary>GET /admin/cluster: the cluster as Citus sees it, plus the store latency this API instance measured.</summary>
/// <param name="Instance">
/// The instance that answered, and measured the latency: behind a balancer, successive answers may come from different
/// ones, each with its own minute.
/// </param>
public sealed record ClusterOverview(string Instance, IReadOnlyList<NodeStatus> Nodes, RebalanceStatus? Rebalance,
    IReadOnlyList<WorkerLatencySummary> LatencyLastMinute)
{
    /// <summary>The host's name (a container's is its replica's) and the process id.</summary>
    public static readonly string ThisInstance = $"{Environment.MachineName}:{Environment.ProcessId}";
}

public sealed record NothingToMove(string Message);
