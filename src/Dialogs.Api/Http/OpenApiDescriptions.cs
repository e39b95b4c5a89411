using System.Globalization;
using Dialogs.Api.Messaging;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Net.Http.Headers;
using Microsoft.OpenApi;

namespace Dialogs.Api.Http;

/// <summary>
/// What the OpenAPI document cannot learn from the handlers' signatures, so that a client generated from it sends a
/// token, a message's body and an idempotency key, knows the page size's range and the next page's link, and reads a
/// server error.
/// </summary>
public static class OpenApiDescriptions
{
    private const string BearerScheme = JwtBearerDefaults.AuthenticationScheme;

    public static IServiceCollection AddDialogsOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options
            .AddDocumentTransformer((document, _, _) =>
            {
                // The document would name the server by the request's Host header, whatever a client put there, and a
                // cache could pass that on; without servers, a client reaches the API where it fetched the document.
                document.Servers = [];
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A JWT whose sub claim is the current user's id.",
                };
                return Task.CompletedTask;
            })
            .AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] });
                }

                return Task.CompletedTask;
            })
            .AddOperationTransformer(DescribeBaseContractErrors));

    /// <summary>
    /// What every endpoint of a group that requires a token and reads the database may answer besides its own results:
    /// no or a bad token, and the server's errors (503 while the database is out of reach).
    /// </summary>
    public static RouteGroupBuilder ProducesAuthenticatedServerProblems(this RouteGroupBuilder group) => group
        .ProducesProblem(StatusCodes.Status401Unauthorized)
        .ProducesProblem(StatusCodes.Status500InternalServerError)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    /// <summary>What <see cref="JsonBody.ReadAsync"/> answers for a body it cannot take: 400, 408, 413 and 415.</summary>
    public static RouteHandlerBuilder ProducesJsonBodyProblems(this RouteHandlerBuilder endpoint) => endpoint
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status408RequestTimeout)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>
    /// A server error's body, and a 429's, also carries the base contract's members (<see cref="Microsoft.Extensions.Hosting.ProblemDetailsDefaults"/>),
    /// which its clients read, and a 503 or a 429 says when to try again.
    /// </summary>
    private static Task DescribeBaseContractErrors(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (!int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code)
                || !ProblemDetailsDefaults.CarriesBaseContractMembers(code) || response is not OpenApiResponse error)
            {
                continue;
            }

            foreach (var media in error.Content?.Values ?? [])
            {
                media.Schema = new OpenApiSchema { AllOf = [media.Schema!, BaseContractMembers()] };
            }

            if (code is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status429TooManyRequests)
            {
                SaysWhenToRetry(error);
            }
        }

        return Task.CompletedTask;
    }

    private static void SaysWhenToRetry(OpenApiResponse response)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[HeaderNames.RetryAfter] = new OpenApiHeader
        {
            Description = "Seconds to wait before trying again.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" },
        };
    }

    private static OpenApiSchema BaseContractMembers() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string> { ProblemDetailsDefaults.MessageMember },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            [ProblemDetailsDefaults.MessageMember] = new OpenApiSchema { Type = JsonSchemaType.String },
            [ProblemDetailsDefaults.RequestIdMember] = new OpenApiSchema { Type = JsonSchemaType.String },
            [ProblemDetailsDefaults.CodeMember] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status." },
        },
    };

    /// <summary>
    /// A JSON body of <typeparamref name="T"/> that the handler reads itself (<see cref="JsonBody.ReadAsync"/>), so
    /// that every way it can be wrong gets one answer, after authentication: declared with Accepts, a body of another
    /// type would be refused by routing, before authentication and in other words.
    /// </summary>
    public static RouteHandlerBuilder ReadsJsonBody<T>(this RouteHandlerBuilder endpoint) =>
        endpoint.AddOpenApiOperationTransformer(async (operation, context, ct) =>
            operation.RequestBody = JsonRequestBody(await context.GetOrCreateSchemaAsync(typeof(T), cancellationToken: ct)));

    private static OpenApiRequestBody JsonRequestBody(IOpenApiSchema schema) => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
    };

    /// <summary>
    /// The body and the header the handler reads itself: the body as <see cref="ReadsJsonBody{T}"/> has it, with the
    /// text's rules; the header to tell one key from several.
    /// </summary>
    public static Task DescribeSend(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        operation.RequestBody = JsonRequestBody(new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "text" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["text"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    MinLength = 1,
                    MaxLength = MessageText.MaxLength,
                    Description = $"Trimmed, then 1..{MessageText.MaxLength} characters; no control characters but tab, line feed and carriage return.",
                },
            },
        });
        if (operation.Responses?.GetValueOrDefault("503") is OpenApiResponse unavailable)
        {
            unavailable.Description = $"Not stored, or, where the body says \"outcome\": \"unknown\", perhaps stored: a retry with the {DialogsApi.IdempotencyKeyHeader} it was sent with stores it once either way.";
            // Among the members the base contract's errors carry (DescribeBaseContractErrors, which the framework runs
            // first: an endpoint's own transformers come after the document's), so that a generated client has it.
            foreach (var media in unavailable.Content?.Values ?? [])
            {
                var members = (OpenApiSchema)media.Schema!.AllOf!.Single(schema => schema.Properties?.ContainsKey(ProblemDetailsDefaults.MessageMember) == true);
                members.Properties![DatabaseUnavailableHandler.OutcomeMember] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [DatabaseUnavailableHandler.UnknownOutcome],
                    Description = "Present where the send may have been stored: its insert reached the database and got no answer.",
                };
            }
        }

        if (operation.Responses?.GetValueOrDefault("429") is OpenApiResponse tooMany)
        {
            tooMany.Description = "Not tried, so not stored: the user made more send requests than the service takes from one user (a burst, then a rate a second).";
        }

        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = DialogsApi.IdempotencyKeyHeader,
            In = ParameterLocation.Header,
            Description = "Sending again with the same key and text returns the stored message and stores nothing new; "
                          + "the same key with another text is 422. A key is the sender's within one dialog: the same key "
                          + "to another user_id is another send.",
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                MinLength = 1,
                MaxLength = DialogsApi.MaxIdempotencyKeyLength,
                Pattern = $"^[{DialogsApi.FirstIdempotencyKeyCharacter}-{DialogsApi.LastIdempotencyKeyCharacter}]+$",
            },
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// limit is read as a string so that any value gets the API's own 400; it is a whole number. The Link header to the
    /// next page is set by the handler, so the document would not know it.
    /// </summary>
    public static Task DescribePage(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        if (operation.Responses?.GetValueOrDefault("200") is OpenApiResponse page)
        {
            page.Headers ??= new Dictionary<string, IOpenApiHeader>();
            page.Headers[HeaderNames.Link] = new OpenApiHeader
            {
                Description = "Only where more messages follow in the direction read: the next page's address, "
                              + "rel=\"next\" (older, with before) or rel=\"prev\" (newer, with after).",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            };
        }

        if (operation.Parameters?.OfType<OpenApiParameter>().SingleOrDefault(p => p.Name == "limit") is { } limit)
        {
            limit.Description = "How many messages the page holds at most.";
            limit.Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.Integer,
                Minimum = "1",
                Maximum = PageRequest.MaxLimit.ToString(CultureInfo.InvariantCulture),
                Default = PageRequest.DefaultLimit,
            };
        }

        // Read as strings so that any value gets the API's own 400; a cursor is a message's id, a UUID.
        foreach (var cursor in operation.Parameters?.OfType<OpenApiParameter>().Where(p => p.Name is "before" or "after") ?? [])
        {
            cursor.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" };
        }

        return Task.CompletedTask;
    }
}
