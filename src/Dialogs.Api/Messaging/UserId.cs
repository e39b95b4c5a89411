namespace Dialogs.Api.Messaging;

/// <summary>A user id as the social network issues it: 1..64 characters of A-Z a-z 0-9 _ -.</summary>
public readonly record struct UserId
{
    public const int MaxLength = 64;
    public const string Rule = "1..64 characters of A-Z a-z 0-9 _ -";

    private UserId(string value) => Value = value;

    public string Value { get; }

    public static bool TryParse(string? candidate, out UserId userId)
    {
        userId = default;
        if (string.IsNullOrEmpty(candidate) || candidate.Length > MaxLength || !candidate.All(IsAllowed))
        {
            return false;
        }

        userId = new UserId(candidate);
        return true;
    }

    public override string ToString() => Value;

    private static bool IsAllowed(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';
}
