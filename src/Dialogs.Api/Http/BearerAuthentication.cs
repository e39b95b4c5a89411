using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Dialogs.Api.Http;

public static class BearerAuthentication
{
    public const string AdminPolicy = "admin";
    public const string AdminRole = "admin";
    public const string SubjectClaim = "sub";
    public const string RoleClaim = "role";

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
            options.Events.OnTokenValidated = RefuseCriticalHeaderParameters;
            options.Events.OnForbidden = ChallengeInsufficientScope;

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
    /// RFC 6750 (3.1): a valid token without the rights a request needs (a user's on the admin endpoints) is answered 403
    /// with the error insufficient_scope; the handler sends the 403 alone.
    /// </summary>
    private static Task ChallengeInsufficientScope(ForbiddenContext context)
    {
        context.Response.Headers.WWWAuthenticate = $"{JwtBearerDefaults.AuthenticationScheme} error=\"insufficient_scope\"";
        return Task.CompletedTask;
    }

    /// <summary>
    /// RFC 7515 (4.1.11): a recipient must refuse a token whose "crit" header names extensions it does not understand.
    /// IdentityModel does not look at it, and this service understands none.
    /// </summary>
    private static Task RefuseCriticalHeaderParameters(TokenValidatedContext context)
    {
        if (context.SecurityToken is JsonWebToken token && token.TryGetHeaderValue<object>("crit", out _))
        {
            context.Fail("The token names critical header parameters (crit), and this service understands none.");
        }

        return Task.CompletedTask;
    }
}
