using System.Globalization;
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
        if (trimmed.EnumerateRunes().All(ShowsNothing))
        {
            return "text must show something: not be empty, nor only whitespace and characters that show nothing by "
                + "themselves (such as U+200B, U+3164 or a combining accent without its letter).";
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
    /// A character that shows nothing by itself, so that a text made only of them would arrive as an empty message:
    /// whitespace; a formatting character (zero-width space, byte order mark, bidi marks, joiners, tags); a combining
    /// mark, which shows only on a letter before it; a Hangul filler or the blank braille pattern, letters and symbols
    /// drawn as blanks; a noncharacter. Taken by code point, so that those beyond U+FFFF (tags) count too.
    /// </summary>
    private static bool ShowsNothing(Rune c) =>
        Rune.IsWhiteSpace(c)
        || Rune.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
        || c.Value is 0x115F or 0x1160 or 0x3164 or 0xFFA0 or 0x2800
        || c.Value is >= 0xFDD0 and <= 0xFDEF || (c.Value & 0xFFFE) == 0xFFFE;
}
