using Dialogs.Api.Messaging;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Messaging;

public sealed class DialogKeyTests
{
    [Fact]
    public void The_key_is_the_same_in_both_directions_and_differs_between_pairs()
    {
        var (a, b, c) = (Users.Id("alice"), Users.Id("bob"), Users.Id("carol"));

        Assert.Equal(DialogKey.Between(a, b), DialogKey.Between(b, a));
        Assert.NotEqual(DialogKey.Between(a, b), DialogKey.Between(a, c));
        // "ab"+"c" and "a"+"bc" must not meet: the separator keeps pairs apart.
        Assert.NotEqual(DialogKey.Between(Users.Id("ab"), Users.Id("c")), DialogKey.Between(Users.Id("a"), Users.Id("bc")));
    }

    [Fact]
    public void The_key_is_stable_across_releases()
    {
        // Stored in every row: a change here would orphan every existing dialog.
        Assert.Equal("1e2af264-70aa-8838-a6fd-22e2907b8d1b", DialogKey.Between(Users.Id("alice"), Users.Id("bob")).Value.ToString());
    }
}
