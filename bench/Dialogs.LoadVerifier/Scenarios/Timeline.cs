using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Scenarios;

public sealed record TimelineEvent(TimeSpan At, string What);

/// <summary>The scenario's steps, stamped with the run clock, for the report and as live progress.</summary>
public sealed class Timeline(RunClock clock, Action<string> progress)
{
    private readonly List<TimelineEvent> _events = [];

    public IReadOnlyList<TimelineEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public TimeSpan Mark(string what)
    {
        var at = clock.Now;
        lock (_events)
        {
            _events.Add(new TimelineEvent(at, what));
        }

        progress($"{at.TotalSeconds,7:0.0} s  {what}");
        return at;
    }
}
