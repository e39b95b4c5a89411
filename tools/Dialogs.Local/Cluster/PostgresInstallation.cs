namespace Dialogs.Local.Cluster;

/// <summary>The PostgreSQL server binaries of this machine, and whether the Citus extension is installed for them.</summary>
public sealed record PostgresInstallation(string BinDirectory, string ExtensionDirectory, bool HasCitus)
{
    /// <summary>DIALOGS_PG_BIN if set, else the newest /usr/lib/postgresql/*/bin (Debian's layout).</summary>
    public static async Task<PostgresInstallation> FindAsync()
    {
        var bin = Environment.GetEnvironmentVariable("DIALOGS_PG_BIN")
            ?? Directory.EnumerateDirectories("/usr/lib/postgresql")
                .Select(version => Path.Combine(version, "bin"))
                .Where(candidate => File.Exists(Path.Combine(candidate, "pg_ctl")))
                .OrderByDescending(candidate => int.TryParse(Path.GetFileName(Path.GetDirectoryName(candidate)), out var major) ? major : 0)
                .FirstOrDefault()
            ?? throw new InvalidOperationException(
                "No PostgreSQL server binaries found under /usr/lib/postgresql: install postgresql-15 or set DIALOGS_PG_BIN.");
        var pgConfig = Path.Combine(bin, "pg_config");
        var extensions = Path.Combine(await Processes.RunAsync(pgConfig, ["--sharedir"]), "extension");
        var libraries = await Processes.RunAsync(pgConfig, ["--pkglibdir"]);
        var hasCitus = File.Exists(Path.Combine(extensions, "citus.control")) && File.Exists(Path.Combine(libraries, "citus.so"));
        return new PostgresInstallation(bin, extensions, hasCitus);
    }

    public string Tool(string name) => Path.Combine(BinDirectory, name);
}
