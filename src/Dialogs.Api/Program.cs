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
builder.Services.AddDialogsOpenApi();
builder.Services.ConfigureHttpJsonOptions(options => DialogsJson.Configure(options.SerializerOptions));

var app = builder.Build();

app.UseHttpDetailsInTraces();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapDialogsApi();
app.MapAdminApi();

app.Run();
