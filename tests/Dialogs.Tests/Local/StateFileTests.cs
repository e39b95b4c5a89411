using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Local;

/// <summary>The local tool's state files: a write cut short keeps the previous state, and a damaged file is named.</summary>
public sealed class StateFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"dialogs-state-{Guid.NewGuid():N}.json");

    [Fact]
    public void A_write_that_fails_part_way_leaves_the_previous_state_whole()
    {
        StateFile.Write(_path, new State("before", 1));

        // Serialised member by member: "name" is written before "port" throws, as a write cut short would leave it.
        Assert.Throws<InvalidOperationException>(() => StateFile.Write(_path, new FailingState()));

        Assert.Equal(new State("before", 1), StateFile.Read<State>(_path, "remove it"));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("{\"Name\": \"cut")]
    [InlineData("")]
    public void A_file_that_is_not_a_state_is_named_with_what_to_do(string content)
    {
        File.WriteAllText(_path, content);

        var damaged = Assert.Throws<InvalidOperationException>(() => StateFile.Read<State>(_path, "remove it"));

        Assert.StartsWith($"{_path} is damaged", damaged.Message);
        Assert.EndsWith(": remove it", damaged.Message);
    }

    [Fact]
    public void A_missing_file_is_no_state()
    {
        Assert.Null(StateFile.Read<State>(_path, "remove it"));
    }

    public void Dispose()
    {
        File.Delete(_path);
        File.Delete(_path + ".new");
    }

    private sealed record State(string Name, int Port);

    private sealed class FailingState
    {
        public string Name => new('x', 100_000);

        public int Port => throw new InvalidOperationException("the write is cut short");
    }
}
