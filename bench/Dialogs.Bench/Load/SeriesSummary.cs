namespace Dialogs.Bench.Load;

/// <summary>
/// Several measured runs of one thing, reduced to what a report shows: the median of the runs' throughputs (with
/// the lowest and highest, to show the spread, and each run's in order), latency percentiles over every operation of every run, and, for
/// metered runs, the CPU time per successful operation of each part of the system, in microseconds, and the share of
/// the machine's cores its host took meanwhile.
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
    double? HostStealShare)
{
    public static SeriesSummary Of(IReadOnlyList<LoadResult> runs)
    {
        if (runs.Count == 0)
        {
            throw new ArgumentException("A series needs at least one run.", nameof(runs));
        }

        var throughputs = runs.Select(run => run.Throughput).Order().ToArray();
        var latencies = LatencyHistogram.Merge(runs.Select(run => run.Latencies));
        return new SeriesSummary(
            runs.Count,
            (long)runs.Average(run => run.Succeeded + run.Failed),
            Median(throughputs),
            throughputs[0],
            throughputs[^1],
            runs.Select(run => run.Throughput).ToList(),
            latencies.PercentileMilliseconds(50),
            latencies.PercentileMilliseconds(99),
            latencies.MaxMilliseconds,
            runs.Sum(run => run.Failed),
            runs.Select(run => run.FirstError).FirstOrDefault(error => error is not null),
            CpuPerOperation(runs),
            LoadResult.Combine(runs).HostStealShare);
    }

    private static Dictionary<string, double>? CpuPerOperation(IReadOnlyList<LoadResult> runs)
    {
        var succeeded = runs.Sum(run => run.Succeeded);
        if (succeeded == 0 || runs.Any(run => run.Cpu is null))
        {
            return null;
        }

        return runs[0].Cpu!.Keys.ToDictionary(part => part,
            part => runs.Sum(run => run.Cpu![part].TotalMicroseconds) / succeeded);
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
