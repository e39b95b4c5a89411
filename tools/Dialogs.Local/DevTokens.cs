using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dialogs.Local;

/// <summary>
/// A local token issuer: the API is configured to trust it (Authentication:Schemes:Bearer, the same section
/// `dotnet user-jwts` fills), and it signs HS256 tokens whose "sub" is the user id.
/// </summary>
public sealed record DevTokens(string Issuer, string Audience, string SigningKey)
{
    private const string Section = "Authentication:Schemes:Bearer";

    public static DevTokens CreateNew() =>
        new("dialogs-local", "dialogs", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

    /// <summary>The API configuration that makes it accept these tokens (derived, so not stored with them).</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, string> ApiConfiguration => new Dictionary<string, string>
    {
        [$"{Section}:ValidIssuer"] = Issuer,
        [$"{Section}:ValidAudiences:0"] = Audience,
        [$"{Section}:SigningKeys:0:Issuer"] = Issuer,
        [$"{Section}:SigningKeys:0:Value"] = SigningKey,
    };

    public string Create(string subject, TimeSpan lifetime, params string[] roles) =>
        Create(subject, DateTime.UtcNow + lifetime, roles);

    public string Create(string subject, DateTime expires, params string[] roles)
    {
        var claims = new Dictionary<string, object> { ["sub"] = subject };
        if (roles.Length > 0)
        {
            claims["role"] = roles;
        }

        // An already expired token (for tests) was issued before it expired; any other is issued now.
        var issued = expires < DateTime.UtcNow ? expires.AddHours(-1) : DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = claims,
            IssuedAt = issued,
            NotBefore = issued,
            Expires = expires,
            SigningCredentials = new SigningCredentials(
                new SymmetricSecurityKey(Convert.FromBase64String(SigningKey)), SecurityAlgorithms.HmacSha256),
        });
    }
}
