using Dialogs.Api.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Dialogs.Api.Http;

/// <summary>
/// An infrastructure fault that outlived the store's retries, or a database whose schema is not applied yet, is a 503
/// with Retry-After: the client may try again and the send is idempotent. Anything else falls through to the default
/// handler: a 500 ProblemDetails without internals.
/// </summary>
public sealed partial class DatabaseUnavailableHandler(IProblemDetailsService problems, ILogger<DatabaseUnavailableHandler> logger)
    : IExceptionHandler
{
    // A worker found unreachable is refused for this long (its circuit); a retry sooner would only be refused again.
    private static readonly string RetryAfterSeconds =
        Math.Ceiling(WorkerCircuit.OpenFor.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!DatabaseErrors.IsTransient(exception) && !DatabaseErrors.IsSchemaMissing(exception))
        {
            return false;
        }

        LogUnavailable(logger, exception.Message);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        return await problems.TryWriteAsync(new ProblemDetailsContext
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
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable, answering 503: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
