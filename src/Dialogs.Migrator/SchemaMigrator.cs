using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dialogs.Migrator;

/// <summary>
/// Applies the embedded Migrations/*.sql files in name order, each in its own transaction together with its row in
/// schema_migrations. A file already applied is skipped, but only if unchanged: editing an applied migration is a
/// mistake to stop at, not to paper over.
/// </summary>
public sealed partial class SchemaMigrator(ILogger<SchemaMigrator> logger)
{
    private const string ResourcePrefix = "migrations/";

    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <returns>How many migrations were applied now.</returns>
    public async Task<int> ApplyAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using (var create = new NpgsqlCommand("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    text        PRIMARY KEY,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, connection))
        {
            await create.ExecuteNonQueryAsync(ct);
        }

        var applied = new Dictionary<string, string>();
        await using (var select = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection))
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                applied[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var count = 0;
        foreach (var migration in Embedded)
        {
            if (applied.TryGetValue(migration.Version, out var checksum))
            {
                if (checksum != migration.Checksum)
                {
                    throw new InvalidOperationException(
                        $"migration {migration.Version} was changed after it was applied; add a new migration instead.");
                }

                continue;
            }

            await MigratorTelemetry.StepAsync($"apply {migration.Version}", () => ApplyOneAsync(connection, migration, ct));
            LogApplied(logger, migration.Version);
            count++;
        }

        return count;
    }

    /// <summary>One migration and its record, in one transaction: applied whole or not at all.</summary>
    private static async Task ApplyOneAsync(NpgsqlConnection connection, Migration migration, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
        {
            await script.ExecuteNonQueryAsync(ct);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)", connection, transaction))
        {
            record.Parameters.Add(new() { Value = migration.Version });
            record.Parameters.Add(new() { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(ct);
        }

        await transaction.CommitAsync(ct);
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = Assembly.GetExecutingAssembly();
        return assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var stream = assembly.GetManifestResourceStream(name)!;
                using var reader = new StreamReader(stream, Encoding.UTF8);
                var sql = reader.ReadToEnd();
                var version = Path.GetFileNameWithoutExtension(name[ResourcePrefix.Length..]);
                return new Migration(version, sql, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql))));
            })
            .ToList();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version}")]
    private static partial void LogApplied(ILogger logger, string version);
}

public sealed record Migration(string Version, string Sql, string Checksum);
