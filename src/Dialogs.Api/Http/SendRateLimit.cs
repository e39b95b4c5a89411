using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Dialogs.Api.Http;

/// <summary>
/// How fast one user may send: <see cref="SendRateLimitOptions.Burst"/> send requests at once, then
/// <see cref="SendRateLimitOptions.PerSecond"/> a second (a token bucket per sender, refilled as time passes: at 10 a
/// second, one every tenth of a second). Without it one account could send as fast as the service takes it, to any
/// id, and fill the database. A send beyond it gets 429 with Retry-After before anything is read or stored; every
/// send request counts, refused and repeated ones too; reading is not limited.
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

        // Sending requires a signed-in user (the rate limiter runs after authorization). By the user id, not the claim
        // as written: a UUID names one user in either case, and its spellings would each have had an allowance.
        public RateLimitPartition<string> GetPartition(HttpContext context) =>
            RateLimitPartition.GetTokenBucketLimiter(BearerAuthentication.SignedInUser(context.User).Value, _ => _bucket);

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
                    Title = "Too many send requests",
                    // Every send request counts, a refused or repeated one too: it is the requests the limit holds back.
                    Detail = $"One user may make {_bucket.TokenLimit} send requests at once and {_bucket.TokensPerPeriod} a second after that. "
                        + $"This one was not tried, so nothing was stored; send it again in {seconds} s.",
                },
            });
        }
    }
}

/// <summary>The <c>RateLimits:Sends</c> section: see <see cref="SendRateLimit"/>.</summary>
public sealed class SendRateLimitOptions
{
    public const string Section = "RateLimits:Sends";

    /// <summary>Send requests one user may make at once, after a pause.</summary>
    [Range(1, 1_000_000, ErrorMessage = $"{Section}:{nameof(Burst)} must be between {{1}} and {{2}}.")]
    public int Burst { get; set; } = 60;

    /// <summary>Send requests one user may make each second, sustained.</summary>
    [Range(1, 1_000_000, ErrorMessage = $"{Section}:{nameof(PerSecond)} must be between {{1}} and {{2}}.")]
    public int PerSecond { get; set; } = 10;
}
