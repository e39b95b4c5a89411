using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Dialogs.Api.Http;

/// <summary>The dialog endpoints of ../shared/contract/dialogs-api.md: the base contract and our extensions.</summary>
public static class DialogsApi
{
    public const int MaxBodyBytes = 64 * 1024;
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 128;
    /// <summary>An idempotency key's characters run from the first visible ASCII one to the last (no space).</summary>
    public const char FirstIdempotencyKeyCharacter = '!', LastIdempotencyKeyCharacter = '~';

    // Any message id is a position in any dialog, its own messages' or not: ids are ordered as their times are. Named,
    // since a detail joins the faults of every parameter.
    private static string CursorRule(string name) => $"{name} must be a message id, as a page returns it.";

    public static RouteGroupBuilder MapDialogsApi(this IEndpointRouteBuilder app)
    {
        var dialog = app.MapGroup("/dialog/{user_id}").WithTags("Dialogs").RequireAuthorization()
            .ProducesAuthenticatedServerProblems();

        dialog.MapPost("/send", SendAsync)
            .WithName("SendMessage")
            .WithSummary("Send a message from the current user to user_id")
            .ProducesJsonBodyProblems()
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireRateLimiting(SendRateLimit.Policy)
            .AddOpenApiOperationTransformer(OpenApiDescriptions.DescribeSend);

        dialog.MapGet("/list", ListAsync)
            .WithName("ListMessages")
            .WithSummary("Read a page of the dialog between the current user and user_id, newest first")
            .ProducesValidationProblem()
            .AddOpenApiOperationTransformer(OpenApiDescriptions.DescribePage);

        // The next page's Link included; the page is read, but not written (MessagePageResult).
        dialog.MapHead("/list", ListAsync);

        return dialog;
    }

    public static async Task<Results<MessageResult, ProblemHttpResult>> SendAsync(
        [FromRoute(Name = "user_id"), StringLength(UserId.MaxLength, MinimumLength = 1), RegularExpression(UserId.Pattern)] string userId,
        HttpRequest request,
        ClaimsPrincipal principal,
        MessageStore store,
        MessageIdGenerator ids,
        CancellationToken ct)
    {
        if (Participants(principal, userId, out var me, out var peer) is { } refused)
        {
            return refused;
        }

        var keys = request.Headers[IdempotencyKeyHeader];
        var idempotencyKey = keys.Count == 0 ? null : keys[0];
        if (keys.Count > 1 || idempotencyKey is not null && !IsValidIdempotencyKey(idempotencyKey))
        {
            return Problems.Invalid(IdempotencyKeyHeader,
                $"{IdempotencyKeyHeader} must be one value of 1..{MaxIdempotencyKeyLength} visible ASCII characters.");
        }

        var (body, bodyProblem) = await JsonBody.ReadAsync<SendMessageRequest>(request, MaxBodyBytes, """{"text": "..."}""", ct);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        if (MessageText.Validate(body!.Text, out var text) is { } textError)
        {
            return Problems.Invalid("text", textError);
        }

        var message = new NewMessage(DialogKey.Between(me, peer), ids.Next(), me, peer, text, idempotencyKey);
        return await store.SendAsync(message, ct) switch
        {
            SendOutcome.Stored stored => new MessageResult(stored.Message),
            SendOutcome.KeyReusedForOtherText reused => Problems.Status(StatusCodes.Status422UnprocessableEntity,
                "Idempotency key reused",
                $"{IdempotencyKeyHeader} was already used for message {reused.Original.Id} with a different text."),
            var other => throw new InvalidOperationException($"Unexpected send outcome {other}."),
        };
    }

