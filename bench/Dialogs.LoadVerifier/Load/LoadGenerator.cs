using System.Globalization;

namespace Dialogs.LoadVerifier.Load;

/// <summary>
/// Open-loop load: operation k is due at start + k / rate and starts then, however many earlier ones are still
/// waiting, so a stalled service shows as latency and a growing number of requests in flight instead of a lower
/// request rate. Sends carry an Idempotency-Key and are retried with the same key on a 503 or no response, so a
/// send is acknowledged at most once and a message is stored at most once.
/// </summary>
public sealed class LoadGenerator(DialogsClient client, Population population, LoadSettings settings, RunClock clock, RequestLog log)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan RetryPauseWithoutHeader = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestRetryPause = TimeSpan.FromSeconds(5);

    private long _inFlight;

    public long InFlight => Interlocked.Read(ref _inFlight);
    public long MostInFlight { get; private set; }

    /// <summary>Issues operations until <paramref name="stop"/> is cancelled, then waits for every one to end.</summary>
    public async Task RunAsync(CancellationToken stop, CancellationToken ct)
    {
        var random = new Random(settings.Seed);
        var started = clock.Now;
        var operations = new List<Task>();
        long issued = 0;
        while (!stop.IsCancellationRequested)
        {
            var due = (long)((clock.Now - started).TotalSeconds * settings.Rate);
            for (; issued <= due; issued++)
            {
                var scheduled = started + TimeSpan.FromSeconds(issued / settings.Rate);
                var dialog = population.Dialogs[random.Next(population.Dialogs.Count)];
                var fromA = random.Next(2) == 0;
                var (me, peer) = fromA ? (dialog.A, dialog.B) : (dialog.B, dialog.A);
                var operation = issued;
                Func<Task> run = random.NextDouble() < settings.SendShare
                    ? () => SendAsync(operation, dialog, me, peer, scheduled, ct)
                    : () => ReadAsync(operation, dialog, me, peer, scheduled, ct);
                Interlocked.Increment(ref _inFlight);
                MostInFlight = Math.Max(MostInFlight, InFlight);
                // On the thread pool: the scheduler must never wait for an operation's synchronous part.
                operations.Add(Task.Run(run, ct));
            }

            await Task.Delay(Tick, ct);
        }

        await Task.WhenAll(operations);
    }

    private async Task ReadAsync(long operation, DialogPair dialog, string me, string peer, TimeSpan scheduled, CancellationToken ct)
    {
        try
        {
            var result = await client.ReadPageAsync(me, peer, settings.PageSize, page: null, ct);
            log.Add(new RequestRecord(operation, 1, OperationKind.Read, dialog.Index, scheduled, clock.Now, result.Status,
                result.HasRetryAfter, null, result.Error));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task SendAsync(long operation, DialogPair dialog, string from, string to, TimeSpan scheduled, CancellationToken ct)
    {
        try
        {
            var key = $"{population.RunTag}-{operation.ToString(CultureInfo.InvariantCulture)}";
            var text = $"load verifier {population.RunTag} message {operation.ToString(CultureInfo.InvariantCulture)} from {from}";
            var start = scheduled;
            for (var attempt = 1; ; attempt++)
            {
                var result = await client.SendAsync(from, to, text, key, ct);
                var end = clock.Now;
                log.Add(new RequestRecord(operation, attempt, OperationKind.Send, dialog.Index, start, end, result.Status,
                    result.HasRetryAfter, result.Body?.Id, result.Error));
                var retryable = result.Status is 503 or RequestRecord.NoResponse;
                if (result.Status == 200 || !retryable || end - scheduled >= settings.GiveUpAfter)
                {
                    log.Add(new SendRecord(operation, dialog.Index, key, text, scheduled, end, attempt, result.Body?.Id));
                    return;
                }

                var pause = result.RetryAfter ?? RetryPauseWithoutHeader;
                await Task.Delay(pause < LongestRetryPause ? pause : LongestRetryPause, ct);
                start = clock.Now;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
