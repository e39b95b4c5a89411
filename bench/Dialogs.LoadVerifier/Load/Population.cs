using Dialogs.Api.Messaging;

namespace Dialogs.LoadVerifier.Load;

/// <summary>One dialog of the simulated users: its index in the population, its two participants and its shard key.</summary>
public sealed record DialogPair(int Index, string A, string B, Guid Key);

/// <summary>
/// The simulated users and their dialogs: user i talks to the next <see cref="LoadSettings.ContactsPerUser"/> users
/// (wrapping around), so every user has dialogs and the dialogs' keys spread over all shards. The user ids carry a
/// run tag, so the dialogs of one run never meet those of another.
/// </summary>
public sealed class Population
{
    private Population(string runTag, IReadOnlyList<string> users, IReadOnlyList<DialogPair> dialogs)
    {
        RunTag = runTag;
        Users = users;
        Dialogs = dialogs;
    }

    public string RunTag { get; }
    public IReadOnlyList<string> Users { get; }
    public IReadOnlyList<DialogPair> Dialogs { get; }

    public static Population Create(LoadSettings settings, string runTag)
    {
        var users = Enumerable.Range(0, settings.Users).Select(i => $"lv{runTag}-u{i:D4}").ToList();
        var dialogs = new List<DialogPair>();
        for (var i = 0; i < users.Count; i++)
        {
            for (var step = 1; step <= settings.ContactsPerUser; step++)
            {
                var (a, b) = (users[i], users[(i + step) % users.Count]);
                dialogs.Add(new DialogPair(dialogs.Count, a, b, DialogKey.Between(Id(a), Id(b)).Value));
            }
        }

        return new Population(runTag, users, dialogs);
    }

    private static UserId Id(string user) =>
        UserId.TryParse(user, out var id) ? id : throw new InvalidOperationException($"'{user}' is not a valid user id.");
}
