using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Reporting;

/// <summary>Latency percentiles of one kind of request in one phase, in milliseconds (exact: every request is kept).</summary>
public sealed record LatencyRow(string Phase, string Kind, int Requests, int Failed, double P50, double P90, double P99, double P999, double Max)
{
    public static LatencyRow Of(string phase, string kind, IReadOnlyCollection<RequestRecord> requests)
    {
        var sorted = requests.Select(r => r.Latency.TotalMilliseconds).Order().ToArray();
        return new LatencyRow(phase, kind, sorted.Length, requests.Count(r => !r.Succeeded),
            Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99), Percentile(sorted, 99.9), sorted.LastOrDefault());
    }

    // The nearest rank, ceil(p/100 × n); the tolerance keeps a product that binary fractions put a hair above a whole
    // number (99.9 / 100 × 1,000 is 999.0000000000001) from taking the next rank.
    private static double Percentile(double[] sorted, double percent) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percent / 100 * sorted.Length - 1e-9) - 1, 0, sorted.Length - 1)];
}
