using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Dialogs.Tests.Telemetry;

/// <summary>The real API exporting over OTLP/HTTP to a receiver in this process.</summary>
public sealed class TracedApi : IAsyncDisposable
{
    private readonly TestApi _api;

    private TracedApi(string connectionString, OtlpReceiver receiver, IReadOnlyDictionary<string, string>? settings)
    {
        Receiver = receiver;
        _api = new TestApi(connectionString, new Dictionary<string, string>(settings ?? new Dictionary<string, string>())
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
    }

    public OtlpReceiver Receiver { get; }

    /// <param name="settings">More configuration of the API, as "Section:Key" names.</param>
    public static Task<TracedApi> StartAsync(Database database, IReadOnlyDictionary<string, string>? settings = null)
    {
        database.Require();
        return StartAsync(database.ConnectionString, settings);
    }

    public static async Task<TracedApi> StartAsync(string connectionString, IReadOnlyDictionary<string, string>? settings = null) =>
        new(connectionString, await OtlpReceiver.StartAsync(), settings);

    public HttpClient Client(string? user = null, params string[] roles) => _api.Client(user, roles);

    /// <summary>Makes the exporter send what it holds now instead of at its next interval.</summary>
    public void Flush()
    {
        var sdk = _api.Services.GetRequiredService<OpenTelemetrySdk>();
        sdk.TracerProvider.ForceFlush();
        sdk.MeterProvider.ForceFlush();
    }

    /// <summary>
    /// The spans of the latest exported trace whose server span served <paramref name="path"/>, flushed until there is
    /// one: the in-memory test server hands the client its response before the request's span ends.
    /// </summary>
    public async Task<IReadOnlyList<ExportedSpan>> TraceOfAsync(string path, CancellationToken ct)
    {
        ExportedSpan? server = null;
        await Eventually.UntilAsync(() =>
        {
            Flush();
            server = Receiver.Spans().LastOrDefault(span => span.Scope == "Microsoft.AspNetCore" && span.Attributes.GetValueOrDefault("url.path") == path);
            return Task.FromResult(server is not null);
        }, $"the span of {path}", ct);
        return [.. Receiver.Spans().Where(span => span.TraceId == server!.TraceId)];
    }

    public async ValueTask DisposeAsync()
    {
        await _api.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
