using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>The worker-down scenario's timing and limits.</summary>
/// <param name="Worker">Which worker to stop, 1-based as the local cluster names them (worker1, worker2, ...).</param>
/// <param name="StopAt">When, after the load started, the worker is stopped.</param>
/// <param name="DownFor">How long it stays down before it is started again.</param>
/// <param name="FailFastLimit">The longest a request for a dialog on the stopped worker may take to fail.</param>
/// <param name="RecoveryGrace">After the restart, how long requests for its dialogs may still fail.</param>
public sealed record WorkerDownSettings(
    LoadSettings Load,
    TimeSpan Duration,
    int Worker,
    TimeSpan StopAt,
    TimeSpan DownFor,
    TimeSpan FailFastLimit,
    TimeSpan RecoveryGrace);
