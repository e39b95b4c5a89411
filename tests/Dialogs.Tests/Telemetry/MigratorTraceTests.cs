using Dialogs.Local.Cluster;
using Dialogs.Migrator;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Telemetry;

/// <summary>The migrator's steps reach the dashboard as spans, so schema work shows how long it took, and which step failed.</summary>
public sealed class MigratorTraceTests
{
    [Fact]
    public async Task Each_migration_step_is_exported_as_a_span_of_one_trace()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var port = await MigrateExportingToAsync(receiver);

        var spans = receiver.Spans();
        var migrate = MigrateSpan(spans, port);
        var apply = Assert.Single(spans, span => span.TraceId == migrate.TraceId && span.Name == "apply 0001_messages");
        Assert.Equal(migrate.SpanId, apply.ParentSpanId);
    }

    [Fact]
    public async Task A_failed_migration_is_an_error_span_saying_why()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        // Workers named for a coordinator without Citus: refused after the connection, inside the migration.
        var port = await MigrateExportingToAsync(receiver, MigratorApp.Failed, prepare: null, "--Citus:CoordinatorHost=127.0.0.1", "--Citus:Workers:0=127.0.0.1:1");

        var migrate = MigrateSpan(receiver.Spans(), port);
        Assert.Equal(2, migrate.Status);
    }

    [Fact]
    public async Task The_step_that_failed_is_an_error_span_too()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        // A table of that name made by hand: the first migration's CREATE TABLE fails, inside its step.
        var port = await MigrateExportingToAsync(receiver, MigratorApp.Failed,
            prepare: node => node.ExecuteAsync("CREATE TABLE messages (id int)"));

        var spans = receiver.Spans();
        var migrate = MigrateSpan(spans, port);
        var apply = Assert.Single(spans, span => span.TraceId == migrate.TraceId && span.Name == "apply 0001_messages");
        Assert.Equal((2, migrate.SpanId), (apply.Status, apply.ParentSpanId));
        Assert.Equal(2, migrate.Status);
    }

    [Fact]
    public async Task Traces_and_logs_reach_a_collector_whose_endpoint_has_a_path()
    {
        // A collector behind a proxy at /otlp: every signal's path goes under it, logs too (they once went to /v1/logs).
        await using var receiver = await OtlpReceiver.StartAsync(pathPrefix: "/otlp");
        var port = await MigrateExportingToAsync(receiver);

        MigrateSpan(receiver.Spans(), port);
        Assert.True(receiver.LogBatches > 0, "No log records reached /otlp/v1/logs.");
    }

    /// <summary>
    /// The one "migrate" span whose trace holds queries to the server on <paramref name="port"/>. Other tests run the
    /// migrator in this process meanwhile, and the spans of its activity source reach every listener, this test's too.
    /// </summary>
    private static ExportedSpan MigrateSpan(IReadOnlyList<ExportedSpan> spans, string port) =>
        Assert.Single(spans, span => span.Scope == "Dialogs.Migrator" && span.Name == "migrate"
            && spans.Any(query => query.TraceId == span.TraceId && query.Scope == "Npgsql"
                && query.Attributes.GetValueOrDefault("server.port") == port));

    /// <summary>
    /// Migrates a fresh plain PostgreSQL node, after <paramref name="prepare"/> if any, with its telemetry exported over
    /// OTLP/HTTP to <paramref name="receiver"/>; returns the node's port.
    /// </summary>
    private static async Task<string> MigrateExportingToAsync(OtlpReceiver receiver, int expectedExitCode = MigratorApp.Succeeded,
        Func<LocalNode, Task>? prepare = null, params string[] more)
    {
        await using var database = await TemporaryCluster.StartAsync(await PostgresInstallation.FindAsync(), citus: false, workers: 0);
        if (prepare is not null)
        {
            await prepare(database.Cluster.Coordinator);
        }

        var exitCode = await MigratorApp.RunAsync(
            [.. database.Cluster.MigratorArguments, $"--OTEL_EXPORTER_OTLP_ENDPOINT={receiver.Endpoint}", "--OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", .. more],
            TextWriter.Null, TestContext.Current.CancellationToken);
        Assert.Equal(expectedExitCode, exitCode);
        return database.Cluster.Coordinator.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
