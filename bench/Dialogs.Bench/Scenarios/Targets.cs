using Dialogs.Bench.Harness;

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
                    $"{comparison.Operation}: API throughput ≥ {MinThroughputRatio:P0} of raw (Citus)",
                    $"{ServiceReport.Ratio(result.ThroughputRatio)} (median of {result.Api.Runs} run pairs; pairs {ServiceReport.PairRange(result)})",
                    result.ThroughputRatio >= MinThroughputRatio && result.Api.Failed + result.Raw.Failed == 0));
            }

            foreach (var page in citus.BigDialog.Pages)
            {
                checks.Add(new TargetCheck(
                    $"{citus.BigDialog.Messages:N0}-message dialog, {page.Page} page: API p99 < {MaxPageP99Ms} ms (Citus)",
                    $"{ServiceReport.Ms(page.Result.Api.P99Ms)} ms",
                    page.Result.Api.P99Ms < MaxPageP99Ms && page.Result.Api.Failed == 0));
            }
        }

        foreach (var cluster in clusters)
        {
            // The readings are MiB (kB/1024, as /proc gives them); the target is in MB.
            var peakMib = Math.Max(cluster.ApiMemory.PeakRssMb, cluster.ApiMemory.HighWaterMb);
            var peakMb = peakMib * 1024 * 1024 / 1_000_000;
            checks.Add(new TargetCheck(
                $"API process memory < {MaxApiMemoryMb} MB ({cluster.Kind})",
                $"{ServiceReport.Cut(peakMb, 0)} MB ({ServiceReport.Cut(peakMib, 0)} MiB)",
                peakMb < MaxApiMemoryMb));
        }

        return checks;
    }
}