    public static async Task<Results<MessagePageResult, ProblemHttpResult>> ListAsync(
        [FromRoute(Name = "user_id"), StringLength(UserId.MaxLength, MinimumLength = 1), RegularExpression(UserId.Pattern)] string userId,
        [FromQuery] string? limit,
        [FromQuery, Description("The id of a message: the page holds the messages older than it. Any message id is a "
            + "position, one of another dialog's too: ids are ordered as the times they hold.")] string? before,
        [FromQuery, Description("The id of a message: the page holds the messages newer than it. Ids follow the order "
            + "messages were stored in, so polling after the newest id seen never skips one.")] string? after,
        HttpContext context,
        ClaimsPrincipal principal,
        MessageStore store,
        CancellationToken ct)
    {
        if (Participants(principal, userId, out var me, out var peer) is { } refused)
        {
            return refused;
        }

        if (ParsePage(context.Request.Query, limit, before, after, out var errors) is not { } page)
        {
            return Problems.Invalid(errors);
        }

        var result = await store.ReadPageAsync(DialogKey.Between(me, peer), page, ct);
        if (result.HasMore)
        {
            context.Response.Headers.Link = NextPageLink(context.Request, page, result.Messages);
        }

        return new MessagePageResult(result.Messages);
    }

    /// <summary>The dialog is always the current user's own with user_id, so nobody can read a dialog of others.</summary>
    private static ProblemHttpResult? Participants(
        ClaimsPrincipal principal, string userId, out UserId me, out UserId peer)
    {
        me = BearerAuthentication.SignedInUser(principal);
        if (!UserId.TryParse(userId, out peer))
        {
            return Problems.Invalid("user_id", $"user_id must be {UserId.Rule}.");
        }

        return peer == me ? Problems.Invalid("user_id", "A dialog needs two users: user_id must not be yourself.") : null;
    }

    private static PageRequest? ParsePage(
        IQueryCollection query, string? limit, string? before, string? after, out Dictionary<string, string[]> errors)
    {
        var found = new Dictionary<string, string[]>();
        void Refuse(string name, string reason) => found[name] = found.TryGetValue(name, out var had) ? [.. had, reason] : [reason];

        // Each parameter judged on its own, so that the 400 names every one that is wrong. The binder joins a repeated
        // parameter's values with commas, or drops an empty one: a repeated one is refused as such, its values unread.
        bool Once(string name)
        {
            if (query[name].Count <= 1)
            {
                return true;
            }

            Refuse(name, $"Give {name} once.");
            return false;
        }

        var size = PageRequest.DefaultLimit;
        // Digits checked first: int.TryParse also takes trailing NULs ("1%00").
        if (Once(nameof(limit)) && limit is not null && (limit.AsSpan().ContainsAnyExceptInRange('0', '9')
                                                         || !int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out size)
                                                         || size is < 1 or > PageRequest.MaxLimit))
        {
            Refuse(nameof(limit), $"limit must be a whole number from 1 to {PageRequest.MaxLimit}.");
        }

        var beforeId = default(MessageId);
        var afterId = default(MessageId);
        if (Once(nameof(before)) && before is not null && !MessageId.TryParse(before, out beforeId))
        {
            Refuse(nameof(before), CursorRule(nameof(before)));
        }

        if (Once(nameof(after)) && after is not null && !MessageId.TryParse(after, out afterId))
        {
            Refuse(nameof(after), CursorRule(nameof(after)));
        }

        if (before is not null && after is not null)
        {
            const string OneCursor = "Give at most one of before and after.";
            Refuse(nameof(before), OneCursor);
            Refuse(nameof(after), OneCursor);
        }

        errors = found;
        if (errors.Count > 0)
        {
            return null;
        }

        return after is not null ? new PageRequest(size, afterId, PageDirection.Newer)
            : before is not null ? new PageRequest(size, beforeId, PageDirection.Older)
            : PageRequest.Newest(size);
    }

    /// <summary>RFC 8288 link to the next page in the direction being read: older for before, newer for after.</summary>
    private static string NextPageLink(HttpRequest request, PageRequest page, IReadOnlyList<DialogMessage> messages)
    {
        var (relation, query) = page.Direction == PageDirection.Older
            ? ("next", $"before={messages[^1].Id}")
            : ("prev", $"after={messages[0].Id}");
        return $"<{request.PathBase}{request.Path}?limit={page.Limit}&{query}>; rel=\"{relation}\"";
    }

    private static bool IsValidIdempotencyKey(string key) =>
        key.Length is > 0 and <= MaxIdempotencyKeyLength && key.All(c => c is >= FirstIdempotencyKeyCharacter and <= LastIdempotencyKeyCharacter);
}

/// <summary>The body of a send: {"text": "..."}.</summary>
public sealed record SendMessageRequest([property: JsonPropertyName("text")] string? Text);
