using System.Diagnostics;
using Dialogs.Api.Telemetry;
using Npgsql;

namespace Dialogs.Api.Storage;

/// <summary>
/// Retries a database operation that failed for a passing reason (a shard move's cutover, a node restarting, a lost
/// connection), with growing, jittered pauses, starting no attempt later than <see cref="Budget"/> after the first
/// (an attempt then runs its course, up to its statement timeout). Safe for every store operation: a
/// page read changes nothing, and a send repeats its insert with the same send id, so it never stores twice.
/// Past the budget the error surfaces and becomes a 503. A worker Citus cannot reach, or a statement nobody answered,
/// gets the short budget, so a dialog on a dead worker fails within about a second while the other workers' dialogs
/// keep their pool connections. A send that waited out its lock timeout gets the long one (<see cref="LockWaitBudget"/>).
/// </summary>
public sealed partial class TransientRetry(StoreTelemetry telemetry, ILogger<TransientRetry> logger)
{
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan UnreachableNodeBudget = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A send that waited 4 s for locks on the coordinator (migration 0003_send_lock_timeout) was stored nowhere; the
    /// likeliest lock is a shard move's cutover, whose hold nothing bounds but the new placement's catch-up (measured
    /// at 0.15 s at most here). Each try waits up to 4 s again, so a send outlasts a cutover of about 12 s, holding its
    /// turns (<see cref="StoreBulkhead"/>) meanwhile: up to about 13 s, should its last try then meet a node that does
    /// not answer (its 5 s statement timeout). Sends beyond their share's turns wait 2 s for one (README, "Grow the
    /// cluster while it serves").
    /// </summary>
    public static readonly TimeSpan LockWaitBudget = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(1);

    public async Task<T> ExecuteAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var pause = FirstPause;
        var waitedForALock = false;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested && Retries(e, started, pause, ref waitedForALock, out var wait))
            {
                LogRetry(logger, operation, attempt, (int)wait.TotalMilliseconds, e.Message);
                telemetry.Retried(operation, e);
                await Task.Delay(wait, ct);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 3, LongestPause.Ticks));
            }
        }
    }

    /// <summary>
    /// Whether a failure is tried again, and after what pause: not one whose pause would end past its budget. Once an
    /// attempt has waited out its lock timeout, the operation keeps the lock wait's budget, whatever fails after it
    /// (a shard that moved meanwhile, say), but for a node that stopped answering.
    /// </summary>
    private static bool Retries(Exception e, long started, TimeSpan pause, ref bool waitedForALock, out TimeSpan wait)
    {
        wait = pause * (0.5 + Random.Shared.NextDouble());
        waitedForALock |= e is PostgresException { SqlState: PostgresErrorCodes.LockNotAvailable };
        var budget = DatabaseErrors.IsWorkerUnreachable(e) || DatabaseErrors.IsUnanswered(e) ? UnreachableNodeBudget
            : waitedForALock ? LockWaitBudget
            : Budget;
        return DatabaseErrors.IsTransient(e) && Stopwatch.GetElapsedTime(started) + wait < budget;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Operation} failed on attempt {Attempt}, retrying in {PauseMs} ms: {Reason}")]
    private static partial void LogRetry(ILogger logger, string operation, int attempt, int pauseMs, string reason);
}
