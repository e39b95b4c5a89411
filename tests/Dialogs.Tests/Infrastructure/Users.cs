namespace Dialogs.Tests.Infrastructure;

/// <summary>Fresh user ids, so every test owns its dialogs and never depends on another test's data.</summary>
public static class Users
{
    public static string New(string role = "u") => $"{role}-{Guid.NewGuid():N}"[..24];
}
