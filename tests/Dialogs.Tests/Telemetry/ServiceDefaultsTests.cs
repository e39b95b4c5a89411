using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry;

namespace Dialogs.Tests.Telemetry;

/// <summary>
/// Without an OTLP endpoint nothing is collected or exported: no SDK, no batching, no failed exports; a protocol the
/// exporter does not speak is said at start. Console lines start with their time in UTC, unless configuration chose a
/// formatter or a format of its own.
/// </summary>
public sealed class ServiceDefaultsTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("not an address", false)]
    [InlineData("http://127.0.0.1:4317", true)]
    public void Telemetry_is_collected_only_where_an_OTLP_endpoint_is_set(string? endpoint, bool collected)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint });

        builder.ConfigureOpenTelemetry();

        Assert.Equal(collected, builder.Services.Any(service => service.ServiceType == typeof(OpenTelemetrySdk)));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("grpc", false)]
    [InlineData("http/protobuf", false)]
    [InlineData("http/json", true)]
    [InlineData("HTTP/PROTOBUF", true)]
    public async Task A_protocol_the_exporter_does_not_speak_is_said_when_the_host_starts(string? protocol, bool said)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
        });
        var logs = new CapturedLogs();
        builder.Logging.AddProvider(logs);
        builder.ConfigureOpenTelemetry();

        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(said ? [$"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is no protocol the exporter speaks (grpc, http/protobuf): "
            + "telemetry goes out over gRPC, which an OTLP/HTTP collector does not answer"] : [],
            logs.Of("OpenTelemetryActivator", LogLevel.Warning));
    }

    [Theory]
    [InlineData(null, null, "simple", "yyyy-MM-dd HH:mm:ss.fff 'UTC' ", true)]
    [InlineData("json", null, "json", "yyyy-MM-dd HH:mm:ss.fff 'UTC' ", true)]
    [InlineData(null, "HH:mm:ss ", "simple", "HH:mm:ss ", false)]
    public void Console_lines_start_with_their_UTC_time_unless_configuration_chose_a_formatter_or_format(
        string? formatter, string? format, string expectedFormatter, string expectedFormat, bool utc)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Logging:Console:FormatterName"] = formatter,
            ["Logging:Console:FormatterOptions:TimestampFormat"] = format,
        });
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole();

        builder.ConfigureConsoleLog();

        using var host = builder.Build();
        Assert.Equal(expectedFormatter, host.Services.GetRequiredService<IOptions<ConsoleLoggerOptions>>().Value.FormatterName);
        var simple = host.Services.GetRequiredService<IOptions<SimpleConsoleFormatterOptions>>().Value;
        Assert.Equal((expectedFormat, utc), (simple.TimestampFormat, simple.UseUtcTimestamp));
    }
}
