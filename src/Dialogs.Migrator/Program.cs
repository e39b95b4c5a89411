namespace Dialogs.Migrator;

public static class Program
{
    public static Task<int> Main(string[] args) => MigratorApp.RunAsync(args);
}
