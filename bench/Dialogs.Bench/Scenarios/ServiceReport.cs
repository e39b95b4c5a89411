using System.Text;
using Dialogs.Bench.Load;
using Dialogs.Bench.Reporting;

namespace Dialogs.Bench.Scenarios;

/// <summary>The report of a run as tables: shown on the console and written as Markdown, next to the JSON of the whole run.</summary>
public static class ServiceReport
{
    public static IReadOnlyList<ReportTable> Tables(BenchReport report) =>
        [Throughput(report), Cpu(report), PageLatency(report), Memory(report), TargetTable(report)];

    public static string Markdown(BenchReport report)
    {
        var machine = report.Machine;
        var markdown = new StringBuilder()
            .AppendLine("# Dialogs benchmark: the service against the raw database")
            .AppendLine()
            .AppendLine(Figures.Invariant($"- Run: {report.StartedAt:yyyy-MM-dd HH:mm} UTC, {report.Minutes:0.0} min"))
            .AppendLine($"- Command: `{report.Command}`")
            .AppendLine(Figures.Invariant($"- Machine: {machine.Cores} cores ({machine.Cpu}), {machine.MemoryGiB:0} GiB, {machine.Os}, {machine.Runtime}; ")
                + "the nodes, the API and this client all on it")
            .AppendLine($"- Clusters: {string.Join("; ", report.Clusters.Select(cluster => $"{cluster.Kind}: {cluster.Topology}"))}")
            .AppendLine($"- API configuration: {(report.Options.ApiSettings.Count == 0 ? "as shipped (its appsettings.json)"
                : "as shipped, plus " + string.Join(", ", report.Options.ApiSettings.Select(setting => $"`{setting.Key}={setting.Value}`")))}")
            .AppendLine($"- Big dialog loaded with binary COPY through the coordinator in "
                + $"{string.Join(", ", report.Clusters.Select(cluster => Figures.Invariant($"{cluster.BigDialog.LoadSeconds:0.0} s ({cluster.Kind})")))}")
            .AppendLine();
        foreach (var table in Tables(report))
        {
            markdown.AppendLine(table.ToMarkdown());
        }

        foreach (var warning in NoisyMachineWarnings(report.Clusters))
        {
            markdown.AppendLine($"**{warning}**").AppendLine();
        }

