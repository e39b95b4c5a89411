using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>The reshard scenario's timing.</summary>
/// <param name="Duration">How long the load runs at least; longer when the rebalance needs it.</param>
/// <param name="MoveAt">When, after the load started, the worker is added and the rebalance started.</param>
/// <param name="MinimumAfter">How long the load goes on after the rebalance finished (the "after" phase).</param>
/// <param name="RebalanceTimeout">How long the rebalance may take before the run gives up on it.</param>
public sealed record ReshardSettings(
    LoadSettings Load,
    TimeSpan Duration,
    TimeSpan MoveAt,
    TimeSpan MinimumAfter,
    TimeSpan RebalanceTimeout);
