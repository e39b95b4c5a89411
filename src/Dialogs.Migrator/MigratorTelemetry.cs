using System.Diagnostics;

namespace Dialogs.Migrator;

/// <summary>One span per step, so the dashboard shows how long schema and topology work took.</summary>
public static class MigratorTelemetry
{
    // Named after the application: ServiceDefaults listens to the source of that name.
    public static readonly ActivitySource Source = new(typeof(MigratorTelemetry).Assembly.GetName().Name!);
}
