using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Scenarios;

/// <summary>What the command line needs of any scenario's result: the verdict and the raw requests for requests.csv.</summary>
public interface IVerifierResult
{
    bool Passed { get; }
    RequestLog Log { get; }
    Population Population { get; }

    /// <summary>The port of the worker that held each dialog (by index) when the load started.</summary>
    IReadOnlyList<int> DialogPorts { get; }
}
