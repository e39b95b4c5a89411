using System.Text.Json;
using Dialogs.Api.Http;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMessageStore();
builder.AddBearerAuthentication();
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<MessageIdGenerator>();
builder.Services.AddOpenApi();
// snake_case like the contract's created_at; the message and problem shapes name their members explicitly anyway.
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);

var app = builder.Build();

app.UseRouteInTraces();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapDialogsApi();
app.MapAdminApi();

app.Run();
