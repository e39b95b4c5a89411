using System.Collections.Concurrent;
using System.Globalization;

namespace Dialogs.LoadVerifier.Load;

/// <summary>Everything the load did, recorded from many concurrent operations.</summary>
public sealed class RequestLog
{
    private readonly ConcurrentQueue<RequestRecord> _requests = new();
    private readonly ConcurrentQueue<SendRecord> _sends = new();
    private int _failed;

    public IReadOnlyList<RequestRecord> Requests => [.. _requests.OrderBy(r => r.Start)];
    public IReadOnlyList<SendRecord> Sends => [.. _sends.OrderBy(s => s.Scheduled)];

    public int Count => _requests.Count;
    public int Failed => Volatile.Read(ref _failed);

    public void Add(RequestRecord request)
    {
        _requests.Enqueue(request);
        if (!request.Succeeded)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    public void Add(SendRecord send) => _sends.Enqueue(send);

    /// <summary>One line per request, for looking at a run in a spreadsheet or with awk.</summary>
    /// <param name="ports">The worker port of each dialog, by index.</param>
    public async Task WriteCsvAsync(string path, IReadOnlyList<DialogPair> dialogs, IReadOnlyList<int> ports, CancellationToken ct)
    {
        await using var writer = new StreamWriter(path);
        await writer.WriteLineAsync("operation,attempt,kind,dialog,dialog_key,node_port,start_ms,latency_ms,status,retry_after,message_id,error".AsMemory(), ct);
        foreach (var r in Requests)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{r.Operation},{r.Attempt},{r.Kind},{r.Dialog},{dialogs[r.Dialog].Key},{ports[r.Dialog]},{r.Start.TotalMilliseconds:0.0},{r.Latency.TotalMilliseconds:0.0},{r.Status},{r.HasRetryAfter},{r.MessageId},\"{r.Error?.Replace('"', '\'')}\"");
            await writer.WriteLineAsync(line.AsMemory(), ct);
        }
    }
}
