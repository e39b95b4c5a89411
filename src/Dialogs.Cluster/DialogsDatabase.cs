namespace Dialogs.Cluster;

/// <summary>
/// The connection string every Dialogs process reads, ConnectionStrings:dialogs: the AppHost gives its database that
/// name, and the API, the migrator and the local tools look it up by it.
/// </summary>
public static class DialogsDatabase
{
    public const string ConnectionStringName = "dialogs";
}
