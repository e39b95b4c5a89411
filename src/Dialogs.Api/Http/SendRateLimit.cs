using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Dialogs.Api.Http;

/// <summary>
/// How fast one user may send: <see cref="SendRateLimitOptions.Burst"/> messages at once, then
/// <see cref="SendRateLimitOptions.PerSecond"/> a second (a token bucket per sender, refilled every second). Without it
/// one account could send as fast as the service takes it, to any id, and fill the database. A send beyond it gets
/// 429 with Retry-After before anything is read or stored; reading is not limited.
/// </summary>
public static class SendRateLimit
{
    public const string Policy = "sends";

    public static IHostApplicationBuilder AddSendRateLimit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SendRateLimitOptions>().BindConfiguration(SendRateLimitOptions.Section)
            .ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddRateLimiter(limiter => limiter.AddPolicy<string, SenderBuckets>(Policy));
        return builder;
    }

    private sealed class SenderBuckets(IOptions<SendRateLimitOptions> options) : IRateLimiterPolicy<string>
    {
        private readonly TokenBucketRateLimiterOptions _bucket = new()
        {
            TokenLimit = options.Value.Burst,
            TokensPerPeriod = options.Value.PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };

        public Func<OnRejectedContext, CancellationToken, ValueTask> OnRejected => RefuseAsync;

        // Sending requires a signed-in user (the rate limiter runs after authorization), whose subject authentication
        // has checked to be a user id.
        public RateLimitPartition<string> GetPartition(HttpContext context) =>
            RateLimitPartition.GetTokenBucketLimiter(context.User.FindFirstValue(BearerAuthentication.SubjectClaim)!, _ => _bucket);

        private async ValueTask RefuseAsync(OnRejectedContext rejected, CancellationToken ct)
        {
            var context = rejected.HttpContext;
            var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : _bucket.ReplenishmentPeriod;
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status429TooManyRequests,
                    Title = "Too many messages",
                    Detail = $"You may send {_bucket.TokenLimit} messages at once and {_bucket.TokensPerPeriod} a second after that. "
                        + $"This one was not stored; send it again in {seconds} s.",
                },
            });
        }
    }
}

/// <summary>The <c>RateLimits:Sends</c> section: see <see cref="SendRateLimit"/>.</summary>
public sealed class SendRateLimitOptions
{
    public const string Section = "RateLimits:Sends";

    /// <summary>Messages one user may send at once, after a pause.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 60;

    /// <summary>Messages one user may send each second, sustained.</summary>
    [Range(1, 1_000_000)]
    public int PerSecond { get; set; } = 10;
}
