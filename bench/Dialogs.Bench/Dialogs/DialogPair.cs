using Dialogs.Api.Messaging;

namespace Dialogs.Bench.Dialogs;

/// <summary>A dialog the benchmark writes or reads: the user who acts, the peer, and the real distribution key.</summary>
public sealed record DialogPair(UserId Sender, UserId Peer)
{
    public DialogKey Key { get; } = DialogKey.Between(Sender, Peer);

    /// <summary><paramref name="count"/> distinct dialogs, so their keys spread over all shards.</summary>
    public static IReadOnlyList<DialogPair> Create(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => new DialogPair(User($"{prefix}{i:D6}-a"), User($"{prefix}{i:D6}-b"))).ToArray();

    private static UserId User(string id) =>
        UserId.TryParse(id, out var user) ? user : throw new ArgumentException($"'{id}' is not a valid user id.", nameof(id));
}
