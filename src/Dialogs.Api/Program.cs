using Dialogs.Api.Http;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Dialogs.Cluster;

var builder = WebApplication.CreateBuilder(args);
// No "Server: Kestrel" on every answer: no client needs it, and it tells a prober what runs here.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

builder.AddServiceDefaults();
builder.AddMessageStore();
builder.AddBearerAuthentication();
builder.AddSendRateLimit();
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<MessageIdGenerator>();
builder.Services.AddSingleton<ClusterOperations>(); // the admin endpoints', over the store's data source
builder.Services.AddDialogsOpenApi();
builder.Services.ConfigureHttpJsonOptions(options => DialogsJson.Configure(options.SerializerOptions));

var app = builder.Build();

app.UseHttpDetailsInTraces();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter(); // after authorization: a sender's bucket is found by its user id

app.MapDefaultEndpoints();
// The one document, at its own path: the framework's "/openapi/{documentName}.json" answers any other name with a
// plain-text 404 of its own, where an unknown path gets the service's problem. HEAD too, as wherever GET is served.
app.MapOpenApi("/openapi/v1.json").WithMetadata(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head]));
app.MapDialogsApi();
app.MapAdminApi();

app.Run();
