using Dialogs.Api.Http;
using Dialogs.Local;
using Dialogs.Local.Cluster;
using Dialogs.Migrator;
using Npgsql;

[assembly: AssemblyFixture(typeof(Dialogs.Tests.Infrastructure.PlainPostgres))]
[assembly: AssemblyFixture(typeof(Dialogs.Tests.Infrastructure.CitusCluster))]

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL servers, started by the suite itself from this machine's binaries (as the postgres user when
/// running as root) in a temporary folder on free ports, migrated by the real migrator, with the real API in front.
/// </summary>
public abstract class Database : IAsyncLifetime
{
    private TemporaryCluster? _nodes;
    private TestApi? _api;
    private NpgsqlDataSource? _dataSource;

    // Each member that needs the started database requires it, so a test on a missing one is skipped, not failed.
    public LocalCluster Cluster
    {
        get
        {
            Require();
            return _nodes!.Cluster;
        }
    }

    /// <summary>Why this database is not there (Citus not installed), or null.</summary>
    public string? MissingBecause { get; private set; }

    public string ConnectionString => Cluster.Coordinator.ConnectionString();

    public NpgsqlDataSource DataSource
    {
        get
        {
            Require();
            return _dataSource!;
        }
    }

    protected abstract bool UsesCitus { get; }

    protected virtual int Workers => 0;

    /// <summary>Marks the calling test skipped, with the reason, when this database could not be started.</summary>
    public void Require() => Assert.SkipWhen(MissingBecause is not null, MissingBecause ?? "");

    public async ValueTask InitializeAsync()
    {
        var postgres = await PostgresInstallation.FindAsync();
        MissingBecause = UsesCitus ? TemporaryCluster.CitusMissing(postgres, "the Citus tests") : null;
        if (MissingBecause is not null)
        {
            return;
        }

        _nodes = await TemporaryCluster.StartAsync(postgres, UsesCitus, Workers);
        var errors = new StringWriter();
        if (await MigratorApp.RunAsync([.. _nodes.Cluster.MigratorArguments, .. MigratorSettings], errors) != MigratorApp.Succeeded)
        {
            throw new InvalidOperationException($"The migrator failed on the test cluster: {errors}");
        }

        _dataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>Extra migrator settings of this cluster, as command-line arguments.</summary>
    public virtual IEnumerable<string> MigratorSettings => [];

    /// <summary>An HTTP client of the real API on this database, signed in as <paramref name="user"/> (or anonymous).</summary>
    public HttpClient Client(string? user = null, params string[] roles) => Api.Client(user, roles);

    /// <summary>The issuer of the tokens the real API on this database trusts.</summary>
    public DevTokens Tokens => Api.Tokens;

    /// <summary>The services of the real API on this database, to check how it is set up.</summary>
    public IServiceProvider ApiServices => Api.Services;

    private TestApi Api
    {
        get
        {
            Require();
            // The tests on it fill dialogs through the API, a thousand messages from one sender at times: faster than
            // a user may send. The limit itself is SendRateLimitTests', on APIs of their own.
            return _api ??= new TestApi(ConnectionString, new Dictionary<string, string>
            {
                [$"{SendRateLimitOptions.Section}:{nameof(SendRateLimitOptions.Burst)}"] = "1000000",
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }

        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_nodes is not null)
        {
            await _nodes.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>One plain PostgreSQL node: the schema and queries must work without Citus too.</summary>
public sealed class PlainPostgres : Database
{
    protected override bool UsesCitus => false;
}

/// <summary>A Citus coordinator with two workers, when the extension is installed; otherwise its tests skip.</summary>
public sealed class CitusCluster : Database
{
    public const int ShardCount = 16;

    protected override bool UsesCitus => true;

    protected override int Workers => 2;

    public override IEnumerable<string> MigratorSettings => [$"--Citus:ShardCount={ShardCount}"];
}