        return markdown.ToString();
    }

    /// <summary>
    /// Warnings for a run measured while something else took a tenth of the cores (<see cref="SideBySide.NoisyHostSteal"/>)
    /// or more during a measured series (either side of a comparison, or of a page of the big dialog): the machine's
    /// host, even after the noisiest run pairs were measured again, or other processes of the machine. A missed target
    /// is then read with its phase.
    /// </summary>
    public static IEnumerable<string> NoisyMachineWarnings(IReadOnlyList<ClusterResult> clusters)
    {
        foreach (var (what, share) in new (string What, Func<SeriesSummary, double?> Share)[]
                 {
                     ("the machine's host took", series => series.HostStealShare),
                     ("processes outside the benchmark took", series => series.OtherProcessesShare),
                 })
        {
            var noisiest = MeteredSeries(clusters).Select(series => (series.Where, Share: share(series.Summary) ?? 0)).MaxBy(series => series.Share);
            if (noisiest.Share >= SideBySide.NoisyHostSteal)
            {
                yield return $"During a measured series {what} up to {Figures.Share(noisiest.Share, 0)} of the cores' time "
                    + $"({noisiest.Where}): this run's figures are not comparable with a quiet run's; run it again later "
                    + "(docs/benchmark-runs.md, \"The same, run to run\").";
            }
        }
    }

    /// <summary>Every measured series with where it was: the cluster, the operation or page, the side.</summary>
    private static IEnumerable<(string Where, SeriesSummary Summary)> MeteredSeries(IReadOnlyList<ClusterResult> clusters) =>
        from cluster in clusters
        from series in new[] { (cluster.Send.Operation, cluster.Send.Result), (cluster.Read.Operation, cluster.Read.Result) }
            .Concat(cluster.BigDialog.Pages.Select(page => ($"{page.Page} page", page.Result)))
        from side in new[] { ("API", series.Result.Api), ("raw", series.Result.Raw) }
        select ($"{cluster.Kind}, {series.Item1}, {side.Item1} side", side.Item2);

    private static ReportTable Throughput(BenchReport report)
    {
        var options = report.Options;
        var table = new ReportTable(
            $"Throughput: API vs raw Npgsql, same statement, {options.Concurrency} concurrent callers, {options.Runs} runs each "
            + $"in interleaved pieces of about {Figures.Count(ThroughputComparison.Slice.TotalSeconds)} s (ops/s: median run; API/raw: median of the run pairs' ratios)",
            "cluster", "operation", ReportColumn.Number("ops/run"), ReportColumn.Number("API ops/s"), ReportColumn.Number("raw ops/s"),
            ReportColumn.Number("API/raw"), ReportColumn.Number("run pairs"), ReportColumn.Number("API p50 ms"), ReportColumn.Number("API p99 ms"),
            ReportColumn.Number("raw p50 ms"), ReportColumn.Number("raw p99 ms"), ReportColumn.Number("failed"),
            ReportColumn.Number("host steal API / raw"), ReportColumn.Number("pairs measured again"));
        foreach (var cluster in report.Clusters)
        {
            foreach (var comparison in new[] { cluster.Send, cluster.Read })
            {
                var (api, raw) = (comparison.Result.Api, comparison.Result.Raw);
                table.AddRow(cluster.Kind.ToString(), comparison.Operation, Figures.Count(api.OperationsPerRun),
                    Throughput(api), Throughput(raw), Figures.Ratio(comparison.Result.ThroughputRatio), PairRange(comparison.Result),
                    Figures.Ms(api.P50Ms), Figures.Ms(api.P99Ms), Figures.Ms(raw.P50Ms), Figures.Ms(raw.P99Ms), $"{api.Failed + raw.Failed}",
                    $"{Share(api.HostStealShare)} / {Share(raw.HostStealShare)}", Repeated(comparison.Result));
            }
        }

        return table;
    }

    /// <summary>How many run pairs were measured again, with the host's share of the cores that made each one: "2 (23 %, 31 %)".</summary>
    public static string Repeated(SideBySideResult result) =>
        result.RepeatedRunSteal.Count == 0 ? "0" : $"{result.RepeatedRunSteal.Count} ({string.Join(", ", result.RepeatedRunSteal.Select(steal => Figures.Share(steal, 0)))})";

    /// <summary>The lowest and highest run-pair ratio in whole points, as "63–73 %".</summary>
    public static string PairRange(SideBySideResult result) =>
        $"{Figures.Whole(result.RunPairRatios.Lowest * 100)}–{Figures.Whole(result.RunPairRatios.Highest * 100)} %";

    /// <summary>Where each operation's CPU went: with every process on the same cores, this bounds the throughput.</summary>
    private static ReportTable Cpu(BenchReport report)
    {
        var table = new ReportTable("CPU time per operation in µs, measured runs (total: all but \"other\", the processes outside the benchmark, \"steal\", the time the virtual machine's host took from its cores, and \"idle\", core time nobody used)",
            ["cluster", "operation", "via", .. CpuParts.All.Select(ReportColumn.Number), ReportColumn.Number("total")]);
        foreach (var cluster in report.Clusters)
        {
            foreach (var comparison in new[] { cluster.Send, cluster.Read })
            {
                foreach (var (via, series) in new[] { ("API", comparison.Result.Api), ("raw", comparison.Result.Raw) })
                {
                    var cpu = series.CpuMicrosecondsPerOperation;
                    table.AddRow([cluster.Kind.ToString(), comparison.Operation, via,
                        .. CpuParts.All.Select(part => cpu is null ? "-" : Figures.Count(cpu[part])),
                        cpu is null ? "-" : Figures.Count(CpuParts.Benchmark.Sum(part => cpu[part]))]);
                }
            }
        }

        return table;
    }

    private static ReportTable PageLatency(BenchReport report)
    {
        var options = report.Options;
        var table = new ReportTable(
            $"{Figures.Count(options.Messages)}-message dialog: page latency, one request at a time, {Figures.Count(options.PageRequests)} requests × {options.Runs} runs",
            "cluster", "page", ReportColumn.Number("API p50 ms"), ReportColumn.Number("API p99 ms"), ReportColumn.Number("API max ms"),
            ReportColumn.Number("raw p50 ms"), ReportColumn.Number("raw p99 ms"), ReportColumn.Number("API ops/s"),
            ReportColumn.Number("failed"), ReportColumn.Number("host steal"), ReportColumn.Number("runs measured again"));
        foreach (var cluster in report.Clusters)
        {
            foreach (var page in cluster.BigDialog.Pages)
            {
                var (api, raw) = (page.Result.Api, page.Result.Raw);
                table.AddRow(cluster.Kind.ToString(), page.Page, Figures.Ms(api.P50Ms), Figures.Ms(api.P99Ms), Figures.Ms(api.MaxMs),
                    Figures.Ms(raw.P50Ms), Figures.Ms(raw.P99Ms), Throughput(api), $"{api.Failed + raw.Failed}", Share(api.HostStealShare),
                    Repeated(page.Result));
            }
        }

        return table;
    }

    private static ReportTable Memory(BenchReport report)
    {
        var table = new ReportTable("API process memory over the whole run on each cluster (MiB)",
            "cluster", ReportColumn.Number("peak VmRSS (sampled)"), ReportColumn.Number("VmHWM"), ReportColumn.Number("samples"));
        foreach (var cluster in report.Clusters)
        {
            table.AddRow(cluster.Kind.ToString(), Figures.Whole(cluster.ApiMemory.PeakRssMib), Figures.Whole(cluster.ApiMemory.HighWaterMib),
                $"{cluster.ApiMemory.Samples}");
        }

        return table;
    }

    private static ReportTable TargetTable(BenchReport report)
    {
        var table = new ReportTable("Targets", "target", "measured", "met");
        foreach (var target in report.Targets)
        {
            table.AddRow(target.Target, target.Measured, target.Met ? "yes" : "NO");
        }

        return table;
    }

    private static string Throughput(SeriesSummary series) => Figures.Count(series.MedianThroughput);

    private static string Share(double? share) => share is { } value ? Figures.Share(value, 1) : "-";
}
