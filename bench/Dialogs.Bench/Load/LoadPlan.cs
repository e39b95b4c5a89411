namespace Dialogs.Bench.Load;

/// <summary>
/// How to drive one run: <see cref="Concurrency"/> workers in a closed loop (each starts its next operation when the
/// previous one ends), until <see cref="Operations"/> have started or, without a count, until <see cref="Duration"/>.
/// </summary>
public sealed record LoadPlan(int Concurrency, long? Operations = null, TimeSpan? Duration = null)
{
    public static LoadPlan Timed(int concurrency, TimeSpan duration) => new(concurrency, Duration: duration);

    public static LoadPlan Counted(int concurrency, long operations) => new(concurrency, Operations: operations);
}
