using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dialogs.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Dialogs.Tests.Api;

/// <summary>
/// Requests only raw bytes can make, sent to the API on Kestrel (the in-memory test server parses no HTTP, and
/// HttpClient drops an empty header value): a body that breaks its own framing, header values a client library would
/// drop or merge. The client's fault, answered as such, never a 500, and nothing stored. Also what only Kestrel
/// writes: its headers.
/// </summary>
public sealed class RawHttpTests(PlainPostgres plain) : IAsyncLifetime
{
    private const string Send = """{"text":"framed"}""";
    private static readonly string Alice = Users.New("alice");
    private static readonly string Bob = Users.New("bob");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TestApi _api = KestrelApi(plain);
    private Uri _address = null!;

    public ValueTask InitializeAsync()
    {
        _api.Factory.StartServer();
        using var client = _api.Client();
        _address = client.BaseAddress!;
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task An_answer_names_no_server_software()
    {
        using var client = _api.Client(Alice);
        using var page = await client.GetAsync($"/dialog/{Bob}/list", Ct);

        Assert.Equal(200, (int)page.StatusCode);
        Assert.Empty(page.Headers.Server);
    }

    [Theory]
    [InlineData("a chunk size that is not hex", "Transfer-Encoding: chunked", "zz\r\n" + Send + "\r\n0\r\n\r\n")]
    [InlineData("a chunk longer than its size", "Transfer-Encoding: chunked", "5\r\n" + Send + "\r\n0\r\n\r\n")]
    public async Task A_body_that_breaks_its_framing_is_400(string what, string framing, string body)
    {
        var (status, problem, headers) = await SendRawAsync(framing, body);

        Assert.True(status == 400, $"{what}: {status} {problem}");
        Assert.Contains("connection: close", headers.ToLowerInvariant());
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("an empty key", "Idempotency-Key:")]
    [InlineData("a key given twice", "Idempotency-Key: first\r\nIdempotency-Key: second")]
    public async Task An_idempotency_key_that_is_empty_or_given_twice_is_400(string what, string keys)
    {
        // Framed well, so the connection would stay open after the answer were it not for Connection: close.
        var (status, problem, _) = await SendRawAsync($"{keys}\r\nContent-Length: {Send.Length}\r\nConnection: close", Send);

        Assert.True(status == 400, $"{what}: {status} {problem}");
        Assert.Equal("Idempotency-Key must be one value of 1..128 visible ASCII characters.", problem.GetProperty("detail").GetString());
        await AssertNothingStoredAsync();
    }

    [Theory]
    [InlineData("GET /no/such/path", "/no/such/path")]
    [InlineData("OPTIONS *", "*")] // the server as a whole (RFC 9110 9.3.7): no path, and HttpClient cannot send it
    public async Task A_target_nothing_is_served_at_is_404_naming_it(string requestLine, string named)
    {
        var stream = await WriteRawAsync(_address, $"{requestLine} HTTP/1.1\r\nHost: {_address.Authority}\r\nConnection: close\r\n\r\n");

        var (status, problem, _) = await ReadAnswerAsync(stream);

        Assert.Equal(404, status);
        Assert.Equal($"Nothing is served at {named}.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_body_that_stops_arriving_is_408()
    {
        // The connection stays open, the promised bytes never come; Kestrel gives up at the minimum data rate.
        var (status, problem, headers) = await SendRawAsync("Content-Length: 100", Send);

        Assert.Equal(408, status);
        // The body is not all read, so the connection ends with this answer, which says so.
        Assert.Contains("connection: close", headers.ToLowerInvariant());
        Assert.Equal(408, problem.GetProperty("status").GetInt32());
        await AssertNothingStoredAsync();
    }

    [Fact]
    public async Task A_body_still_arriving_when_the_service_stops_is_503_and_holds_the_stop_up_no_longer()
    {
        var stream = await StartRawAsync("Content-Length: 100", Send);
        // The request is in its handler, waiting for the rest of its body, well within Kestrel's grace for it.
        await Task.Delay(TimeSpan.FromMilliseconds(500), Ct);
        var stopping = Stopwatch.StartNew();
        var stop = _api.DisposeAsync().AsTask();
        var (status, problem, headers) = await ReadAnswerAsync(stream);
        await stop;

        Assert.Equal(503, status);
        Assert.Contains("content-type: application/problem+json", headers.ToLowerInvariant());
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Contains("retry-after: 1", headers.ToLowerInvariant());
        Assert.Contains("connection: close", headers.ToLowerInvariant());
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {stopping.Elapsed}");
        await using var stored = plain.DataSource.CreateCommand("SELECT count(*) FROM messages WHERE sender_id = $1");
        stored.Parameters.Add(new() { Value = Alice });
        Assert.Equal(0L, await stored.ExecuteScalarAsync(Ct));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(300)] // still on its way when the handler starts to read it
    public async Task A_body_sent_in_full_is_served_while_the_service_stops(int bodyAfterMilliseconds)
    {
        var holdStop = new HeldStop();
        await using var api = KestrelApi(plain, services => services.AddHostedService(_ => holdStop));
        api.Factory.StartServer();
        var stopping = api.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var client = api.Client();
        var text = $"sent as the service stops {Guid.NewGuid():N}";

        // The stop begins (ApplicationStopping) and waits on the held service, stopped before the server: the server
        // still takes requests, as it does while an instance drains.
        var stop = api.DisposeAsync().AsTask();
        await Eventually.UntilAsync(() => Task.FromResult(stopping.IsCancellationRequested), "the stop to begin", Ct);
        var body = $$"""{"text":"{{text}}"}""";
        var stream = await StartRawAsync(api, client.BaseAddress!, Users.New("carol"), $"Content-Length: {body.Length}\r\nConnection: close",
            bodyAfterMilliseconds == 0 ? body : "");
        if (bodyAfterMilliseconds > 0)
        {
            await Task.Delay(bodyAfterMilliseconds, Ct);
            await stream.WriteAsync(Encoding.ASCII.GetBytes(body), Ct);
        }

        var (status, answer, _) = await ReadAnswerAsync(stream);
        holdStop.Release();
        await stop;

        Assert.True(status == 200, $"{status} {answer}");
        Assert.Equal(text, answer.GetProperty("text").GetString());
    }

    public async ValueTask DisposeAsync() => await _api.DisposeAsync();

    /// <summary>A service whose stop waits to be released, holding the server's stop behind it.</summary>
    private sealed class HeldStop : IHostedService
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => _released.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    private static TestApi KestrelApi(PlainPostgres plain, Action<IServiceCollection>? services = null)
    {
        plain.Require();
        // On a free port: two of these may run at once.
        var api = new TestApi(plain.ConnectionString, new Dictionary<string, string> { ["urls"] = "http://127.0.0.1:0" }, services: services);
        // 1.5 s (the least Kestrel takes) instead of its 5 s of grace, so the stalled body gives up quickly.
        api.Factory.UseKestrel(kestrel => kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(1.5)));
        return api;
    }

    /// <summary>A send with the given framing headers and body bytes; the status, problem and headers of the answer.</summary>
    private async Task<(int Status, JsonElement Problem, string Headers)> SendRawAsync(string framing, string body)
    {
        var answer = await ReadAnswerAsync(await StartRawAsync(framing, body));
        Assert.Contains("content-type: application/problem+json", answer.Headers.ToLowerInvariant());
        return answer;
    }

    private Task<NetworkStream> StartRawAsync(string framing, string body) => StartRawAsync(_api, _address, Alice, framing, body);

    /// <summary>Writes a send to Bob with the given framing headers and body bytes; the connection's stream, to read the answer from.</summary>
    private static Task<NetworkStream> StartRawAsync(TestApi api, Uri address, string sender, string framing, string body) =>
        WriteRawAsync(address, $"POST /dialog/{Bob}/send HTTP/1.1\r\nHost: {address.Authority}\r\n"
            + $"Authorization: Bearer {api.Tokens.Create(sender, TimeSpan.FromMinutes(5))}\r\n"
            + $"Content-Type: application/json\r\n{framing}\r\n\r\n{body}");

    private static async Task<NetworkStream> WriteRawAsync(Uri address, string request)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port, Ct);
        var stream = tcp.GetStream(); // owns the socket: disposing it closes the connection
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), Ct);
        return stream;
    }

    /// <summary>
    /// The server closes the connection after such a request: its framing is lost, the body unread, or the request
    /// asked it to. The answer's body (a problem, or the message stored) is the one JSON object in it.
    /// </summary>
    private static async Task<(int Status, JsonElement Body, string Headers)> ReadAnswerAsync(NetworkStream stream)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);
        var body = response[response.IndexOf('{')..(response.LastIndexOf('}') + 1)];
        return (int.Parse(response.Split(' ', 3)[1]), JsonDocument.Parse(body).RootElement.Clone(), response[..response.IndexOf("\r\n\r\n", StringComparison.Ordinal)]);
    }

    private async Task AssertNothingStoredAsync()
    {
        using var client = _api.Client(Alice);
        Assert.Empty(await client.ListOk(Bob));
    }
}
