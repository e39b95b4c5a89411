namespace Dialogs.Api.Http;

/// <summary>
/// RFC 9110 (9.3.2) asks a server for HEAD wherever it serves GET: the same status and headers, without the body, which
/// Kestrel leaves unsent. The GET's handler answers it; it is described once, as the GET, since a second operation
/// under the GET's name would make the OpenAPI document invalid.
/// </summary>
internal static class HeadRequests
{
    public static RouteHandlerBuilder MapHead(this IEndpointRouteBuilder routes, string pattern, Delegate handler) =>
        routes.MapMethods(pattern, [HttpMethods.Head], handler).ExcludeFromDescription();
}
