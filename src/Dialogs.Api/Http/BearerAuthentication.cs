using System.Globalization;
using System.Security.Claims;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dialogs.Api.Http;

public static class BearerAuthentication
{
    public const string AdminPolicy = "admin";
    public const string AdminRole = "admin";
    public const string SubjectClaim = "sub";
    public const string RoleClaim = "role";

    /// <summary>The signed-in user: authentication lets only a token whose subject is a user id through (<see cref="RefuseUnusableTokens"/>).</summary>
    public static UserId SignedInUser(ClaimsPrincipal principal) =>
        UserId.TryParse(principal.FindFirstValue(SubjectClaim), out var user)
            ? user
            : throw new InvalidOperationException("Authentication let a token through whose subject is no user id.");

    /// <summary>
    /// JWT bearer tokens, configured by the standard Authentication:Schemes:Bearer section (ValidIssuer,
    /// ValidAudiences, SigningKeys; what `dotnet user-jwts` writes), so a deployment sets it from environment variables.
    /// </summary>
    public static IHostApplicationBuilder AddBearerAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        // Post-configure: the section binding replaces TokenValidationParameters wholesale.
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).PostConfigure<TimeProvider>((options, time) =>
        {
            // Keep "sub" and "role" as they are in the token instead of the long WS-* claim names.
            options.MapInboundClaims = false;
            options.TokenValidationParameters.NameClaimType = SubjectClaim;
            options.TokenValidationParameters.RoleClaimType = RoleClaim;
            // A token is refused from its exp on (and before its nbf), to the second: JwtBearer's default allows 5
            // minutes either side for clocks that disagree, so an expired token, a stolen one too, served 5 minutes
            // more. The issuer and the service keep time by NTP, well within a second.
            options.TokenValidationParameters.ClockSkew = TimeSpan.Zero;
            // The section binding hands the signing keys over as a lazy sequence that decodes them from configuration
            // on every validation, into new key objects that also miss IdentityModel's signature-provider cache: a
            // tenth of a request's CPU. Decoded once here; a key change in configuration takes a restart.
            if (options.TokenValidationParameters.IssuerSigningKeys is { } keys)
            {
                options.TokenValidationParameters.IssuerSigningKeys = [.. keys];
            }

            options.Events ??= new JwtBearerEvents();
            options.Events.OnTokenValidated = RefuseUnusableTokens;
            options.Events.OnChallenge = ChallengeAsync;
            options.Events.OnForbidden = ChallengeInsufficientScopeAsync;

            // After MapInboundClaims, which the options pass on to the handlers they hold.
            for (var i = 0; i < options.TokenHandlers.Count; i++)
            {
                options.TokenHandlers[i] = new CachingTokenHandler(options.TokenHandlers[i], time);
            }
        });
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Validate(
                options => options.Authority is not null
                    || options.TokenValidationParameters.IssuerSigningKey is not null
                    || options.TokenValidationParameters.IssuerSigningKeys?.Any() == true,
                "Authentication:Schemes:Bearer has neither SigningKeys nor an Authority, so no token could ever be "
                + "accepted. See README, 'Tokens'.")
            .ValidateOnStart();
        builder.Services.AddAuthorizationBuilder().AddPolicy(AdminPolicy, policy => policy.RequireRole(AdminRole));
        return builder;
    }

    /// <summary>
    /// 401 with what is wrong with the token, in the WWW-Authenticate header (RFC 6750, 3) and as the ProblemDetails'
    /// detail, in words of our own: JwtBearer's name an audience "(null)" and print times without their zone.
    /// </summary>
    private static Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var detail = Describe(context.AuthenticateFailure);
        // RFC 6750 (3.1): a request that carried no token gets the bare challenge, without an error code.
        context.Response.Headers.WWWAuthenticate = context.AuthenticateFailure is null
            ? JwtBearerDefaults.AuthenticationScheme
            : $"{JwtBearerDefaults.AuthenticationScheme} error=\"invalid_token\", error_description=\"{detail}\"";
        return WriteProblemAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    private static string Describe(Exception? failure) => failure switch
    {
        null => "This request needs a bearer token (Authorization: Bearer <token>).",
        SecurityTokenExpiredException expired => $"The token expired at {Utc(expired.Expires)}.",
        SecurityTokenNotYetValidException early => $"The token is not valid before {Utc(early.NotBefore)}.",
        SecurityTokenNoExpirationException => "The token has no expiry (exp).",
        SecurityTokenInvalidAudienceException => "The token is meant for another audience (aud) than this service.",
        SecurityTokenInvalidIssuerException => "The token comes from an issuer (iss) this service does not trust.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException or SecurityTokenInvalidAlgorithmException =>
            "The token's signature does not verify with a key and algorithm this service trusts.",
        // RefuseUnusableTokens's own words.
        AuthenticationFailureException refused => refused.Message,
        _ => "The token is not a well-formed, signed JWT.",
    };

    private static string Utc(DateTime time) => time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// RFC 6750 (3.1): a valid token without the rights a request needs (a user's on the admin endpoints) is answered 403
    /// with the error insufficient_scope.
    /// </summary>
    private static Task ChallengeInsufficientScopeAsync(ForbiddenContext context)
    {
        context.Response.Headers.WWWAuthenticate = $"{JwtBearerDefaults.AuthenticationScheme} error=\"insufficient_scope\"";
        return WriteProblemAsync(context.HttpContext, StatusCodes.Status403Forbidden, "Forbidden",
            $"This request needs a token with the {AdminRole} role.");
    }

    private static Task WriteProblemAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }

    /// <summary>
    /// The token identifies the current user (the contract), so one whose subject is no user id is refused as a token,
    /// 401, like any other that cannot be used. And RFC 7515 (4.1.11): a recipient must refuse a token whose "crit"
    /// header names extensions it does not understand; IdentityModel does not look at it, and this service understands none.
    /// </summary>
    private static Task RefuseUnusableTokens(TokenValidatedContext context)
    {
        if (!UserId.TryParse(context.Principal?.FindFirst(SubjectClaim)?.Value, out _))
        {
            context.Fail($"The token's subject (sub) is not a user id: {UserId.Rule}.");
        }
        else if (context.SecurityToken is JsonWebToken token && token.TryGetHeaderValue<object>("crit", out _))
        {
            context.Fail("The token names critical header parameters (crit), and this service understands none.");
        }

        return Task.CompletedTask;
    }
}
