using System.Net;
using System.Net.Http.Json;
using Dialogs.Api.Messaging;

namespace Dialogs.Tests.Infrastructure;

/// <summary>The two operations of the contract, as a client calls them, and bodies as any client might send them.</summary>
public static class DialogsHttp
{
    /// <summary><paramref name="body"/> as it is, labelled <paramref name="contentType"/>, or with no Content-Type at all.</summary>
    public static HttpContent Labelled(byte[] body, string? contentType) =>
        new ByteArrayContent(body) { Headers = { ContentType = contentType is null ? null : new(contentType) } };

    public static Task<HttpResponseMessage> Send(this HttpClient client, string peer, string text, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/dialog/{peer}/send") { Content = JsonContent.Create(new { text }) };
        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<DialogMessage> SendOk(this HttpClient client, string peer, string text, string? idempotencyKey = null)
    {
        using var response = await client.Send(peer, text, idempotencyKey);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<DialogMessage>(TestContext.Current.CancellationToken))!;
    }

    public static Task<HttpResponseMessage> List(this HttpClient client, string peer, string query = "") =>
        client.GetAsync($"/dialog/{peer}/list{query}", TestContext.Current.CancellationToken);

    public static async Task<List<DialogMessage>> ListOk(this HttpClient client, string peer, string query = "")
    {
        using var response = await client.List(peer, query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<List<DialogMessage>>(TestContext.Current.CancellationToken))!;
    }
}
