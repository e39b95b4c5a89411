using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Every error is RFC 9457 ProblemDetails; server errors and 429 also carry the members that clients of the base
/// contract read (message, request_id, code), so both kinds of client understand one body.
/// </summary>
public static class ProblemDetailsDefaults
{
    /// <summary>The base contract's members of a server error's body: what went wrong, the request's id, the status.</summary>
    public const string MessageMember = "message", RequestIdMember = "request_id", CodeMember = "code";

    public static IServiceCollection AddContractProblemDetails(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            // An error answers one request at one moment, and may name what it concerns (a 422 the stored message's
            // id): no cache, a browser's or a proxy's, keeps it, as none keeps a dialog's answers. A 404 or 405 a cache
            // may otherwise keep without being told (RFC 9110, 15.1).
            context.HttpContext.Response.Headers.CacheControl = "no-store";
            var problem = context.ProblemDetails;
            problem.Detail ??= RoutingDetail(context.HttpContext.Request, problem.Status);
            // ASP.NET Core links 422 to WebDAV's RFC 4918, which HTTP itself has defined since RFC 9110, and 429 to
            // nothing: RFC 6585 defines it.
            problem.Type = problem.Status switch
            {
                StatusCodes.Status422UnprocessableEntity => "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                StatusCodes.Status429TooManyRequests => "https://tools.ietf.org/html/rfc6585#section-4",
                _ => problem.Type,
            };

            if (!CarriesBaseContractMembers(problem.Status))
            {
                return;
            }

            problem.Extensions[MessageMember] = problem.Detail ?? problem.Title;
            problem.Extensions[RequestIdMember] = RequestId(context.HttpContext);
            problem.Extensions[CodeMember] = problem.Status;
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProblemDetailsWriter, AnyAcceptProblemWriter>());
        return services;
    }

    /// <summary>
    /// Server errors, which the base contract defines with these members, and 429, which it does not know: its clients
    /// then read a refused send as they read a 503, with something to show.
    /// </summary>
    public static bool CarriesBaseContractMembers(int? status) =>
        status is >= StatusCodes.Status500InternalServerError or StatusCodes.Status429TooManyRequests;

    /// <summary>What routing's answers, which come without a detail, mean for the request.</summary>
    private static string? RoutingDetail(HttpRequest request, int? status) => status switch
    {
        StatusCodes.Status404NotFound => $"Nothing is served at {Target(request)}.",
        StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not served at {Target(request)}; the Allow header lists the methods that are.",
        _ => null,
    };

    /// <summary>The request's path; only `OPTIONS *`, which asks about the server as a whole, has none.</summary>
    private static string Target(HttpRequest request) => request.Path.HasValue ? request.Path.Value! : "*";

    /// <summary>
    /// This request's own id: where a trace is kept, its trace id and the server span's, so that a reported id leads
    /// straight to the trace and to the request in it (a client's retries, and any caller's requests, may share one
    /// trace, whose id the caller chooses); else the server's id for the request.
    /// </summary>
    private static string RequestId(HttpContext context) =>
        Activity.Current is { } request ? $"{request.TraceId.ToHexString()}-{request.SpanId.ToHexString()}" : context.TraceIdentifier;
}
