using Dialogs.Bench.Harness;
using Dialogs.Bench.Reporting;

namespace Dialogs.Bench.Scenarios;

/// <summary>
/// The targets of the issue. Throughput ratios and page latencies are judged on Citus, the deployment's shape;
/// memory on every API process the run started. A series with failed operations never meets its target.
/// </summary>
public static class Targets
{
    public const double MinThroughputRatio = 0.70;
    public const double MaxPageP99Ms = 10;
    public const double MaxApiMemoryMb = 250;

    public static IReadOnlyList<TargetCheck> Evaluate(IReadOnlyList<ClusterResult> clusters)
    {
        var checks = new List<TargetCheck>();
        if (clusters.FirstOrDefault(cluster => cluster.Kind == ClusterKind.Citus) is { } citus)
        {
            foreach (var comparison in new[] { citus.Send, citus.Read })
            {
                var result = comparison.Result;
                checks.Add(new TargetCheck(
                    $"{comparison.Operation}: API throughput ≥ {Figures.Share(MinThroughputRatio, 0)} of raw (Citus)",
                    $"{Figures.Ratio(result.ThroughputRatio)} (median of {result.Api.Runs} run pairs; pairs {ServiceReport.PairRange(result)})",
                    result.ThroughputRatio >= MinThroughputRatio && result.Api.Failed + result.Raw.Failed == 0));
            }

            foreach (var page in citus.BigDialog.Pages)
            {
                checks.Add(new TargetCheck(
                    $"{Figures.Count(citus.BigDialog.Messages)}-message dialog, {page.Page} page: API p99 < {MaxPageP99Ms} ms (Citus)",
                    $"{Figures.Ms(page.Result.Api.P99Ms)} ms",
                    page.Result.Api.P99Ms < MaxPageP99Ms && page.Result.Api.Failed == 0));
            }
        }

        foreach (var cluster in clusters)
        {
            // The readings are MiB (kB/1024, as /proc gives them); the target is in MB.
            var peakMib = Math.Max(cluster.ApiMemory.PeakRssMib, cluster.ApiMemory.HighWaterMib);
            var peakMb = peakMib * 1024 * 1024 / 1_000_000;
            // No sample means nothing was read (the process gone, /proc unreadable): not a peak of 0.
            var sampled = cluster.ApiMemory.Samples > 0;
            checks.Add(new TargetCheck(
                $"API process memory < {MaxApiMemoryMb} MB ({cluster.Kind})",
                sampled ? $"{Figures.Whole(peakMb)} MB ({Figures.Whole(peakMib)} MiB)" : "not measured: no sample was read",
                sampled && peakMb < MaxApiMemoryMb));
        }

        return checks;
    }
}
