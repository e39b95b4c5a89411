using System.Text;

namespace Dialogs.Api.Messaging;

/// <summary>
/// The text of a message, trimmed, 1..4096 characters (Unicode code points, as PostgreSQL counts them), something
/// visible among them, without control characters (C0, DEL and C1: the terminal's escapes too) other than tab, line
/// feed and carriage return, and without broken UTF-16.
/// </summary>
public static class MessageText
{
    public const int MaxLength = 4096;

    /// <returns>null when <paramref name="raw"/> is valid; otherwise why not.</returns>
    public static string? Validate(string? raw, out string text)
    {
        text = "";
        if (raw is null)
        {
            return "text is required.";
        }

        foreach (var c in raw)
        {
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
            {
                return $"text must not contain control character U+{(int)c:X4}.";
            }
        }

        var trimmed = raw.Trim();
        if (trimmed.All(IsInvisible))
        {
            return "text must not be empty, or only whitespace and invisible formatting characters (such as U+200B).";
        }

        var length = 0;
        for (var rest = trimmed.AsSpan(); !rest.IsEmpty; length++)
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var used) != System.Buffers.OperationStatus.Done)
            {
                return "text is not valid Unicode (an unpaired surrogate).";
            }

            rest = rest[used..];
        }

        if (length > MaxLength)
        {
            return $"text must be at most {MaxLength} characters after trimming; it has {length}.";
        }

        text = trimmed;
        return null;
    }

    /// <summary>
    /// Whitespace, or a formatting character (zero-width space, byte order mark, bidi marks, joiners), which shows
    /// nothing by itself: a text made only of them would arrive as an empty message.
    /// </summary>
    private static bool IsInvisible(char c) =>
        char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format;
}
