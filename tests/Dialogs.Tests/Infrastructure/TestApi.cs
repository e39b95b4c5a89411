using Dialogs.Local;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// The real API in this process (WebApplicationFactory) on a test database, trusting a token issuer of its own, and
/// clients signed in by that issuer.
/// </summary>
public sealed class TestApi : IAsyncDisposable
{
    /// <param name="services">More services, registered after the API's own.</param>
    public TestApi(string connectionString, IReadOnlyDictionary<string, string>? settings = null, CapturedLogs? logs = null,
        Action<IServiceCollection>? services = null)
    {
        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseSetting($"ConnectionStrings:{Dialogs.Cluster.DialogsDatabase.ConnectionStringName}", connectionString);
            foreach (var (key, value) in Tokens.ApiConfiguration.Concat(settings ?? new Dictionary<string, string>()))
            {
                web.UseSetting(key, value);
            }

            if (logs is not null)
            {
                web.ConfigureLogging(logging => logging.AddProvider(logs));
            }

            if (services is not null)
            {
                web.ConfigureServices(services);
            }
        });
    }

    public DevTokens Tokens { get; } = DevTokens.CreateNew();

    public WebApplicationFactory<Program> Factory { get; }

    public IServiceProvider Services => Factory.Services;

    /// <summary>An HTTP client of this API, signed in as <paramref name="user"/> (or anonymous).</summary>
    public HttpClient Client(string? user = null, params string[] roles)
    {
        var client = Factory.CreateClient();
        if (user is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", Tokens.Create(user, TimeSpan.FromHours(1), roles));
        }

        return client;
    }

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}
