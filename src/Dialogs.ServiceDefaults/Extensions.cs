using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Cross-cutting defaults: the console log and telemetry, which the migrator takes too (<see cref="ConfigureConsoleLog"/>,
/// <see cref="ConfigureOpenTelemetry"/>), and for the API health checks and the contract's ProblemDetails.
/// </summary>
public static partial class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";

    /// <summary>
    /// Telemetry exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, a liveness check, and error bodies in the
    /// contract's ProblemDetails shape.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureConsoleLog();
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddContractProblemDetails();
        return builder;
    }

    /// <summary>
    /// Every console log line starts with its time, in UTC to the millisecond as PostgreSQL's log lines do: a log read
    /// on its own (the local service's api.log, a container's output) then tells when a fault began and ended, and
    /// lines up with the database's.
    /// </summary>
    public static TBuilder ConfigureConsoleLog<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // Only where configuration chose no formatter and no time format of its own: an operator may still choose json
        // (Logging:Console:FormatterName) or another format. Named, since without a name the console logger takes its
        // formatter's options from its own obsolete members instead.
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.FormatterName ??= ConsoleFormatterNames.Simple);
        builder.Services.Configure<SimpleConsoleFormatterOptions>(console =>
        {
            if (console.TimestampFormat is null)
            {
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff 'UTC' ";
                console.UseUtcTimestamp = true;
            }
        });
        return builder;
    }

    /// <summary>
    /// Traces, metrics and logs go to the OTLP endpoint that Aspire (or an operator) names in the standard
    /// OTEL_* variables; with no endpoint nothing is collected or exported.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!Uri.TryCreate(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"], UriKind.Absolute, out var endpoint))
        {
            return builder;
        }

        // ASP.NET Core 10 puts the OpenTelemetry request tags (http.request.method, url.path, ...) on its server span
        // only with this off (route and status it leaves out: UseHttpDetailsInTraces), and then on every request's
        // activity, also on the one it starts for log scopes alone: a dozen allocations per request that only an
        // exporter reads. Set before this host is built, which reads it.
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);

        // Endpoint and protocol are read from the host's configuration (environment variables included) and passed
        // on, so one process can host differently configured apps (the tests do); headers, batching and resource
        // attributes (OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME, ...) the SDK reads from the environment itself.
        // Any other value means gRPC, as for the SDK's own reading of the variable, but is said at start (the .NET
        // exporter has no http/json): an OTLP/HTTP collector would otherwise get nothing, and nobody be told why.
        var configuredProtocol = builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"];
        var protocol = configuredProtocol is "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        var unknownProtocol = configuredProtocol is null or "" or "grpc" or "http/protobuf" ? null : configuredProtocol;
        // Each service names its own ActivitySource and Meter after its application name (Dialogs.Api, ...).
        var appName = builder.Environment.ApplicationName;
        var describeService = DescribeService(builder.Configuration["OTEL_SERVICE_NAME"] ?? appName);
        builder.Logging.AddOpenTelemetry(logging =>
        {
            var resource = ResourceBuilder.CreateDefault();
            describeService(resource);
            logging.SetResourceBuilder(resource);
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.AddOtlpExporter(exporter =>
            {
                exporter.Protocol = protocol;
                // Appended as UseOtlpExporter appends its signals' paths, keeping a collector's path prefix (/otlp/v1/logs).
                exporter.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf ? new Uri($"{endpoint.AbsoluteUri.TrimEnd('/')}/v1/logs") : endpoint;
            });
        });

        // OpenTelemetry.Extensions.Hosting is not available here, so the SDK is created directly. A factory
        // registration lets the container dispose it, which flushes what is still buffered at shutdown.
        builder.Services.AddSingleton(_ => OpenTelemetrySdk.Create(otel => otel
            .ConfigureResource(describeService)
            .WithTracing(tracing => tracing
                .AddSource(appName, "Microsoft.AspNetCore", "System.Net.Http", "Npgsql")
                .AddProcessor(new HttpServerSpans())
                .AddProcessor(new DatabaseSpansOfRecordedWork()))
            .WithMetrics(metrics => metrics.AddMeter(appName, "Microsoft.AspNetCore.Hosting",
                "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.RateLimiting", "System.Net.Http", "System.Runtime", "Npgsql"))
            .UseOtlpExporter(protocol, endpoint)));
        builder.Services.AddHostedService(services => new OpenTelemetryActivator(
            services.GetRequiredService<OpenTelemetrySdk>(), services.GetRequiredService<ILogger<OpenTelemetryActivator>>(), unknownProtocol));
        return builder;
    }

    /// <summary>
    /// The service the telemetry comes from: <paramref name="name"/> (OTEL_SERVICE_NAME, which Aspire sets, or the
    /// application's name, not the SDK's "unknown_service:dotnet"), with one instance id for its logs, traces and
    /// metrics alike. The environment's resource variables are read after it, so that OTEL_RESOURCE_ATTRIBUTES still
    /// names the instance (Aspire's replicas), or the service where OTEL_SERVICE_NAME does not.
    /// </summary>
    private static Action<ResourceBuilder> DescribeService(string name)
    {
        var instance = Guid.NewGuid().ToString();
        return resource => resource
            .AddService(name, serviceInstanceId: instance, autoGenerateServiceInstanceId: false)
            .AddEnvironmentVariableDetector();
    }

    /// <summary>
    /// Puts the matched route (http.route) and the response's status on the server span, which ASP.NET Core 10 leaves
    /// out, so traces are named "POST /dialog/{user_id}/send" rather than by raw path and a failed request shows as one.
    /// Routing runs first in a WebApplication, so the endpoint is known here; the status is read as the response starts,
    /// after the exception handler chose it.
    /// </summary>
    public static WebApplication UseHttpDetailsInTraces(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            // Recorded: only for a span an exporter takes; ASP.NET Core also starts one for its log scopes alone.
            if (Activity.Current is { Source.Name: "Microsoft.AspNetCore", Recorded: true } activity)
            {
                if (context.GetEndpoint() is RouteEndpoint endpoint)
                {
                    activity.SetTag("http.route", endpoint.RoutePattern.RawText);
                }

                context.Response.OnStarting(() =>
                {
                    TagStatus(activity, context.Response.StatusCode);
                    return Task.CompletedTask;
                });
            }

            return next(context);
        });
        return app;
    }

    /// <summary>As the HTTP semantic conventions have it for a server: a 5xx is the server's error, a 4xx the client's.</summary>
    private static void TagStatus(Activity activity, int status)
    {
        activity.SetTag("http.response.status_code", status);
        if (status >= StatusCodes.Status500InternalServerError)
        {
            var code = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            activity.SetTag("error.type", code);
            activity.SetStatus(ActivityStatusCode.Error, code);
        }
    }

    /// <summary>
    /// Maps /health (every check, including the database) and /alive (the process only), for GET and HEAD: probes
    /// use one or the other, and MapHealthChecks alone would answer any method, a POST or DELETE too.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        var probeMethods = new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]);
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync })
            .WithMetadata(probeMethods)
            .DisableHttpMetrics();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponse.WriteAsync,
        }).WithMetadata(probeMethods).DisableHttpMetrics();
        return app;
    }

    /// <summary>
    /// Shapes ASP.NET Core's server spans as the OpenTelemetry instrumentation package would: named "{method} {route}"
    /// (ASP.NET Core 10 leaves its internal operation name), and health probes, which run every few seconds, dropped
    /// with everything beneath them so the dashboard stays readable.
    /// </summary>
    private sealed class HttpServerSpans : BaseProcessor<Activity>
    {
        private const string AspNetCore = "Microsoft.AspNetCore";

        public override void OnStart(Activity activity)
        {
            if (activity.Source.Name == AspNetCore && activity.GetTagItem("url.path") is string path && IsProbe(path))
            {
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                activity.IsAllDataRequested = false;
            }
        }

        public override void OnEnd(Activity activity)
        {
            if (activity.Source.Name == AspNetCore && activity.GetTagItem("http.request.method") is string method)
            {
                activity.DisplayName = activity.GetTagItem("http.route") is string route ? $"{method} {route}" : method;
            }
        }

        /// <summary>A probe's path as routing matches it: in any case, with or without its trailing slash.</summary>
        private static bool IsProbe(string path)
        {
            var route = path.AsSpan().TrimEnd('/');
            return route.Equals(HealthEndpointPath, StringComparison.OrdinalIgnoreCase)
                || route.Equals(AlivenessEndpointPath, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>
    /// Builds the SDK when the host starts, so telemetry flows before the first request, and says then which protocol
    /// value the exporter did not know, if any.
    /// </summary>
    private sealed partial class OpenTelemetryActivator(OpenTelemetrySdk sdk, ILogger<OpenTelemetryActivator> logger, string? unknownProtocol)
        : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = sdk.TracerProvider;
            if (unknownProtocol is not null)
            {
                LogUnknownProtocol(logger, unknownProtocol);
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "OTEL_EXPORTER_OTLP_PROTOCOL={Protocol} is no protocol the exporter "
            + "speaks (grpc, http/protobuf): telemetry goes out over gRPC, which an OTLP/HTTP collector does not answer")]
        private static partial void LogUnknownProtocol(ILogger logger, string protocol);
    }
}
