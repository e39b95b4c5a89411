namespace Dialogs.Tests.Infrastructure;

/// <summary>A clock that moves only when a test moves it: wall time and the monotonic timestamp alike.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public ManualClock()
        : this(DateTimeOffset.UtcNow)
    {
    }

    public DateTimeOffset Now { get; set; } = start;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void Advance(TimeSpan by) => Now += by;

    public override DateTimeOffset GetUtcNow() => Now;

    public override long GetTimestamp() => Now.UtcTicks;
}
