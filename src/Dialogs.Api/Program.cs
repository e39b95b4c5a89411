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

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapDialogsApi();

app.Run();
