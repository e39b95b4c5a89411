using Dialogs.Api.Messaging;
using Dialogs.Bench.Dialogs;
using Dialogs.Bench.Load;
using Dialogs.Bench.Scenarios;

namespace Dialogs.Tests.Bench;

/// <summary>How the API's and the raw runs are laid out in time.</summary>
public sealed class SideBySideTests
{
    [Fact]
    public async Task Each_run_is_done_in_pieces_interleaved_with_the_other_side_alternating_which_goes_first()
    {
        var calls = new List<string>();
        var clients = new SideBySide(new RecordingClient("a", calls), new RecordingClient("r", calls), new CpuMeter(new Dictionary<string, Func<TimeSpan>>()));

        var result = await clients.MeasureAsync("read", LoadPlan.Counted(1, 6), runs: 2, slices: 3,
            (client, _, token) => client.ReadPageAsync(default!, null, token), TestContext.Current.CancellationToken);

        // Two operations per piece; piece order a r, r a, a r, then r a, a r, r a.
        Assert.Equal("aarrrraaaarr" + "rraaaarrrraa", string.Concat(calls));
        Assert.Equal((2, 6, 6), (result.Api.Runs, result.Api.OperationsPerRun, result.Raw.OperationsPerRun));
    }

    private sealed class RecordingClient(string name, List<string> calls) : IDialogClient
    {
        public string Name => name;

        public ValueTask SendAsync(DialogPair dialog, SampleText text, CancellationToken ct) => throw new NotSupportedException();

        public ValueTask ReadPageAsync(DialogPair dialog, MessageId? before, CancellationToken ct)
        {
            calls.Add(name);
            return ValueTask.CompletedTask;
        }
    }
}
