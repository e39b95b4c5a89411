namespace Dialogs.Tests.Infrastructure;

/// <summary>Waits for something another process does, by asking until it holds; fails the test past a deadline.</summary>
public static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    // Asks again soon at first, for the quick cases, then less often, so a wait of minutes does not load the cluster.
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(20), LongestPause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Returns once <paramref name="condition"/> holds, or when <paramref name="ct"/> is cancelled; fails the test after
    /// <paramref name="patience"/> (<see cref="Patience"/> unless given), with what <paramref name="seen"/> tells of the
    /// last answer where given.
    /// </summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct, TimeSpan? patience = null,
        Func<string>? seen = null)
    {
        var limit = patience ?? Patience;
        var deadline = DateTime.UtcNow + limit;
        var pause = FirstPause;
        while (!ct.IsCancellationRequested && !await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Gave up waiting {limit.TotalSeconds} s for {what}.{(seen is null ? "" : $" Last seen: {seen()}")}");
            await Task.Delay(pause, CancellationToken.None);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }
}
