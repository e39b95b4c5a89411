namespace Dialogs.Migrator;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        ToolConsole.PlainWhenRedirected();
        return MigratorApp.RunAsync(args);
    }
}
