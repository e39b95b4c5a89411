using System.Collections.Concurrent;

namespace Dialogs.Api.Storage;

/// <summary>
/// Remembers the workers Citus could not reach. For <see cref="OpenFor"/> after that, requests for their dialogs are
/// refused at once (a 503 with Retry-After) instead of each spending its second of retries, with an API thread and a
/// coordinator connection that the live workers' dialogs need. Then one request at a time goes through to learn
/// whether the worker is back; a success closes the circuit, another unreachable error opens it again.
/// </summary>
public sealed class WorkerCircuit(TimeProvider time)
{
    public static readonly TimeSpan OpenFor = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, Opened> _open = new();

    /// <summary>
    /// Whether a request for <paramref name="node"/> is to be refused now. A request let through while the circuit is
    /// open is its probe (<paramref name="probe"/>) and must end with <see cref="Reached"/>, <see cref="Unreachable"/>
    /// or <see cref="ProbeEnded"/>.
    /// </summary>
    public bool Refuses(string node, out bool probe)
    {
        probe = false;
        if (_open.IsEmpty || !_open.TryGetValue(node, out var opened))
        {
            return false;
        }

        lock (opened)
        {
            if (opened.Probing || time.GetUtcNow() < opened.RetryAt)
            {
                return true;
            }

            opened.Probing = probe = true;
            return false;
        }
    }

    public void Unreachable(string node)
    {
        var opened = _open.GetOrAdd(node, _ => new Opened());
        lock (opened)
        {
            opened.RetryAt = time.GetUtcNow() + OpenFor;
            opened.Probing = false;
        }
    }

    public void Reached(string node)
    {
        if (!_open.IsEmpty)
        {
            _open.TryRemove(node, out _);
        }
    }

    /// <summary>The probe ended some other way (another error, cancelled): the next request may probe.</summary>
    public void ProbeEnded(string node)
    {
        if (_open.TryGetValue(node, out var opened))
        {
            lock (opened)
            {
                opened.Probing = false;
            }
        }
    }

    private sealed class Opened
    {
        public DateTimeOffset RetryAt { get; set; }
        public bool Probing { get; set; }
    }
}

/// <summary>A request for a dialog on a worker that Citus could not reach moments ago, refused without trying.</summary>
public sealed class WorkerUnavailableException(string node)
    : Exception($"Worker {node} was unreachable moments ago; its dialogs are refused for up to {WorkerCircuit.OpenFor.TotalSeconds:0} s.");
