using Dialogs.AppHost;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// The API checks HS256 tokens against this key. 44 letters and digits are the base64 of 33 bytes, which is what the
// API's SigningKeys:0:Value expects; generated once and kept in user secrets, so tokens survive a restart.
var jwtSigningKey = builder.AddParameter("jwt-signing-key",
    new GenerateParameterDefault { MinLength = 44, Special = false }, secret: true, persist: true);

var migrator = builder.AddProject<Projects.Dialogs_Migrator>("migrator");

// Probes are experimental in Aspire 13 (ASPIREPROBES001). Each also adds the health check the dashboard and WaitFor
// use. Aspire's own Azure publishers turn them into the container app's probes; azd's manifest does not carry them
// (docs/aspire.md, "Deploy"), so under `azd up` they are added to the generated infrastructure. /health gates a new
// instance's start (schema applied, pool warm), not its readiness after: during a database outage every replica
// would fail it at once, and the ingress would answer its own bare 503 where the API answers one with Retry-After.
// It answers within its own 5 s; 10 tries 10 s apart give a first deployment's migrator time.
#pragma warning disable ASPIREPROBES001
var api = builder.AddProject<Projects.Dialogs_Api>("api")
    .WithBearerTokens(jwtSigningKey)
    .WaitForCompletion(migrator) // never serve against a half-built schema
    .WithHttpProbe(ProbeType.Startup, "/health", periodSeconds: 10, timeoutSeconds: 6, failureThreshold: 10)
    .WithHttpProbe(ProbeType.Liveness, "/alive")
    .WithExternalHttpEndpoints();
#pragma warning restore ASPIREPROBES001

IResourceBuilder<IResourceWithConnectionString> database;
if (builder.ExecutionContext.IsPublishMode)
{
    // Deployed: an existing managed Citus cluster, given as its coordinator's connection string (azd asks for it).
    // It already has its workers, so the migrator gets no node list: it checks the nodes and applies the schema. As a
    // container app it is started again each time it exits; every later run takes the migration lock, finds nothing
    // to apply and exits, so that costs a short connection, not a change. (WaitForCompletion has no effect there.)
    database = builder.AddConnectionString("dialogs");
}
else
{
    var workerCount = builder.Configuration.GetValue("Citus:WorkerCount", 2);
    ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1, "Citus:WorkerCount");

    // One password for every node: the nodes log in to each other with it.
    var citusPassword = builder.AddParameter("citus-password",
        new GenerateParameterDefault { MinLength = 22, Special = false }, secret: true, persist: true);

    var coordinator = builder.AddCitusNode("citus", citusPassword);
    var workers = Enumerable.Range(0, workerCount)
        .Select(i => builder.AddCitusNode($"citus-worker-{i}", citusPassword).WithParentRelationship(coordinator))
        .ToList();

    // The resharding demo: declared, not started; start it from the dashboard, then use the API's commands.
    var standbyWorker = builder.AddCitusNode($"citus-worker-{workerCount}", citusPassword)
        .WithParentRelationship(coordinator)
        .WithExplicitStart();

    migrator.WithCitusCluster(coordinator, workers);
    api.WithClusterCommands(standbyWorker, jwtSigningKey);
    database = coordinator;
}

// Locally the connection string names no database, so Npgsql opens "postgres" (the user's name): the database where
// the Citus image created the extension on every node.
migrator.WithReference(database, connectionName: "dialogs");
api.WithReference(database, connectionName: "dialogs");

builder.Build().Run();
