using System.Diagnostics;

namespace Dialogs.LoadVerifier.Load;

/// <summary>
/// Time since the run started. Every request, phase and cluster event is stamped with it, so the report can say what
/// happened during which step of the scenario without comparing wall clocks.
/// </summary>
public sealed class RunClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public TimeSpan Now => Stopwatch.GetElapsedTime(_start);
}
