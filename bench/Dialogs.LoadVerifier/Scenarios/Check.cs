namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>One pass/fail verdict of a scenario; any failed check makes the run fail (non-zero exit code).</summary>
public sealed record Check(string Name, bool Passed, string Detail);
