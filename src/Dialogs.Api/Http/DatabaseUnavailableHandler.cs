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
    // same reason. A kind of fault (KindOf: which node, which failure) is logged when it first comes, then as a count
    // each second while it keeps coming, the last count when it stops; the metrics (dialogs.db.failures) count every
    // one. A kind is kept while it comes, and a second after.
    private readonly ConcurrentDictionary<string, LoggedKind> _logged = new();
    internal const int MaxKinds = 256;

    /// <summary>The member of a send's 503 that says the message may have been stored.</summary>
    public const string OutcomeMember = "outcome";
    public const string UnknownOutcome = "unknown";

    // A worker found unreachable is refused for this long (its circuit); a retry sooner would only be refused again.
    private static readonly string RetryAfterSeconds = Seconds(WorkerCircuit.OpenFor);

    /// <summary>
    /// Where the database refuses the work until a person acts (<see cref="DatabaseErrors.WaitsForSomeone"/>), which
    /// takes minutes: every client coming back every 2 s would only be refused again, each time by the database.
    /// </summary>
    private static readonly string OperatorRetryAfterSeconds = Seconds(TimeSpan.FromSeconds(30));

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!DatabaseErrors.IsTransient(exception) && !DatabaseErrors.NeedsOperator(exception))
        {
            return false;
        }

        LogThrottled(exception);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = DatabaseErrors.WaitsForSomeone(exception) ? OperatorRetryAfterSeconds : RetryAfterSeconds;
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
        // Not a schema the migrator is about to apply: a deployment's order, which passes within seconds.
        if (DatabaseErrors.NeedsOperator(exception) && !DatabaseErrors.IsSchemaMissing(exception))
        {
            // Not a node out of reach: retrying changes nothing until someone changes the database.
            problem.ProblemDetails.Detail = "The database refused this request in the state it is in (a node read-only, "
                + "or a privilege or login the service lacks); the service's log says which. Retry once that is put right.";
        }
        else if (IsClusterChange(context.Request) && exception is PostgresException ended && EndedSessions.Ended(ended))
        {
            // No node out of reach: the coordinator ended the session midway (a restart, an operator), and what ran
            // before it stands; or ended it twice while the change waited its turn, and nothing ran.
            problem.ProblemDetails.Detail = "The coordinator ended the session this change ran on (a restart, or an operator), "
                + $"so it may have been made in part, or not at all. GET {AdminApi.Prefix} shows the cluster as it is now; retry the change if it still needs making.";
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
                    ? $"This dialog already had {refused.Crowd} in progress"
                    : "The database shard that holds this dialog was busy with other requests")
                + $", and this request got no turn within {StoreBulkhead.TurnTimeout.TotalSeconds:0} s. It was not tried, so nothing was stored. Retry later.";
        }

        return await problems.TryWriteAsync(problem);
    }

    private static bool IsClusterChange(HttpRequest request) =>
        request.Path.StartsWithSegments(AdminApi.Prefix) && !AdminApi.IsRead(request);

    private void LogThrottled(Exception fault)
    {
        var kind = _logged.GetOrAdd(KindOf(fault), key => new LoggedKind(key));
        lock (kind)
        {
            if (kind.Window is not null)
            {
                kind.Unlogged++;
                kind.LastReason = fault.Message;
                return;
            }

            kind.Window = OpenWindow(kind);
        }

        LogUnavailable(logger, fault.Message);
    }

    /// <summary>
    /// Its SQLSTATE or type with its message, which names the node and the failure; but a dialog's own crowd, whose
    /// message names the dialog, is one kind for every dialog, and past <see cref="MaxKinds"/> live kinds (a burst of
    /// messages unforeseen) the SQLSTATE or type alone.
    /// </summary>
    private string KindOf(Exception fault)
    {
        var code = fault is PostgresException postgres ? postgres.SqlState : fault.GetType().Name;
        return fault is NoTurnException { AtDialog: true } || _logged.Count >= MaxKinds ? code : $"{code} {fault.Message}";
    }

    private ITimer OpenWindow(LoggedKind kind)
    {
        // Without the refused request's context: a count line would carry its trace and log scopes, for as long as the
        // fault lasts. (SuppressFlow refuses where the flow is suppressed already.)
        AsyncFlowControl? suppressed = ExecutionContext.IsFlowSuppressed() ? null : ExecutionContext.SuppressFlow();
        try
        {
            return time.CreateTimer(_ => CloseWindow(kind), null, LogInterval, Timeout.InfiniteTimeSpan);
        }
        finally
        {
            suppressed?.Undo();
        }
    }

    /// <summary>Logs how many came in the window ending now; while they keep coming, the next window opens.</summary>
    private void CloseWindow(LoggedKind kind)
    {
        int unlogged;
        string? reason;
        lock (kind)
        {
            kind.Window?.Dispose();
            (unlogged, reason, kind.Unlogged, kind.LastReason) = (kind.Unlogged, kind.LastReason, 0, null);
            kind.Window = unlogged > 0 ? OpenWindow(kind) : null;
            if (kind.Window is null)
            {
                // Over: forgotten, so that only the kinds of the last second are kept. (One that comes again meanwhile,
                // on this instance, opens its own window; at worst its first line is logged twice.)
                _logged.TryRemove(new KeyValuePair<string, LoggedKind>(kind.Key, kind));
            }
        }

        if (unlogged > 0)
        {
            LogStillUnavailable(logger, unlogged, reason!);
        }
    }

    private sealed class LoggedKind(string key)
    {
        public string Key { get; } = key;

        /// <summary>Open for a second after a line of this kind, while more of it are counted rather than logged.</summary>
        public ITimer? Window;
        public int Unlogged;
        public string? LastReason;
    }

    private static string Seconds(TimeSpan wait) => Math.Ceiling(wait.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable, answering 503: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable: {Count} more 503s of this kind in the last second, the last: {Reason}")]
    private static partial void LogStillUnavailable(ILogger logger, int count, string reason);
}
