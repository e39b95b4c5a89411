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

    /// <summary>
    /// Stored in every row: a change here would orphan every existing dialog. The pairs after the first are ordered
    /// differently by a culture's comparison than by their bytes ('B' before 'a', '-' before '_'), which decides which
    /// id comes first in the hashed input.
    /// </summary>
    [Theory]
    [InlineData("alice", "bob", "1e2af264-70aa-8838-a6fd-22e2907b8d1b")]
    [InlineData("alice", "Bob", "060d6c7d-d4be-89af-afbc-233985d5c7bf")]
    [InlineData("a-b", "a_b", "eb94f1be-94d1-895f-b50d-3a08aa64707b")]
    [InlineData("Zed", "adam", "787d8087-eaf8-8354-9ebf-6ffcb8298770")]
    public void The_key_is_stable_across_releases(string one, string other, string key)
    {
        Assert.Equal(key, DialogKey.Between(Users.Id(one), Users.Id(other)).Value.ToString());
        Assert.Equal(key, DialogKey.Between(Users.Id(other), Users.Id(one)).Value.ToString());
    }
}
