using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>Cross-cutting defaults shared by the API and the migrator: telemetry and health checks.</summary>
public static class Extensions
{
    public const string HealthEndpointPath = "/health";
    public const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";

    /// <summary>Telemetry exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, plus a liveness check.</summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddContractProblemDetails();
        return builder;
    }

    /// <summary>
    /// Traces, metrics and logs go to the OTLP endpoint that Aspire (or an operator) names in the standard
    /// OTEL_* variables; with no endpoint nothing is collected or exported.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
            logging.AddOtlpExporter();
        });

        // Each service names its own ActivitySource and Meter after its application name (Dialogs.Api, ...).
        var appName = builder.Environment.ApplicationName;
        // OpenTelemetry.Extensions.Hosting is not available here, so the SDK is created directly. A factory
        // registration lets the container dispose it, which flushes what is still buffered at shutdown.
        builder.Services.AddSingleton(_ => OpenTelemetrySdk.Create(otel => otel
            .WithTracing(tracing => tracing
                .AddSource(appName, "Microsoft.AspNetCore", "System.Net.Http", "Npgsql")
                .AddProcessor(new DropHealthRequests()))
            .WithMetrics(metrics => metrics.AddMeter(appName, "Microsoft.AspNetCore.Hosting",
                "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime", "Npgsql"))
            .UseOtlpExporter()));
        builder.Services.AddHostedService<OpenTelemetryActivator>();
        return builder;
    }

    /// <summary>Maps /health (every check, including the database) and /alive (the process only).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions { ResponseWriter = HealthResponse.WriteAsync })
            .DisableHttpMetrics();
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponse.WriteAsync,
        }).DisableHttpMetrics();
        return app;
    }

    /// <summary>Health probes run every few seconds; keeping them out of traces keeps the dashboard readable.</summary>
    private sealed class DropHealthRequests : BaseProcessor<Activity>
    {
        public override void OnStart(Activity activity)
        {
            if (activity.Source.Name == "Microsoft.AspNetCore"
                && activity.GetTagItem("url.path") is HealthEndpointPath or AlivenessEndpointPath)
            {
                activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
                activity.IsAllDataRequested = false;
            }
        }
    }

    /// <summary>Builds the SDK when the host starts, so telemetry flows before the first request.</summary>
    private sealed class OpenTelemetryActivator(OpenTelemetrySdk sdk) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = sdk.TracerProvider;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
