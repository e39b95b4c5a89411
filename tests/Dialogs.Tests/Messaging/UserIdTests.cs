using System.Text.RegularExpressions;
using Dialogs.Api.Messaging;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Messaging;

public sealed class UserIdTests
{
    [Theory]
    [InlineData("3FA85F64-5717-4562-B3FC-2C963F66AFA6", "3fa85f64-5717-4562-b3fc-2c963f66afa6")] // a UUID, either case
    [InlineData("3fa85f64-5717-4562-B3FC-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa6")]
    [InlineData("Alice", "Alice")] // any other id is compared exactly
    [InlineData("3FA85F64-5717-4562-B3FC-2C963F66AFAX", "3FA85F64-5717-4562-B3FC-2C963F66AFAX")] // UUID-long, not a UUID
    [InlineData("3FA85F6457174562B3FC2C963F66AFA6", "3FA85F6457174562B3FC2C963F66AFA6")] // hex without hyphens: not the UUID form
    public void A_UUID_is_kept_in_lower_case_and_any_other_id_as_given(string given, string kept)
    {
        Assert.Equal(kept, Users.Id(given).Value);
    }

    [Theory]
    [InlineData("alice")]
    [InlineData("a_b-C9")]
    [InlineData("")]
    [InlineData("al ice")]
    [InlineData("alice\n")] // ECMA-262's $, unlike .NET's default one, does not match before a final line feed
    [InlineData("élise")]
    [InlineData("1234567890123456789012345678901234567890123456789012345678901234")]
    [InlineData("12345678901234567890123456789012345678901234567890123456789012345")]
    public void The_pattern_the_OpenAPI_document_gives_takes_what_the_API_takes(string candidate)
    {
        // OpenAPI's patterns are ECMA-262 regular expressions, whose $ is .NET's \z.
        var asEcmaScriptReadsIt = UserId.Pattern.Replace("$", @"\z", StringComparison.Ordinal);

        Assert.Equal(UserId.TryParse(candidate, out _), Regex.IsMatch(candidate, asEcmaScriptReadsIt));
    }
}
