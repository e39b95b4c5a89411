using Dialogs.LoadVerifier.Load;

namespace Dialogs.LoadVerifier.Reporting;

/// <summary>
/// The longest stretch during which at least one send was outstanding (scheduled, not yet acknowledged or given up)
/// and no send was acknowledged. With hundreds of dialogs a move that blocks one shard group barely stalls the whole
/// write path, so the report also gives the slowest single send (scheduled to acknowledged, retries included): the
/// wait of the writers on the shard being cut over.
/// </summary>
public sealed record WriteStall(TimeSpan Longest, TimeSpan From, TimeSpan SlowestSend, long SlowestSendOperation)
{
    public static WriteStall Of(IEnumerable<SendRecord> sends)
    {
        var list = sends.ToList();
        // Ends sort before starts at the same instant: an acknowledgement at t ends the stall before a send at t begins one.
        var events = list.Select(s => (Time: s.Scheduled, Start: true, Acknowledged: false))
            .Concat(list.Select(s => (Time: s.End, Start: false, s.Acknowledged)))
            .OrderBy(e => e.Time).ThenBy(e => e.Start);
        var (outstanding, stallStart, longest, longestFrom) = (0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero);
        foreach (var (time, start, acknowledged) in events)
        {
            if (start)
            {
                stallStart = outstanding++ == 0 ? time : stallStart;
                continue;
            }

            outstanding--;
            if (acknowledged || outstanding == 0)
            {
                if (time - stallStart > longest)
                {
                    (longest, longestFrom) = (time - stallStart, stallStart);
                }

                stallStart = time;
            }
        }

        var slowest = list.Where(s => s.Acknowledged).MaxBy(s => s.Latency);
        return new WriteStall(longest, longestFrom, slowest?.Latency ?? TimeSpan.Zero, slowest?.Operation ?? -1);
    }
}
