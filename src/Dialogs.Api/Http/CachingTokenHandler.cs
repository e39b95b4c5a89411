using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Dialogs.Api.Http;

/// <summary>
/// Validates each distinct bearer token once and then answers from memory until the token expires. A client sends
/// the same token with every request for hours, and validating it (decode, HMAC, claims) is most of what
/// authentication costs a request.
/// <list type="bullet">
/// <item>The key is the whole token, signature included: only the very string that passed validation is answered
/// from memory.</item>
/// <item>Only successes are kept, each no longer than the token's own expiry and never longer than
/// <see cref="MaxAge"/>.</item>
/// <item>The validation parameters are fixed for the life of the process (see <see cref="BearerAuthentication"/>), so
/// a kept success stays true.</item>
/// <item>At most <see cref="Capacity"/> tokens are kept, 4 to 5 KB each (the token, its parsed form, the identity),
/// so about 20 MB at most. When full, the expired are dropped, and if that is not enough, the quarter used least
/// recently: with more clients than that at work, the tokens in use keep being answered from memory, and the work of
/// making room is done once per <see cref="Capacity"/>/4 new tokens.</item>
/// </list>
/// </summary>
public sealed class CachingTokenHandler(TokenHandler inner, TimeProvider time) : TokenHandler
{
    public const int Capacity = 4_096;
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Validated> _validated = new(StringComparer.Ordinal);
    private readonly Lock _makingRoom = new();

    public override async Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        var now = time.GetUtcNow();
        if (_validated.TryGetValue(token, out var kept))
        {
            if (kept.Until > now)
            {
                kept.LastUsed = now.UtcTicks;
                return kept.ToResult();
            }

            _validated.TryRemove(KeyValuePair.Create(token, kept));
        }

        var result = await inner.ValidateTokenAsync(token, validationParameters);
        var expires = new DateTimeOffset(result.SecurityToken?.ValidTo ?? DateTime.MinValue, TimeSpan.Zero);
        if (result.IsValid && result.ClaimsIdentity is not null && expires > now)
        {
            MakeRoom(now);
            // A copy of the identity is kept, so nothing done to this request's identity reaches later requests.
            _validated[token] = new Validated(result.ClaimsIdentity.Clone(), result.SecurityToken!, result.Issuer, result.TokenType,
                expires < now + MaxAge ? expires : now + MaxAge) { LastUsed = now.UtcTicks };
        }

        return result;
    }

    public override SecurityToken ReadToken(string token) => inner.ReadToken(token);

    private void MakeRoom(DateTimeOffset now)
    {
        if (_validated.Count < Capacity)
        {
            return;
        }

        lock (_makingRoom)
        {
            // Requests that found it full together make room once, not a quarter each.
            if (_validated.Count < Capacity)
            {
                return;
            }

            foreach (var (token, kept) in _validated)
            {
                if (kept.Until <= now)
                {
                    _validated.TryRemove(KeyValuePair.Create(token, kept));
                }
            }

            if (_validated.Count >= Capacity)
            {
                foreach (var (token, kept) in _validated.OrderBy(entry => entry.Value.LastUsed).Take(Capacity / 4).ToList())
                {
                    _validated.TryRemove(KeyValuePair.Create(token, kept));
                }
            }
        }
    }

    /// <summary>A success, handed out as a fresh result with its own copy of the identity for each request.</summary>
    private sealed record Validated(ClaimsIdentity Identity, SecurityToken Token, string Issuer, string TokenType, DateTimeOffset Until)
    {
        /// <summary>UTC ticks, written by every request it answers (one word, so never torn; a race between two moves it
        /// by a moment).</summary>
        public long LastUsed { get; set; }

        public TokenValidationResult ToResult() => new()
        {
            IsValid = true,
            ClaimsIdentity = Identity.Clone(),
            SecurityToken = Token,
            Issuer = Issuer,
            TokenType = TokenType,
        };
    }
}
