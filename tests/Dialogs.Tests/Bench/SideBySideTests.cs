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

    [Fact]
    public async Task A_run_pair_the_host_took_from_is_measured_again_and_its_last_measurement_counts()
    {
        var calls = new List<string>();
        var clients = new SideBySide(new RecordingClient("a", calls), new RecordingClient("r", calls), HostTakingCoresAt(2, 10, 16), stealRepeats: 1);

        var result = await clients.MeasureAsync("read", LoadPlan.Counted(1, 1), runs: 2, slices: 1,
            (client, _, token) => client.ReadPageAsync(default!, null, token), TestContext.Current.CancellationToken);

        // Run 1: api taken from (read 2), so again: quiet. Run 2: raw taken from (read 10), so again: api taken from
        // (read 16), and no repeat is left, so that one counts.
        Assert.Equal("ar" + "ar" + "ra" + "ra", string.Concat(calls));
        Assert.Equal((2, 2), (result.Api.Runs, result.Raw.Runs));
        Assert.Equal(2, result.RepeatedRunSteal.Count);
        Assert.True(result.Api.HostStealShare > SideBySide.NoisyHostSteal);
        Assert.Equal(0, result.Raw.HostStealShare);
        Assert.StartsWith("2 (", ServiceReport.Repeated(result));
    }

    [Fact]
    public async Task A_failure_in_a_pair_measured_again_still_counts()
    {
        var calls = 0;
        var clients = new SideBySide(new RecordingClient("a", []), new RecordingClient("r", []), HostTakingCoresAt(2), stealRepeats: 1);

        // The API's first operation, in the pair the host took from, fails; its repeat succeeds.
        var result = await clients.MeasureAsync("read", LoadPlan.Counted(1, 1), runs: 1, slices: 1,
            (client, _, token) => client.Name == "a" && calls++ == 0 ? throw new HttpRequestException("refused") : client.ReadPageAsync(default!, null, token),
            TestContext.Current.CancellationToken);

        Assert.Single(result.RepeatedRunSteal);
        Assert.Equal((1, 0), (result.Api.Failed, result.Raw.Failed));
        Assert.Contains("refused", result.Api.FirstError);
    }

    /// <summary>
    /// A meter whose made-up machine is idle a second between reads of its times (two per piece: before and after),
    /// and whose host takes a second of the cores too during the pieces whose metering ends with the given reads.
    /// </summary>
    private static CpuMeter HostTakingCoresAt(params int[] reads)
    {
        var (read, steal, idle) = (0, TimeSpan.Zero, TimeSpan.Zero);
        return new CpuMeter(new Dictionary<string, Func<TimeSpan>>(), () =>
        {
            steal += reads.Contains(++read) ? TimeSpan.FromSeconds(1) : TimeSpan.Zero;
            idle += TimeSpan.FromSeconds(1);
            return new MachineTimes(TimeSpan.Zero, TimeSpan.Zero, steal, idle);
        });
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
