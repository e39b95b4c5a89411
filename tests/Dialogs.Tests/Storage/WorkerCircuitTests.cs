using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;

namespace Dialogs.Tests.Storage;

/// <summary>Open for a while after an unreachable error, then one probe at a time, closed by a success.</summary>
public sealed class WorkerCircuitTests
{
    private const string Worker = "10.0.0.1:5432";
    private const string Other = "10.0.0.2:5432";

    private readonly ManualClock _time = new();
    private readonly WorkerCircuit _circuit;

    public WorkerCircuitTests() => _circuit = new WorkerCircuit(_time);

    [Fact]
    public void A_worker_never_found_unreachable_is_not_refused()
    {
        Assert.False(_circuit.Refuses(Worker, out var probe));
        Assert.False(probe);
    }

    [Fact]
    public void After_an_unreachable_error_only_that_worker_is_refused_until_the_pause_ends()
    {
        _circuit.Unreachable(Worker);

        Assert.True(_circuit.Refuses(Worker, out _));
        Assert.False(_circuit.Refuses(Other, out _));
        _time.Advance(WorkerCircuit.OpenFor - TimeSpan.FromMilliseconds(1));
        Assert.True(_circuit.Refuses(Worker, out _));
    }

    [Fact]
    public void After_the_pause_one_request_probes_while_the_others_are_still_refused_and_its_success_closes_the_circuit()
    {
        _circuit.Unreachable(Worker);
        _time.Advance(WorkerCircuit.OpenFor);

        Assert.False(_circuit.Refuses(Worker, out var probe));
        Assert.True(probe);
        Assert.True(_circuit.Refuses(Worker, out _));

        _circuit.Reached(Worker);
        Assert.False(_circuit.Refuses(Worker, out var stillProbing));
        Assert.False(stillProbing);
    }

    [Fact]
    public void A_probe_that_finds_the_worker_down_opens_the_circuit_for_another_pause()
    {
        _circuit.Unreachable(Worker);
        _time.Advance(WorkerCircuit.OpenFor);
        Assert.False(_circuit.Refuses(Worker, out _));

        _circuit.Unreachable(Worker);
        _circuit.ProbeEnded(Worker);

        Assert.True(_circuit.Refuses(Worker, out _));
        _time.Advance(WorkerCircuit.OpenFor);
        Assert.False(_circuit.Refuses(Worker, out var probe));
        Assert.True(probe);
    }

    [Fact]
    public void A_probe_that_ends_another_way_lets_the_next_request_probe()
    {
        _circuit.Unreachable(Worker);
        _time.Advance(WorkerCircuit.OpenFor);
        Assert.False(_circuit.Refuses(Worker, out _));

        _circuit.ProbeEnded(Worker);

        Assert.False(_circuit.Refuses(Worker, out var probe));
        Assert.True(probe);
    }
}
