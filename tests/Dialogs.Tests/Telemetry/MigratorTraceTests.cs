using Dialogs.Local.Cluster;
using Dialogs.Migrator;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Telemetry;

/// <summary>The migrator's steps reach the dashboard as spans, so schema work shows how long it took.</summary>
public sealed class MigratorTraceTests
{
    [Fact]
    public async Task Each_migration_step_is_exported_as_a_span_of_one_trace()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await MigrateExportingToAsync(receiver);

        var spans = receiver.Spans();
        var migrate = Assert.Single(spans, span => span.Scope == "Dialogs.Migrator" && span.Name == "migrate");
        var apply = Assert.Single(spans, span => span.Name == "apply 0001_messages");
        Assert.Equal(migrate.SpanId, apply.ParentSpanId);
        Assert.Contains(spans, span => span.Scope == "Npgsql" && span.TraceId == migrate.TraceId);
    }

    [Fact]
    public async Task Traces_and_logs_reach_a_collector_whose_endpoint_has_a_path()
    {
        // A collector behind a proxy at /otlp: every signal's path goes under it, logs too (they once went to /v1/logs).
        await using var receiver = await OtlpReceiver.StartAsync(pathPrefix: "/otlp");
        await MigrateExportingToAsync(receiver);

        Assert.Contains(receiver.Spans(), span => span.Name == "migrate");
        Assert.True(receiver.LogBatches > 0, "No log records reached /otlp/v1/logs.");
    }

    /// <summary>Migrates a fresh plain PostgreSQL node with its telemetry exported over OTLP/HTTP to <paramref name="receiver"/>.</summary>
    private static async Task MigrateExportingToAsync(OtlpReceiver receiver)
    {
        await using var database = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        var exitCode = await MigratorApp.RunAsync(
            [.. database.Cluster.MigratorArguments, $"--OTEL_EXPORTER_OTLP_ENDPOINT={receiver.Endpoint}", "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"],
            ct: TestContext.Current.CancellationToken);
        Assert.Equal(MigratorApp.Succeeded, exitCode);
    }
}
