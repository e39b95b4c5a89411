using System.Diagnostics;

namespace Dialogs.Migrator;

/// <summary>One span per step, so the dashboard shows how long schema and topology work took, and which step failed.</summary>
public static class MigratorTelemetry
{
    // Named after the application: ServiceDefaults listens to the source of that name.
    public static readonly ActivitySource Source = new(typeof(MigratorTelemetry).Assembly.GetName().Name!);

    /// <summary>Runs a step in a span of its own, an error span saying why when the step throws.</summary>
    public static async Task StepAsync(string name, Func<Task> step)
    {
        using var activity = Source.StartActivity(name);
        try
        {
            await step();
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
