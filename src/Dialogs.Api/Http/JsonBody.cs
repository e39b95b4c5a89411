using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Dialogs.Api.Http;

/// <summary>
/// Reads a JSON request body with the contract's answers for each way it can be wrong: 415 for another content
/// type, a declared charset other than UTF-8 or a content coding (gzip, ...), 413 past the size limit (also for
/// chunked bodies with no Content-Length), 400 for malformed JSON or JSON of another shape, and for a body that
/// breaks its own framing, 408 for one that stops arriving, 503 for one still arriving when the instance stops.
/// </summary>
public static class JsonBody
{
    private const string Identity = "identity";

    /// <summary>How long a body may still take to arrive once the instance is stopping: one sent in full takes milliseconds.</summary>
    private static readonly TimeSpan ArrivalOnStop = TimeSpan.FromSeconds(1);

    /// <param name="shape">The body's expected form, for the 400 of JSON that parses but does not fit it.</param>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(
        HttpRequest request, int maxBytes, string shape, CancellationToken ct)
        where T : class
    {
        if (!IsUtf8Json(request.ContentType))
        {
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                "The body must be UTF-8 JSON (Content-Type: application/json)."));
        }

        // Read as it comes, an encoded body would be stored as whatever its bytes happen to spell. RFC 9110 15.5.16:
        // the 415 names the codings that are accepted.
        if (HasContentCoding(request))
        {
            request.HttpContext.Response.Headers.AcceptEncoding = Identity;
            return (null, Problems.Status(StatusCodes.Status415UnsupportedMediaType, "Unsupported content coding",
                "The body must not be compressed or otherwise encoded (no Content-Encoding, or identity)."));
        }

        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }

        // Kestrel stops timing a slow body once the instance is stopping, so one trickling in would hold the stop until
        // its shutdown timeout (30 s) and then get a reset: a wait for more of it ends a moment after the stop begins,
        // is answered then, and retried elsewhere. What has arrived is read without waiting, and a body on its way, sent
        // in full, arrives within the moment, so such a request is still served while the instance stops.
        var stopping = request.HttpContext.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var onStop = stopping.Register(static waiting => ((CancellationTokenSource)waiting!).CancelAfter(ArrivalOnStop), waiting);
        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        try
        {
            var body = request.BodyReader;
            var length = 0;
            while (length <= maxBytes)
            {
                if (!body.TryRead(out var read))
                {
                    read = await body.ReadAsync(waiting.Token);
                }

                var arrived = read.Buffer.Slice(0, Math.Min(read.Buffer.Length, maxBytes + 1 - length));
                arrived.CopyTo(buffer.AsSpan(length));
                length += (int)arrived.Length;
                body.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            if (length > maxBytes)
            {
                return (null, TooLarge(maxBytes));
            }

            var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            return Parse<T>(buffer.AsSpan(0, length), options, shape);
        }
        catch (BadHttpRequestException e)
        {
            CloseAfterAnswer(request);
            return (null, Unreadable(e, maxBytes));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            CloseAfterAnswer(request);
            request.HttpContext.Response.Headers.RetryAfter = "1";
            return (null, Problems.Status(StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                "This instance is stopping, and the body had not arrived in full. Nothing was stored: retry."));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The body's JSON as <typeparamref name="T"/>, or the 400 that says what is wrong with it and where.</summary>
    private static (T? Value, ProblemHttpResult? Problem) Parse<T>(ReadOnlySpan<byte> body, JsonSerializerOptions options, string shape)
        where T : class
    {
        // RFC 8259 forbids sending a byte order mark and lets a parser ignore one; System.Text.Json would refuse it.
        // A position named in an answer still counts the body's bytes from its first, the mark's.
        var byteOrderMark = body.StartsWith(Utf8ByteOrderMark) ? Utf8ByteOrderMark.Length : 0;
        var json = body[byteOrderMark..];

        // The reader's own words for this speak of its final block of data.
        if (json.Trim(JsonWhitespace).IsEmpty)
        {
            return (null, Problems.Invalid("body", $"The body is empty: it must be a JSON object like {shape}."));
        }

        // Checked first: the serializer's answer would blame the shape of the body, not its bytes.
        if (!Utf8.IsValid(json))
        {
            return (null, Problems.Invalid("body", $"The body is not valid UTF-8 (byte {byteOrderMark + FirstInvalidUtf8Byte(json) + 1})."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(json, options);
            return value is null
                ? (null, Problems.Invalid("body", "The body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.Invalid("body", Explain(e, json, shape, byteOrderMark)));
        }
    }

    /// <summary>
    /// The body could not be read to its end, so the connection carries no request after this one: the answer says so
    /// (RFC 9112 9.6), or a client keeping it alive would send its next request into a connection being closed.
    /// </summary>
    private static void CloseAfterAnswer(HttpRequest request) => request.HttpContext.Response.Headers.Connection = "close";

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>Space, tab, line feed and carriage return: all that RFC 8259 allows around a value.</summary>
    private static ReadOnlySpan<byte> JsonWhitespace => " \t\n\r"u8;

    private static bool HasContentCoding(HttpRequest request)
    {
        foreach (var codings in request.Headers.ContentEncoding)
        {
            foreach (var coding in (codings ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!coding.Equals(Identity, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// What is wrong with the body and where, the position counted from 1. The serializer's own messages name the
    /// .NET type it was reading into, and the reader's count from 0 and speak to the developer of this service.
    /// </summary>
    private static string Explain(JsonException e, ReadOnlySpan<byte> json, string shape, int byteOrderMark) => e.InnerException is JsonException syntax
        ? $"The body is not valid JSON at {Where(e.Path, e.LineNumber, e.BytePositionInLine, byteOrderMark)}: {ReaderReason(syntax.Message)}"
        // The serializer says the same for a value of another type and for a string escaping half a surrogate pair.
        : $"The body must be a JSON object like {shape}, each member given once, its strings valid Unicode; the JSON "
          + $"at {WhereMisfit(e, json, byteOrderMark)} does not fit.";

    private static int FirstInvalidUtf8Byte(ReadOnlySpan<byte> bytes)
    {
        var at = 0;
        while (Rune.DecodeFromUtf8(bytes[at..], out _, out var used) == OperationStatus.Done)
        {
            at += used;
        }

        return at;
    }

    /// <param name="byteOrderMark">The bytes of a mark before the JSON, on its first line.</param>
    private static string Where(string? path, long? line, long? byteInLine, int byteOrderMark) =>
        $"{path ?? "$"} (line {(line ?? 0) + 1}, byte {(byteInLine ?? 0) + 1 + (line is null or 0 ? byteOrderMark : 0)})";

    /// <summary>
    /// Where the value or member that does not fit begins. The serializer places it where reading stopped, just past
    /// it, which would name the byte after a number or a string's closing quote.
    /// </summary>
    private static string WhereMisfit(JsonException e, ReadOnlySpan<byte> json, int byteOrderMark)
    {
        if (e.LineNumber is not { } line || e.BytePositionInLine is not { } byteInLine)
        {
            return Where(e.Path, e.LineNumber, e.BytePositionInLine, byteOrderMark);
        }

        var lineStart = 0;
        for (var i = 0L; i < line; i++)
        {
            lineStart += json[lineStart..].IndexOf((byte)'\n') + 1;
        }

        var stopped = lineStart + byteInLine;
        var start = stopped;
        var reader = new Utf8JsonReader(json);
        try
        {
            while (reader.Read() && reader.BytesConsumed <= stopped)
            {
                start = reader.TokenStartIndex;
            }
        }
        catch (JsonException)
        {
            // The JSON past the misfit may be malformed too; what came before it was read by the serializer already.
        }

        var startLine = json[..(int)start].Count((byte)'\n');
        var startLineBegins = json[..(int)start].LastIndexOf((byte)'\n') + 1;
        return Where(e.Path, startLine, start - startLineBegins, byteOrderMark);
    }

    /// <summary>The reader's explanation, without its position and its advice to the developer.</summary>
    private static string ReaderReason(string message)
    {
        foreach (var tail in (ReadOnlySpan<string>)[" Change the reader options.", " LineNumber:"])
        {
            if (message.IndexOf(tail, StringComparison.Ordinal) is var at and >= 0)
            {
                message = message[..at];
            }
        }

        return message;
    }

    /// <summary>
    /// JSON (application/json, or a type with the +json suffix, as ASP.NET Core's HasJsonContentType accepts) in
    /// UTF-8, read from one parse of the header. JSON is UTF-8 (RFC 8259), and a charset parameter means nothing to a
    /// compliant reader; a client that declares another one is refused rather than having its text stored misread.
    /// </summary>
    private static bool IsUtf8Json(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var type)
        && (type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase))
        && HeaderUtilities.RemoveQuotes(type.Charset) is var charset
        && (charset.Length == 0 || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
            || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The server could not read the body it was promised: Kestrel says why with a status of its own, which the
    /// client's bytes caused and so is answered as such, not as this service's fault.
    /// </summary>
    private static ProblemHttpResult Unreadable(BadHttpRequestException e, int maxBytes) => e.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => TooLarge(maxBytes),
        StatusCodes.Status408RequestTimeout => Problems.Status(e.StatusCode, "Request timeout",
            "The body stopped arriving, or arrived too slowly, before it was complete."),
        _ => Problems.Status(StatusCodes.Status400BadRequest, "Malformed body",
            "The body does not match its framing (Content-Length or chunked Transfer-Encoding)."),
    };

    private static ProblemHttpResult TooLarge(int maxBytes) =>
        Problems.Status(StatusCodes.Status413PayloadTooLarge, "Content too large", $"The body must be at most {maxBytes / 1024} KiB.");
}
