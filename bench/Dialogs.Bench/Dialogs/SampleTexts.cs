using System.Text;
using System.Text.Json;
using Dialogs.Api.Http;

namespace Dialogs.Bench.Dialogs;

/// <summary>A message text, and the same text as the JSON body of a send, encoded once so the client does not pay for it per request.</summary>
public sealed record SampleText(string Text, byte[] Json);

/// <summary>
/// A fixed set of chat-like texts of 20 to about 200 characters, the same for the API and the raw baseline. Picked
/// by sequence number, so any run can use them without allocating.
/// </summary>
public sealed class SampleTexts
{
    private static readonly string[] Words =
    [
        "hi", "see", "you", "tomorrow", "at", "the", "office", "thanks", "for", "sending", "photos", "sounds", "good",
        "let's", "meet", "after", "lunch", "did", "read", "my", "last", "message", "running", "late", "again", "sorry",
        "call", "me", "when", "free", "weekend", "plans", "coffee", "project", "deadline", "moved", "to", "friday",
    ];

    private readonly SampleText[] _texts;

    public SampleTexts(int count = 64)
    {
        _texts = new SampleText[count];
        for (var i = 0; i < count; i++)
        {
            var target = 20 + (i * 37 % 180);
            var text = new StringBuilder($"#{i}");
            for (var word = i; text.Length < target; word += 7)
            {
                text.Append(' ').Append(Words[word % Words.Length]);
            }

            _texts[i] = new SampleText(text.ToString(), JsonSerializer.SerializeToUtf8Bytes(new SendMessageRequest(text.ToString())));
        }
    }

    public SampleText this[long sequence] => _texts[sequence % _texts.Length];
}
