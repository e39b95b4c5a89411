using System.Security.Claims;
using Dialogs.Api.Http;
using Dialogs.Local;
using Dialogs.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dialogs.Tests.Api;

/// <summary>A token is validated once, then answered from memory until it expires; nothing that failed is kept.</summary>
public sealed class CachingTokenHandlerTests
{
    private static readonly DevTokens Tokens = DevTokens.CreateNew();

    private readonly CountingHandler _inner = new();
    private readonly ManualClock _clock = new();
    private readonly CachingTokenHandler _handler;

    public CachingTokenHandlerTests() => _handler = new CachingTokenHandler(_inner, _clock);

    private static TokenValidationParameters Parameters => new()
    {
        ValidIssuer = Tokens.Issuer,
        ValidAudience = Tokens.Audience,
        IssuerSigningKey = new SymmetricSecurityKey(Convert.FromBase64String(Tokens.SigningKey)),
    };

    [Fact]
    public async Task A_valid_token_is_validated_once_and_each_request_gets_its_own_identity()
    {
        var token = Tokens.Create("alice", TimeSpan.FromHours(1));

        var first = await _handler.ValidateTokenAsync(token, Parameters);
        var second = await _handler.ValidateTokenAsync(token, Parameters);

        Assert.Equal(1, _inner.Calls);
        Assert.True(second.IsValid);
        Assert.Equal("alice", second.ClaimsIdentity.FindFirst("sub")?.Value);
        Assert.NotSame(first.ClaimsIdentity, second.ClaimsIdentity);
        first.ClaimsIdentity.AddClaim(new Claim("role", "admin"));
        Assert.False((await _handler.ValidateTokenAsync(token, Parameters)).ClaimsIdentity.HasClaim("role", "admin"));
        Assert.Same(first.SecurityToken, second.SecurityToken);
    }

    [Fact]
    public async Task A_refused_token_is_validated_again_every_time()
    {
        var forged = (Tokens with { SigningKey = DevTokens.CreateNew().SigningKey }).Create("alice", TimeSpan.FromHours(1));

        Assert.False((await _handler.ValidateTokenAsync(forged, Parameters)).IsValid);
        Assert.False((await _handler.ValidateTokenAsync(forged, Parameters)).IsValid);
        Assert.Equal(2, _inner.Calls);
    }

    [Fact]
    public async Task A_token_is_validated_again_once_it_has_expired()
    {
        var token = Tokens.Create("alice", TimeSpan.FromMinutes(3));
        await _handler.ValidateTokenAsync(token, Parameters);

        // By the token's own expiry, not by time elapsed since it was made, which setting up the handler shortens.
        var expires = new DateTimeOffset(DateTime.SpecifyKind(new JsonWebToken(token).ValidTo, DateTimeKind.Utc));
        _clock.Now = expires - TimeSpan.FromSeconds(1);
        await _handler.ValidateTokenAsync(token, Parameters);
        Assert.Equal(1, _inner.Calls);

        // Past the token's expiry by the handler's clock, still within the validator's clock skew.
        _clock.Now = expires + TimeSpan.FromSeconds(1);
        await _handler.ValidateTokenAsync(token, Parameters);

        Assert.Equal(2, _inner.Calls);
    }

    [Fact]
    public async Task A_long_lived_token_is_validated_again_after_the_maximum_age()
    {
        var token = Tokens.Create("alice", TimeSpan.FromHours(6));
        await _handler.ValidateTokenAsync(token, Parameters);

        _clock.Advance(CachingTokenHandler.MaxAge - TimeSpan.FromSeconds(1));
        await _handler.ValidateTokenAsync(token, Parameters);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await _handler.ValidateTokenAsync(token, Parameters);

        Assert.Equal(2, _inner.Calls);
    }

    [Fact]
    public async Task When_full_it_drops_the_quarter_used_least_recently_and_keeps_answering_the_rest()
    {
        var tokens = Enumerable.Range(0, CachingTokenHandler.Capacity + 1).Select(i => Tokens.Create($"u{i}", TimeSpan.FromHours(1))).ToList();
        foreach (var token in tokens[..CachingTokenHandler.Capacity])
        {
            _clock.Advance(TimeSpan.FromMilliseconds(1));
            await _handler.ValidateTokenAsync(token, Parameters);
        }

        // The first token is used again, so the least recently used are the next quarter.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await _handler.ValidateTokenAsync(tokens[0], Parameters);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        await _handler.ValidateTokenAsync(tokens[^1], Parameters);
        Assert.Equal(CachingTokenHandler.Capacity + 1, _inner.Calls);

        foreach (var kept in new[] { tokens[0], tokens[CachingTokenHandler.Capacity / 4 + 1], tokens[CachingTokenHandler.Capacity - 1], tokens[^1] })
        {
            await _handler.ValidateTokenAsync(kept, Parameters);
        }

        Assert.Equal(CachingTokenHandler.Capacity + 1, _inner.Calls);
        await _handler.ValidateTokenAsync(tokens[1], Parameters);
        await _handler.ValidateTokenAsync(tokens[CachingTokenHandler.Capacity / 4], Parameters);
        Assert.Equal(CachingTokenHandler.Capacity + 3, _inner.Calls);
    }

    private sealed class CountingHandler : JsonWebTokenHandler
    {
        private int _calls;

        public int Calls => _calls;

        public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
        {
            Interlocked.Increment(ref _calls);
            return base.ValidateTokenAsync(token, validationParameters);
        }
    }
}
