using Dialogs.LoadVerifier.Harness;
using Dialogs.LoadVerifier.Load;
using Dialogs.LoadVerifier.Reporting;
using Dialogs.LoadVerifier.Verification;

namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>What the load did and what reading back found.</summary>
public sealed record LoadOutcome(IReadOnlyList<RequestRecord> Requests, IReadOnlyList<SendRecord> Sends, Delivery Delivery,
    TimeSpan Started, TimeSpan WarmedUp, TimeSpan Stopped, long MostInFlight)
{
    /// <summary>Warm-up, before, <paramref name="during"/> (from <paramref name="from"/> to <paramref name="to"/>), <paramref name="after"/>.</summary>
    public IReadOnlyList<Phase> Phases(TimeSpan from, TimeSpan to, string during, string after) =>
    [
        new("warm-up", Started, WarmedUp),
        new("before", WarmedUp, from),
        new(during, from, to),
        new(after, to, TimeSpan.MaxValue),
    ];
}

/// <summary>
/// The part every scenario shares: the simulated users put load on the API while the scenario does its cluster
/// operation; then the load stops (also when the operation failed), every operation in flight ends, and every
/// dialog is read back.
/// </summary>
public sealed class LoadSession
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    private readonly LoadGenerator _generator;
    private readonly RequestLog _log = new();
    private readonly Action<string> _progress;
    private TimeSpan _started;

    public LoadSession(VerifierTarget target, LoadSettings settings, Action<string> progress)
    {
        settings.Validate();
        _progress = progress;
        Settings = settings;
        Clock = new RunClock();
        Timeline = new Timeline(Clock, progress);
        Population = Population.Create(settings, Guid.NewGuid().ToString("N")[..6]);
        Client = new DialogsClient(target.Api, target.Tokens);
        _generator = new LoadGenerator(Client, Population, settings, Clock, _log);
    }

    public LoadSettings Settings { get; }
    public RunClock Clock { get; }
    public Timeline Timeline { get; }
    public Population Population { get; }
    public DialogsClient Client { get; }
    public RequestLog Log => _log;

    /// <summary>Operations started so far and still running: a stall shows as this number growing.</summary>
    public long InFlight => _generator.InFlight;

    /// <param name="operation">The cluster operation; it returns when the load should stop.</param>
    public async Task<LoadOutcome> RunAsync(Func<CancellationToken, Task> operation, CancellationToken ct)
    {
        using var stop = new CancellationTokenSource();
        _started = Timeline.Mark($"load started: {Settings.Rate:0} operations/s, {Settings.SendShare:P0} sends, "
            + $"{Population.Users.Count} users, {Population.Dialogs.Count} dialogs");
        var load = _generator.RunAsync(stop.Token, ct);
        var ticker = ReportProgressAsync(stop.Token);
        TimeSpan stopped;
        try
        {
            await operation(ct);
        }
        finally
        {
            stopped = Timeline.Mark($"load stopping; waiting for the {InFlight} operations in flight");
            stop.Cancel();
            await ticker;
            // Drain the load without letting its exception replace the operation's; its own surfaces below.
            await load.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        await load;
        Timeline.Mark("reading every dialog back");
        var sends = _log.Sends;
        var delivery = await ReadBack.CheckAsync(Client, Population, sends, ct);
        Timeline.Mark($"read back {delivery.Stored} messages of {Population.Dialogs.Count} dialogs");
        return new LoadOutcome(_log.Requests, sends, delivery, _started, _started + Settings.WarmUp, stopped, _generator.MostInFlight);
    }

    private async Task ReportProgressAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(ProgressInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                _progress($"{Clock.Now.TotalSeconds,7:0.0} s  {_log.Count} requests done, {_log.Failed} failed, {InFlight} in flight");
            }
        }
        catch (OperationCanceledException)
        {
            // the load stopped
        }
    }

    /// <summary>Waits until <paramref name="offset"/> after the load started.</summary>
    public Task WaitUntilAsync(TimeSpan offset, CancellationToken ct)
    {
        var wait = _started + offset - Clock.Now;
        return wait > TimeSpan.Zero ? Task.Delay(wait, ct) : Task.CompletedTask;
    }
}
