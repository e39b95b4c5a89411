using Microsoft.AspNetCore.Http.HttpResults;

namespace Dialogs.Api.Http;

/// <summary>
/// The answers the API's handlers choose for a request they refuse (4xx, or 503 from a stopping instance): each a
/// ProblemDetails that says what to fix.
/// </summary>
public static class Problems
{
    /// <summary>
    /// 400 with the RFC 9457 "errors" member naming each invalid field, and every error in the detail too, for a client
    /// that shows only that.
    /// </summary>
    public static ProblemHttpResult Invalid(string field, string error) =>
        Invalid(new Dictionary<string, string[]> { [field] = [error] });

    public static ProblemHttpResult Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "Invalid input",
            // Each fault once: one that concerns two parameters (both cursors given) is listed under both.
            Detail = string.Join(' ', errors.Values.SelectMany(messages => messages).Distinct()),
        });

    public static ProblemHttpResult Status(int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title);
}
