using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Dialogs.Tests.Telemetry;

/// <param name="Status">The span's status code: 0 unset, 1 ok, 2 error.</param>
public sealed record ExportedSpan(string Scope, string Name, string TraceId, string SpanId, string ParentSpanId, IReadOnlyDictionary<string, string> Attributes,
    int Status);

/// <param name="Bounds">A histogram point's bucket boundaries; none for a sum's.</param>
public sealed record ExportedPoint(string Metric, string Unit, IReadOnlyDictionary<string, string> Attributes, IReadOnlyList<double> Bounds);

/// <summary>An OTLP/HTTP endpoint inside the test process that keeps what the real exporter sends it.</summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<byte[]> _traces = new();
    private readonly ConcurrentQueue<byte[]> _metrics = new();
    private readonly ConcurrentQueue<byte[]> _logs = new();
    private readonly string _pathPrefix;

    private OtlpReceiver(WebApplication app, string pathPrefix)
    {
        _app = app;
        _pathPrefix = pathPrefix;
    }

    /// <summary>The endpoint to configure, with the path prefix a collector behind a proxy may have.</summary>
    public string Endpoint => _app.Urls.Single() + _pathPrefix;

    /// <summary>Batches of log records received (their content is not decoded).</summary>
    public int LogBatches => _logs.Count;

    /// <param name="pathPrefix">A path the signals' paths follow, "/otlp" for /otlp/v1/traces; none by default.</param>
    public static async Task<OtlpReceiver> StartAsync(string pathPrefix = "")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var receiver = new OtlpReceiver(builder.Build(), pathPrefix);
        receiver._app.MapPost($"{pathPrefix}/v1/traces", (HttpRequest request) => Keep(request, receiver._traces));
        receiver._app.MapPost($"{pathPrefix}/v1/metrics", (HttpRequest request) => Keep(request, receiver._metrics));
        receiver._app.MapPost($"{pathPrefix}/v1/logs", (HttpRequest request) => Keep(request, receiver._logs));
        await receiver._app.StartAsync();
        return receiver;
    }

    /// <summary>ExportTraceServiceRequest → ResourceSpans(1) → ScopeSpans(2) → Span(2), whose Status(15) has its code at 3.</summary>
    public IReadOnlyList<ExportedSpan> Spans() =>
        [.. from body in _traces
            from resource in Protobuf.Read(body).Where(f => f.Number == 1)
            from scope in resource.All(2)
            from span in scope.All(2)
            select new ExportedSpan(scope.One(1)?.One(1)?.Text ?? "", span.One(5)!.Text, Hex(span.One(1)), Hex(span.One(2)),
                Hex(span.One(4)), Attributes(span.All(9)), (int)(span.One(15)?.One(3)?.Value ?? 0))];

    /// <summary>
    /// ExportMetricsServiceRequest → ResourceMetrics(1) → ScopeMetrics(2) → Metric(2: name 1, unit 3) → histogram(9)/sum(7)
    /// → points(1), a histogram's with its bounds as packed doubles (7).
    /// </summary>
    public IReadOnlyList<ExportedPoint> Points() =>
        [.. from body in _metrics
            from resource in Protobuf.Read(body).Where(f => f.Number == 1)
            from scope in resource.All(2)
            from metric in scope.All(2)
            from data in metric.Fields.Where(f => f.Number is 5 or 7 or 9)
            from point in data.All(1)
            select new ExportedPoint(metric.One(1)!.Text, metric.One(3)?.Text ?? "", Attributes(point.All(data.Number == 9 ? 9 : 7)),
                data.Number == 9 && point.One(7) is { } bounds ? MemoryMarshal.Cast<byte, double>(bounds.Payload.Span).ToArray() : [])];

    /// <summary>The resource of every batch of spans: ExportTraceServiceRequest → ResourceSpans(1) → Resource(1) → attributes(1).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> TraceResources() => ResourcesOf(_traces);

    /// <summary>The resource of every batch of log records, as <see cref="TraceResources"/> (ResourceLogs).</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> LogResources() => ResourcesOf(_logs);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static List<IReadOnlyDictionary<string, string>> ResourcesOf(IEnumerable<byte[]> batches) =>
        [.. from body in batches
            from resource in Protobuf.Read(body).Where(f => f.Number == 1)
            select Attributes(resource.One(1)?.All(1) ?? [])];

    private static async Task<IResult> Keep(HttpRequest request, ConcurrentQueue<byte[]> store)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        store.Enqueue(buffer.ToArray());
        return Results.Ok();
    }

    /// <summary>KeyValue(key 1, AnyValue 2: string 1, bool 2, int 3, double 4).</summary>
    private static Dictionary<string, string> Attributes(IEnumerable<ProtoField> keyValues) =>
        keyValues.ToDictionary(kv => kv.One(1)!.Text, kv => kv.One(2)?.Fields.FirstOrDefault() is { } value
            ? value.Number == 1 ? value.Text : ((long)value.Value).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "");

    private static string Hex(ProtoField? field) => field is null ? "" : Convert.ToHexStringLower(field.Payload.Span);
}
