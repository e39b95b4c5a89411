using System.Diagnostics;

namespace Dialogs.Bench.Load;

/// <summary>
/// Runs one operation over and over from concurrent workers and times each call with Stopwatch timestamps. The
/// operation gets a sequence number (0, 1, 2, ... across all workers) to pick its input with, and fails by throwing:
/// a failure is counted, not timed, and does not stop the run.
/// </summary>
public static class LoadRunner
{
    /// <param name="cpu">When given, the CPU each part spent during the run is read around it.</param>
    public static async Task<LoadResult> RunAsync(LoadPlan plan, Func<long, CancellationToken, ValueTask> operation, CancellationToken ct,
        CpuMeter? cpu = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(plan.Concurrency, 1);
        if (plan.Operations is null && plan.Duration is null)
        {
            throw new ArgumentException("A load plan needs an operation count or a duration.", nameof(plan));
        }

        var state = new RunState(plan.Operations ?? long.MaxValue,
            plan.Duration is { } duration ? Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency) : long.MaxValue);
        var cpuBefore = cpu?.Read();
        var started = Stopwatch.GetTimestamp();
        // Workers start on the thread pool at once; each keeps its own histogram so recording never contends.
        var workers = Enumerable.Range(0, plan.Concurrency)
            .Select(_ => Task.Run(() => WorkAsync(state, operation, ct), ct))
            .ToArray();
        var outcomes = await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuSpent = cpu?.Read().Since(cpuBefore!);
        return new LoadResult(
            outcomes.Sum(outcome => outcome.Latencies.Count),
            outcomes.Sum(outcome => outcome.Failed),
            elapsed,
            LatencyHistogram.Merge(outcomes.Select(outcome => outcome.Latencies)),
            outcomes.Select(outcome => outcome.FirstError).FirstOrDefault(error => error is not null))
        {
            Cpu = cpuSpent,
        };
    }

    private static async Task<WorkerOutcome> WorkAsync(RunState state, Func<long, CancellationToken, ValueTask> operation, CancellationToken ct)
    {
        var latencies = new LatencyHistogram();
        long failed = 0;
        string? firstError = null;
        while (state.TryTake(out var sequence))
        {
            ct.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            try
            {
                await operation(sequence, ct);
                latencies.RecordSince(start);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                failed++;
                firstError ??= $"{e.GetType().Name}: {e.Message}";
            }
        }

        return new WorkerOutcome(latencies, failed, firstError);
    }

    private sealed record WorkerOutcome(LatencyHistogram Latencies, long Failed, string? FirstError);

    /// <summary>Hands out sequence numbers until the count is reached or the deadline has passed.</summary>
    private sealed class RunState(long operations, long deadlineTimestamp)
    {
        private long _next = -1;

        public bool TryTake(out long sequence)
        {
            sequence = Interlocked.Increment(ref _next);
            return sequence < operations && Stopwatch.GetTimestamp() < deadlineTimestamp;
        }
    }
}
