namespace Dialogs.Tests.Infrastructure;

/// <summary>Waits for something another process does, by asking until it holds; fails the test past a deadline.</summary>
public static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    /// <summary>Returns once <paramref name="condition"/> holds, or when <paramref name="ct"/> is cancelled.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!ct.IsCancellationRequested && !await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Gave up waiting {Patience.TotalSeconds} s for {what}.");
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
