using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Writes an error's problem whatever the request's Accept names. The services answer JSON to any Accept (RFC 9110
/// lets a server disregard Accept rather than refuse), but the framework's writer writes a problem only for an Accept
/// that admits JSON: a 503 went out empty, without the contract's members, and a 401 or 404 as plain text. Registered
/// after that writer, so it writes only what that one declines, and as it does: status, type and title, the trace id, then
/// the contract's customization (<see cref="ProblemDetailsDefaults"/>).
/// </summary>
internal sealed class AnyAcceptProblemWriter(IOptions<ProblemDetailsOptions> problems, IOptions<JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var (http, problem) = (context.HttpContext, context.ProblemDetails);
        problem.Status ??= http.Response.StatusCode;
        // The framework's defaults for the status, its type link and title, which it applies only as its problem result is
        // made (the helper that does it is internal). Made and dropped: executed, it would write through the problem
        // details service, and so come back to this writer.
        _ = TypedResults.Problem(problem);
        var options = json.Value.SerializerOptions;
        problem.Extensions[options.PropertyNamingPolicy?.ConvertName("traceId") ?? "traceId"] = Activity.Current?.Id ?? http.TraceIdentifier;
        problems.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(http.Response.WriteAsJsonAsync(problem, options.GetTypeInfo(problem.GetType()),
            contentType: "application/problem+json"));
    }
}
