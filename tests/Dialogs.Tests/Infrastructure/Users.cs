using Dialogs.Api.Messaging;
using Dialogs.Api.Storage;

namespace Dialogs.Tests.Infrastructure;

/// <summary>Fresh user ids, so every test owns its dialogs and never depends on another test's data.</summary>
public static class Users
{
    public static string New(string role = "u") => $"{role}-{Guid.NewGuid():N}"[..24];

    public static UserId Id(string value) => UserId.TryParse(value, out var id) ? id : throw new ArgumentException(value);

    public static DialogKey Dialog(string one, string other) => DialogKey.Between(Id(one), Id(other));

    /// <summary>A new user whose dialog with <paramref name="me"/> lies on <paramref name="worker"/> (host:port).</summary>
    public static string PeerOn(ShardPlacements placements, string me, string worker)
    {
        while (true)
        {
            var peer = New("bob");
            if (placements.Find(Dialog(me, peer)).Node == worker)
            {
                return peer;
            }
        }
    }
}
