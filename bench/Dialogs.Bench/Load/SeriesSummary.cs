namespace Dialogs.Bench.Load;

/// <summary>
/// Several measured runs of one thing, reduced to what a report shows: the median of the runs' throughputs (with
/// the lowest and highest, to show the spread, and each run's in order), latency percentiles over every operation of every run, and, for
/// metered runs, the CPU time per successful operation of each part of the system, in microseconds, and the share of
/// the machine's cores its host, and processes outside the benchmark, took meanwhile.
/// </summary>
public sealed record SeriesSummary(
    int Runs,
    long OperationsPerRun,
    double MedianThroughput,
    double MinThroughput,
    double MaxThroughput,
    IReadOnlyList<double> RunThroughputs,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    long Failed,
    string? FirstError,
    IReadOnlyDictionary<string, double>? CpuMicrosecondsPerOperation,
    double? HostStealShare,
    double? OtherProcessesShare)
{
    public static SeriesSummary Of(IReadOnlyList<LoadResult> runs)
    {
        if (runs.Count == 0)
        {
            throw new ArgumentException("A series needs at least one run.", nameof(runs));
        }

        // Every operation of every run, as one: latencies, failures and CPU are counted over the whole series.
        var all = LoadResult.Combine(runs);
        var throughputs = runs.Select(run => run.Throughput).ToList();
        return new SeriesSummary(
            runs.Count,
            (all.Succeeded + all.Failed) / runs.Count,
            Median(throughputs),
            throughputs.Min(),
            throughputs.Max(),
            throughputs,
            all.Latencies.PercentileMilliseconds(50),
            all.Latencies.PercentileMilliseconds(99),
            all.Latencies.MaxMilliseconds,
            all.Failed,
            all.FirstError,
            CpuPerOperation(all),
            all.HostStealShare,
            all.OtherProcessesShare);
    }

    private static Dictionary<string, double>? CpuPerOperation(LoadResult all) =>
        all.Succeeded == 0 || all.Cpu is null
            ? null
            : all.Cpu.ToDictionary(part => part.Key, part => part.Value.TotalMicroseconds / all.Succeeded);

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
