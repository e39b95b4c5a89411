using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Dialogs.Api.Http;
using Dialogs.Local;
using Dialogs.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dialogs.Tests.Api;

/// <summary>Only a valid token of our issuer, for our audience, unexpired, gets in; a refused request stores nothing.</summary>
public sealed class AuthenticationTests(PlainPostgres database)
{
    public static TheoryData<string, string> BadTokens => new()
    {
        { "missing", "This request needs a bearer token (Authorization: Bearer <token>)." },
        { "expired", "The token expired at 20" },
        // Within the 5 minutes JwtBearer would allow by default for clocks that disagree.
        { "expired seconds ago", "The token expired at 20" },
        { "wrong signature", "The token's signature does not verify with a key and algorithm this service trusts." },
        { "wrong audience", "The token is meant for another audience (aud) than this service." },
        { "wrong issuer", "The token comes from an issuer (iss) this service does not trust." },
        { "not yet valid", "The token is not valid before 20" },
        { "no subject", "The token's subject (sub) is not a user id: 1..64 characters of A-Z a-z 0-9 _ -." },
        { "subject no user id", "The token's subject (sub) is not a user id: 1..64 characters of A-Z a-z 0-9 _ -." },
        { "garbage", "The token is not a well-formed, signed JWT." },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_request_without_a_valid_token_is_401_problem_saying_why_and_stores_nothing(string kind, string why)
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        var tokens = database.Tokens;
        string? token = kind switch
        {
            "missing" => null,
            "expired" => tokens.Create(alice, DateTime.UtcNow.AddHours(-2)),
            "expired seconds ago" => tokens.Create(alice, DateTime.UtcNow.AddSeconds(-10)),
            "wrong signature" => (tokens with { SigningKey = DevTokens.CreateNew().SigningKey }).Create(alice, TimeSpan.FromHours(1)),
            "wrong audience" => (tokens with { Audience = "someone-else" }).Create(alice, TimeSpan.FromHours(1)),
            "wrong issuer" => (tokens with { Issuer = "someone-else" }).Create(alice, TimeSpan.FromHours(1)),
            "not yet valid" => Signed(alice, """{"alg":"HS256","typ":"JWT"}""", claims => claims["nbf"] = claims["exp"]!.GetValue<long>() - 60),
            "no subject" => Signed(alice, """{"alg":"HS256","typ":"JWT"}""", claims => claims.Remove("sub")),
            "subject no user id" => tokens.Create("not a user id!", TimeSpan.FromHours(1)),
            _ => "not.a.jwt",
        };
        using var anonymous = database.Client();
        if (token is not null)
        {
            anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var sent = await anonymous.Send(bob, "let me in");
        // RFC 6750 (3): the reason in the challenge too, unless no token came at all.
        var challenge = Assert.Single(sent.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        if (token is null)
        {
            Assert.Null(challenge.Parameter);
        }
        else
        {
            Assert.StartsWith($"error=\"invalid_token\", error_description=\"{why}", challenge.Parameter);
        }

        Assert.StartsWith(why, (await DialogsApiContract.AssertProblem(sent, 401)).GetProperty("detail").GetString());
        Assert.StartsWith(why, (await DialogsApiContract.AssertProblem(await anonymous.List(bob), 401)).GetProperty("detail").GetString());
        Assert.Empty(await database.Client(bob).ListOk(alice));
    }

    [Fact]
    public async Task A_token_naming_critical_header_parameters_is_401()
    {
        var (alice, bob) = (Users.New("alice"), Users.New("bob"));
        using var plainHeader = database.Client();
        plainHeader.DefaultRequestHeaders.Authorization = new("Bearer", WithHeader(alice, """{"alg":"HS256","typ":"JWT"}"""));
        using var criticalHeader = database.Client();
        criticalHeader.DefaultRequestHeaders.Authorization = new("Bearer", WithHeader(alice, """{"alg":"HS256","typ":"JWT","crit":["exp2"],"exp2":1}"""));

        Assert.Equal(HttpStatusCode.OK, (await plainHeader.List(bob)).StatusCode);
        await DialogsApiContract.AssertProblem(await criticalHeader.List(bob), 401);
    }

    [Fact]
    public async Task The_401_tells_the_client_to_use_a_bearer_token()
    {
        using var response = await database.Client().List(Users.New());

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    /// <summary>A valid token's claims under <paramref name="header"/>, signed with the key the API trusts.</summary>
    private string WithHeader(string subject, string header) => Signed(subject, header, _ => { });

    /// <summary>A valid token's claims, changed by <paramref name="change"/>, under <paramref name="header"/>, signed with the key the API trusts.</summary>
    private string Signed(string subject, string header, Action<JsonObject> change)
    {
        var claims = JsonNode.Parse(Base64Url.DecodeFromChars(database.Tokens.Create(subject, TimeSpan.FromHours(1)).Split('.')[1]))!.AsObject();
        change(claims);
        var signed = $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header))}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        var signature = HMACSHA256.HashData(Convert.FromBase64String(database.Tokens.SigningKey), Encoding.ASCII.GetBytes(signed));
        return $"{signed}.{Base64Url.EncodeToString(signature)}";
    }

    [Fact]
    public void The_signing_keys_are_decoded_once_not_on_every_validation()
    {
        var parameters = database.ApiServices.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>()
            .Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;

        var first = parameters.IssuerSigningKeys.ToList();
        var second = parameters.IssuerSigningKeys.ToList();

        // The same key objects on every validation: IdentityModel caches its signature providers per key object.
        Assert.NotEmpty(first);
        Assert.Equal(first, second, ReferenceEqualityComparer.Instance);
    }

    [Fact]
    public void Every_token_handler_keeps_what_it_validated()
    {
        var handlers = database.ApiServices.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>()
            .Get(JwtBearerDefaults.AuthenticationScheme).TokenHandlers;

        Assert.NotEmpty(handlers);
        Assert.All(handlers, handler => Assert.IsType<CachingTokenHandler>(handler));
    }
}
