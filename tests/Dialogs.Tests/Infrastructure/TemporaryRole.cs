using Dialogs.Local.Cluster;

namespace Dialogs.Tests.Infrastructure;

/// <summary>
/// A login role of a test's own on a node, not a superuser (which no privilege or connection limit holds), dropped at
/// the end with whatever it was granted.
/// </summary>
public sealed class TemporaryRole : IAsyncDisposable
{
    private readonly LocalNode _node;

    private TemporaryRole(LocalNode node, string name)
    {
        _node = node;
        Name = name;
    }

    public string Name { get; }

    /// <param name="privileges">Granted once it exists, each as "SELECT ON messages".</param>
    public static async Task<TemporaryRole> CreateAsync(LocalNode node, string options = "", params string[] privileges)
    {
        var role = new TemporaryRole(node, $"role_{Guid.NewGuid():N}");
        await node.ExecuteAsync($"CREATE ROLE {role.Name} LOGIN {options}");
        foreach (var privilege in privileges)
        {
            await role.GrantAsync(privilege);
        }

        return role;
    }

    public Task GrantAsync(string privilege) => _node.ExecuteAsync($"GRANT {privilege} TO {Name}");

    public async ValueTask DisposeAsync() => await _node.ExecuteAsync($"DROP OWNED BY {Name}; DROP ROLE {Name}");
}
