using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Dialogs.Api.Messaging;
using Dialogs.Local;

namespace Dialogs.Bench.Dialogs;

/// <summary>
/// The service as its clients call it: HTTP/1.1 over pooled keep-alive connections (at least one per concurrent
/// caller, so no request waits for a connection), a bearer token per user minted once, pre-encoded request bodies.
/// A response counts as a success only with status 200, and its body is read in full, as a client would; the timed
/// operations read it into a pooled buffer and drop it, as a load generator does, rather than into a new buffer each.
/// </summary>
public sealed class ApiDialogClient : IDialogClient, IDisposable
{
    private const int DrainBufferBytes = 16 * 1024;

    private readonly HttpClient _http;
    private readonly DevTokens _tokens;
    private readonly ConcurrentDictionary<UserId, AuthenticationHeaderValue> _authorizations = new();

    public ApiDialogClient(string baseUrl, int connections, DevTokens tokens)
    {
        _tokens = tokens;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            // Loopback only: never through a proxy from the environment.
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = new Uri(baseUrl),
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    public string Name => "api";

    public async ValueTask SendAsync(DialogPair dialog, SampleText text, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/dialog/{dialog.Peer.Value}/send")
        {
            Content = new ByteArrayContent(text.Json) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        using var response = await SendAsync(request, dialog.Sender, ct);
        await DrainAsync(response, ct);
    }

    public async ValueTask ReadPageAsync(DialogPair dialog, MessageId? before, CancellationToken ct)
    {
        using var request = ListRequest(dialog, before);
        using var response = await SendAsync(request, dialog.Sender, ct);
        await DrainAsync(response, ct);
    }

    /// <summary>Reads a page and decodes it, to check what the API answers; not for the timed loop.</summary>
    public async Task<DecodedPage> ReadPageContentAsync(DialogPair dialog, MessageId? before, CancellationToken ct)
    {
        using var request = ListRequest(dialog, before);
        using var response = await SendAsync(request, dialog.Sender, ct);
        var messages = await response.Content.ReadFromJsonAsync<List<DialogMessage>>(ct)
            ?? throw new InvalidOperationException($"GET {request.RequestUri} answered null.");
        return new DecodedPage(messages, response.Headers.Contains("Link"));
    }

    public void Dispose() => _http.Dispose();

    private static async Task DrainAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(DrainBufferBytes);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            while (await body.ReadAsync(buffer, ct) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static HttpRequestMessage ListRequest(DialogPair dialog, MessageId? before) =>
        new(HttpMethod.Get, $"/dialog/{dialog.Peer.Value}/list{(before is { } cursor ? $"?before={cursor}" : "")}");

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, UserId user, CancellationToken ct)
    {
        request.Headers.Authorization = _authorizations.GetOrAdd(user,
            id => new AuthenticationHeaderValue("Bearer", _tokens.Create(id.Value, TimeSpan.FromHours(6))));
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.OK)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}");
        }
    }
}

/// <summary>A page as the API answered it, and whether it linked to a next one.</summary>
public sealed record DecodedPage(IReadOnlyList<DialogMessage> Messages, bool HasNextLink);
