using System.Collections.Concurrent;
using System.Net.Http.Json;
using Dialogs.Api.Http;
using Dialogs.Api.Messaging;
using Dialogs.Local;

namespace Dialogs.LoadVerifier.Load;

/// <summary>What one request got back: a status (0 without a response), the parsed body on 200, and why it failed otherwise.</summary>
public sealed record Exchange<T>(int Status, TimeSpan? RetryAfter, bool HasRetryAfter, T? Body, string? NextPage, string? Error)
    where T : class;

/// <summary>
/// The two dialog operations as a client of the network calls them, signed in as any simulated user. Every outcome
/// is returned, never thrown, because the verifier counts failures instead of stopping at the first.
/// </summary>
public sealed class DialogsClient(HttpClient http, DevTokens tokens)
{
    private readonly ConcurrentDictionary<string, string> _tokens = new();

    public Task<Exchange<DialogMessage>> SendAsync(string from, string to, string text, string idempotencyKey, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/dialog/{to}/send") { Content = JsonContent.Create(new SendMessageRequest(text)) };
        request.Headers.TryAddWithoutValidation(DialogsApi.IdempotencyKeyHeader, idempotencyKey);
        return ExchangeAsync<DialogMessage>(request, from, ct);
    }

    /// <param name="page">A link from an earlier page's Link header, or null for the newest page.</param>
    public Task<Exchange<List<DialogMessage>>> ReadPageAsync(string me, string peer, int limit, string? page, CancellationToken ct) =>
        ExchangeAsync<List<DialogMessage>>(new HttpRequestMessage(HttpMethod.Get, page ?? $"/dialog/{peer}/list?limit={limit}"), me, ct);

    private async Task<Exchange<T>> ExchangeAsync<T>(HttpRequestMessage request, string user, CancellationToken ct)
        where T : class
    {
        using (request)
        {
            request.Headers.Authorization = new("Bearer", _tokens.GetOrAdd(user, u => tokens.Create(u, TimeSpan.FromHours(12))));
            try
            {
                using var response = await http.SendAsync(request, ct);
                var status = (int)response.StatusCode;
                var retryAfter = response.Headers.RetryAfter;
                if (status == 200)
                {
                    return new Exchange<T>(status, null, retryAfter is not null, await response.Content.ReadFromJsonAsync<T>(ct),
                        NextPageLink(response), null);
                }

                var body = await response.Content.ReadAsStringAsync(ct);
                return new Exchange<T>(status, retryAfter?.Delta, retryAfter is not null, null, null, body.Length > 300 ? body[..300] : body);
            }
            catch (HttpRequestException e)
            {
                return new Exchange<T>(RequestRecord.NoResponse, null, false, null, null, $"no response: {e.Message}");
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new Exchange<T>(RequestRecord.NoResponse, null, false, null, null, $"no response within {http.Timeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>The rel="next" target of an RFC 8288 Link header: the older page, when there is one.</summary>
    private static string? NextPageLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var link in values.SelectMany(value => value.Split(',')))
        {
            var parts = link.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Length > 1 && parts.Skip(1).Contains("rel=\"next\"") && parts[0].StartsWith('<') && parts[0].EndsWith('>'))
            {
                return parts[0][1..^1];
            }
        }

        return null;
    }
}
