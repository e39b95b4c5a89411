using Dialogs.Local.Cluster;

namespace Dialogs.Bench.Load;

/// <summary>
/// The load generator stands in for clients on other machines, yet takes its CPU from the same two cores as the
/// service and the database, so it should cost as little as it can. By default the runtime hands every socket
/// completion from its event thread to the thread pool: one more thread wake-up per send and per receive. Inline,
/// the continuation runs on the event thread itself. Measured with 16 callers: the HTTP client's CPU fell from about
/// 130 to 50 µs per request, the raw Npgsql client's from about 100 to 85 µs per query, so both sides of every
/// comparison take the same setting, which lives in this one process.
/// </summary>
public static class LoadGeneratorSockets
{
    /// <summary>Call first thing in Main, before anything opens a socket. The API it starts is set back to the default.</summary>
    public static void RunCompletionsInline() => Environment.SetEnvironmentVariable(LocalApi.InlineSocketCompletionsVariable, "1");
}
