using Dialogs.Local;
using Dialogs.Local.Cluster;

namespace Dialogs.LoadVerifier.Harness;

/// <summary>
/// What a scenario drives: an API (an HttpClient whose BaseAddress is the API; the tool's is a real process, a test's
/// may be in-process), the token issuer that API trusts, and the local cluster behind it, whose nodes the scenario
/// adds, stops and starts.
/// </summary>
public sealed record VerifierTarget(HttpClient Api, DevTokens Tokens, LocalCluster Cluster);
