namespace Dialogs.Api.Messaging;

/// <summary>
/// A user id as the social network issues it: 1..64 characters of A-Z a-z 0-9 _ -, compared exactly, except that a
/// UUID names the same user in either case (RFC 9562, section 4) and is kept in lower case.
/// </summary>
public readonly record struct UserId
{
    public const int MaxLength = 64;
    public const string Rule = "1..64 characters of A-Z a-z 0-9 _ -";
    /// <summary>The rule as a regular expression, for the OpenAPI document; <see cref="TryParse"/> checks it.</summary>
    public const string Pattern = "^[A-Za-z0-9_-]{1,64}$";
    private const int UuidLength = 36;

    private UserId(string value) => Value = value;

    public string Value { get; }

    public static bool TryParse(string? candidate, out UserId userId)
    {
        userId = default;
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxLength || !candidate.All(IsAllowed))
        {
            return false;
        }

        // Without this, "3FA8...-...AFA6" and "3fa8...-...afa6" would be two users: two dialogs with one peer, and a
        // dialog with yourself.
        userId = new UserId(candidate.Length == UuidLength && Guid.TryParseExact(candidate, "D", out _)
            ? candidate.ToLowerInvariant()
            : candidate);
        return true;
    }

    public override string ToString() => Value;

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
}
