using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>A plain "Healthy" for probes; an unhealthy report is a 503 ProblemDetails that says which check failed.</summary>
internal static class HealthResponse
{
    private const string RetryAfterSeconds = "5";

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        if (report.Status != HealthStatus.Unhealthy)
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync(report.Status.ToString());
        }

        var failing = report.Entries
            .Where(entry => entry.Value.Status == HealthStatus.Unhealthy)
            .Select(entry => $"{entry.Key}: {entry.Value.Description ?? "unhealthy"}");
        context.Response.Headers.RetryAfter = RetryAfterSeconds;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails =
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Service unavailable",
                Detail = string.Join("; ", failing),
            },
        }).AsTask();
    }
}
