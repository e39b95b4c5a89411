namespace Dialogs.LoadVerifier.Reporting;

/// <summary>
/// A stretch of the run (before / during / after the cluster operation); a request belongs to the phase it started in.
/// The last phase is open-ended, so that retries after the load stopped still count.
/// </summary>
public sealed record Phase(string Name, TimeSpan From, TimeSpan To)
{
    public bool Contains(TimeSpan time) => time >= From && time < To;
}
