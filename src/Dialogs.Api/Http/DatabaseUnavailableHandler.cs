using System.Collections.Concurrent;
using Dialogs.Api.Storage;
using Dialogs.Cluster;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;

namespace Dialogs.Api.Http;

/// <summary>
/// An infrastructure fault that outlived the store's retries, or a database that refuses the work until an operator
/// acts (its schema not applied yet, a node read-only, a privilege taken away), is a 503
/// with Retry-After: the client may try again. A send that may have been stored all the same says so: only a retry
/// with its Idempotency-Key is then sure not to store it twice. Anything else falls through to the default handler: a
/// 500 ProblemDetails without internals.
/// </summary>
public sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, TimeProvider time, ILogger<DatabaseUnavailableHandler> logger)
    : IExceptionHandler
{
    /// <summary>How often one kind of fault is logged at most.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(1);

    // A fault refuses every request it touches: a worker's outage under load is thousands of 503s a minute, each for the
    // same reason. Each kind (its SQLSTATE, or its exception's type: a few dozen at most) is logged once a second, with
    // how many of its kind the line before stood for; the metrics (dialogs.db.failures) count every one.
    private readonly ConcurrentDictionary<string, LoggedKind> _logged = new();

    /// <summary>The member of a send's 503 that says the message may have been stored.</summary>
    public const string OutcomeMember = "outcome";
    public const string UnknownOutcome = "unknown";

    // A worker found unreachable is refused for this long (its circuit); a retry sooner would only be refused again.
    private static readonly string RetryAfterSeconds =
        Math.Ceiling(WorkerCircuit.OpenFor.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Where the database refuses the work until someone acts (a node read-only, a privilege taken away), which takes
    /// minutes: every client coming back every 2 s would only be refused again, each time by the database.
    /// </summary>
    public static readonly TimeSpan OperatorRetryAfter = TimeSpan.FromSeconds(30);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!DatabaseErrors.IsTransient(exception) && !DatabaseErrors.NeedsOperator(exception))
        {
            return false;
        }

        LogThrottled(exception);
        // Not a schema the migrator is about to apply: a deployment's order, which passes within seconds.
        var needsOperator = DatabaseErrors.NeedsOperator(exception) && !DatabaseErrors.IsSchemaMissing(exception);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = needsOperator ? $"{OperatorRetryAfter.TotalSeconds:0}" : RetryAfterSeconds;
        var problem = new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                // Not "for this dialog": the admin endpoints answer this too, when a node they need is down.
                Detail = "The database is temporarily unavailable for this request. Retry later.",
            },
        };
        if (needsOperator)
        {
            // Not a node out of reach: retrying changes nothing until someone changes the database.
            problem.ProblemDetails.Detail = "The database refused this request in the state it is in (a node read-only, "
                + "or a privilege or login the service lacks); the service's log says which. Retry once that is put right.";
        }
        else if (IsClusterChange(context.Request) && exception is PostgresException ended && EndedSessions.Ended(ended))
        {
            // No node out of reach: the coordinator ended the session midway (a restart, an operator), and what ran
            // before it stands.
            problem.ProblemDetails.Detail = "The coordinator ended the session this change ran on (a restart, or an operator), "
                + $"so it may have been made in part. GET {AdminApi.Prefix} shows the cluster as it is now; retry the change if it still needs making.";
        }
        else if (IsClusterChange(context.Request))
        {
            // An operator's change reaches every worker: it fails for one that is down or hangs, which the status names.
            problem.ProblemDetails.Detail = "A node this change needs could not be reached. Retry later; "
                + $"GET {AdminApi.Prefix} shows each node as the coordinator reaches it (reachable).";
        }
        else if (exception is SendOutcomeUnknownException)
        {
            // Still a 503, as the contract has it for a database fault, but one a blind retry could turn into a
            // second copy of the message: said in words, and in a member a client can test.
            problem.ProblemDetails.Detail = "The database stopped answering after it received this message, so it may "
                + $"have been stored. A retry with the same {DialogsApi.IdempotencyKeyHeader} returns it if it was; "
                + "without one, read the dialog before sending it again.";
            problem.ProblemDetails.Extensions[OutcomeMember] = UnknownOutcome;
        }
        else if (exception is NoTurnException refused)
        {
            // Not tried at all: the client learns it may retry as it likes, and whether its own requests were the crowd.
            problem.ProblemDetails.Detail = (refused.AtDialog
                    ? $"This dialog already had {StoreBulkhead.DialogShare} requests in progress"
                    : "The database shard that holds this dialog was busy with other requests")
                + $", and this request got no turn within {StoreBulkhead.TurnTimeout.TotalSeconds:0} s. It was not tried, so nothing was stored. Retry later.";
        }

        return await problems.TryWriteAsync(problem);
    }

    private static bool IsClusterChange(HttpRequest request) =>
        request.Path.StartsWithSegments(AdminApi.Prefix) && !AdminApi.IsRead(request);

    private void LogThrottled(Exception fault)
    {
        var kind = _logged.GetOrAdd(fault is PostgresException postgres ? postgres.SqlState : fault.GetType().Name, _ => new LoggedKind());
        int unlogged;
        lock (kind)
        {
            if (kind.At is { } at && time.GetElapsedTime(at) < LogInterval)
            {
                kind.Unlogged++;
                return;
            }

            (kind.At, unlogged, kind.Unlogged) = (time.GetTimestamp(), kind.Unlogged, 0);
        }

        LogUnavailable(logger, fault.Message, unlogged);
    }

    private sealed class LoggedKind
    {
        public long? At;
        public int Unlogged;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable, answering 503: {Reason} (and {Unlogged} more of this kind since its line before)")]
    private static partial void LogUnavailable(ILogger logger, string reason, int unlogged);
}
