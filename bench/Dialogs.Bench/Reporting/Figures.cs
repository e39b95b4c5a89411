using System.Globalization;

namespace Dialogs.Bench.Reporting;

/// <summary>
/// How the report writes a number: in the invariant culture, whatever the machine's (reports are read and diffed across
/// machines), and cut, never rounded, where a target judges it.
/// </summary>
public static class Figures
{
    /// <summary>A throughput ratio to a tenth of a point.</summary>
    public static string Ratio(double ratio) => Invariant($"{Cut(ratio * 100, 1):0.0} %");

    /// <summary>Milliseconds to the hundredth.</summary>
    public static string Ms(double milliseconds) => Invariant($"{Cut(milliseconds, 2):0.00}");

    /// <summary>Whole units, cut: 249.6 MB is 249.</summary>
    public static string Whole(double value) => Cut(value, 0).ToString(CultureInfo.InvariantCulture);

    /// <summary>A whole number with thousands separators: 1,000,000.</summary>
    public static string Count(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A share as a percentage with <paramref name="digits"/> decimals: 12.5 %.</summary>
    public static string Share(double share, int digits) => share.ToString($"P{digits}", CultureInfo.InvariantCulture);

    /// <summary>
    /// Every figure a target is judged on is shown cut to its last digit, never rounded, so that one just under a target
    /// never reads as on it: 69.96 % is 69.9 %, 9.996 ms is 9.99 ms, 249.6 MB is 249 MB, where rounding gave 70.0 %,
    /// 10.00 ms and 250 MB. The nudge keeps a value whose double is a hair below its digit (8.2 × 100 is 819.999...)
    /// on that digit.
    /// </summary>
    private static double Cut(double value, int digits)
    {
        var scale = Math.Pow(10, digits);
        return Math.Floor(value * scale + 1e-9) / scale;
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
