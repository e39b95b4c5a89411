using Dialogs.Local.Cluster;

namespace Dialogs.Bench;

/// <summary>Everything a benchmark run can be told on the command line (see BenchCommandLine for the meaning and defaults).</summary>
public sealed record BenchOptions(
    int Concurrency,
    TimeSpan ServiceWarmup,
    TimeSpan Warmup,
    TimeSpan Duration,
    int Runs,
    int Dialogs,
    int Messages,
    int PageRequests,
    int StealRepeats,
    bool SkipPlain,
    int Workers,
    int ShardCount,
    Durability Durability,
    IReadOnlyDictionary<string, string> ApiSettings,
    string OutFolder,
    string WorkFolder);
