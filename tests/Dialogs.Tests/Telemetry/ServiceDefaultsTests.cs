using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;

namespace Dialogs.Tests.Telemetry;

/// <summary>Without an OTLP endpoint nothing is collected or exported: no SDK, no batching, no failed exports.</summary>
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
}
