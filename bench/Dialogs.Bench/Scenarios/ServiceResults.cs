using Dialogs.Bench.Harness;
using Dialogs.Bench.Load;

namespace Dialogs.Bench.Scenarios;

/// <summary>Everything measured on one cluster.</summary>
public sealed record ClusterResult(
    ClusterKind Kind,
    string Topology,
    Comparison Send,
    Comparison Read,
    BigDialogResult BigDialog,
    MemoryReading ApiMemory);

/// <summary>A target of the issue, what this run measured for it, and whether it was met.</summary>
public sealed record TargetCheck(string Target, string Measured, bool Met);

/// <summary>A whole run: what was asked, where it ran, what it measured and how that compares with the targets.</summary>
public sealed record BenchReport(
    DateTimeOffset StartedAt,
    double Minutes,
    string Command,
    MachineFacts Machine,
    BenchOptions Options,
    IReadOnlyList<ClusterResult> Clusters,
    IReadOnlyList<TargetCheck> Targets);
