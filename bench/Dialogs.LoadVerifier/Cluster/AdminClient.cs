using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dialogs.Api.Http;
using Dialogs.Cluster;
using Dialogs.Local;

namespace Dialogs.LoadVerifier.Cluster;

/// <summary>The API's admin endpoints, called as an operator would: with an admin token, over HTTP.</summary>
public sealed class AdminClient(HttpClient http, DevTokens tokens)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly string _token = tokens.Create("load-verifier-operator", TimeSpan.FromHours(12), "admin");

    public async Task<WorkerAdded> AddWorkerAsync(string host, int port, CancellationToken ct) => await ReadAsync<WorkerAdded>(
        await SendAsync(HttpMethod.Post, "/admin/cluster/workers", JsonContent.Create(new WorkerRequest(host, port)), ct), ct);

    /// <returns>The started job, or null when Citus found nothing to move.</returns>
    public async Task<RebalanceStatus?> StartRebalanceAsync(CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Post, "/admin/cluster/rebalance", null, ct);
        return response.StatusCode == HttpStatusCode.Accepted ? await ReadAsync<RebalanceStatus>(response, ct)
            : response.StatusCode == HttpStatusCode.OK ? null
            : throw await UnexpectedAsync(response, ct);
    }

    public async Task<RebalanceStatus> GetRebalanceAsync(long jobId, CancellationToken ct) =>
        await ReadAsync<RebalanceStatus>(await SendAsync(HttpMethod.Get, $"/admin/cluster/rebalance/{jobId}", null, ct), ct);

    public async Task<ClusterStatus> GetClusterAsync(CancellationToken ct) =>
        await ReadAsync<ClusterStatus>(await SendAsync(HttpMethod.Get, "/admin/cluster", null, ct), ct);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = new("Bearer", _token);
        return await http.SendAsync(request, ct);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        using (response)
        {
            return response.IsSuccessStatusCode
                ? await response.Content.ReadFromJsonAsync<T>(Json, ct)
                    ?? throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered an empty body.")
                : throw await UnexpectedAsync(response, ct);
        }
    }

    private static async Task<InvalidOperationException> UnexpectedAsync(HttpResponseMessage response, CancellationToken ct) =>
        new($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: "
            + await response.Content.ReadAsStringAsync(ct));
}
