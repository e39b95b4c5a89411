namespace Dialogs.LoadVerifier.Load;

/// <summary>What load to put on the API.</summary>
/// <param name="Rate">Operations started per second, by the clock, whether or not earlier ones have finished.</param>
/// <param name="Users">Simulated users; each talks to <paramref name="ContactsPerUser"/> others, one dialog per pair.</param>
/// <param name="SendShare">The fraction of operations that are sends; the rest read a dialog's newest page.</param>
/// <param name="PageSize">The limit of a page read under load.</param>
/// <param name="SendGiveUp">How long a client keeps retrying one send (503 or no response) before it gives up.</param>
/// <param name="Seed">Seeds the choice of operation, dialog and sender, so two runs issue the same sequence.</param>
/// <param name="WarmUpTime">
/// The first stretch of the load, reported as its own phase: a cold API and coordinator (JIT, connection pools, TLS
/// connections from the coordinator to the workers) are slow for seconds, which is not what the "before" phase
/// should compare with.
/// </param>
public sealed record LoadSettings(
    double Rate = 200,
    int Users = 200,
    int ContactsPerUser = 2,
    double SendShare = 0.5,
    int PageSize = 20,
    TimeSpan? SendGiveUp = null,
    int Seed = 1,
    TimeSpan? WarmUpTime = null)
{
    public TimeSpan GiveUpAfter => SendGiveUp ?? TimeSpan.FromSeconds(60);
    public TimeSpan WarmUp => WarmUpTime ?? TimeSpan.FromSeconds(10);

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Rate);
        ArgumentOutOfRangeException.ThrowIfLessThan(Users, 3);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ContactsPerUser);
        if (ContactsPerUser * 2 >= Users)
        {
            throw new ArgumentException("--contacts must be fewer than half of --users: each user talks to the next ones, one dialog per pair.");
        }

        if (SendShare is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(SendShare), "The send share is a fraction from 0 to 1.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(PageSize);
    }
}
