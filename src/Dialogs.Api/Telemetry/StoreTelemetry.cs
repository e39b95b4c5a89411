using System.Diagnostics;
using System.Diagnostics.Metrics;
using Dialogs.Api.Storage;
using Npgsql;

namespace Dialogs.Api.Telemetry;

/// <summary>
/// The store's own span and metrics: each operation is a span naming the shard and worker that served the dialog, and
/// its duration goes to a histogram tagged by operation and worker, so the latency of distributed queries shows per
/// worker. ServiceDefaults exports the source and meter named after the application ("Dialogs.Api").
/// </summary>
public sealed class StoreTelemetry : IDisposable
{
    public const string Name = "Dialogs.Api";
    public const string WorkerTag = "citus.worker";
    public const string ShardTag = "citus.shard_id";
    public const string OperationTag = "db.operation.name";
    public const string ErrorTag = "error.type";

    private static readonly ActivitySource Source = new(Name);

    private readonly WorkerLatency _latency;
    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _messagesSent;
    private readonly Counter<long> _pagesRead;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _failures;

    public StoreTelemetry(IMeterFactory meters, WorkerLatency latency)
    {
        _latency = latency;
        _meter = meters.Create(Name);
        _duration = _meter.CreateHistogram<double>("dialogs.store.operation.duration", "s",
            "Duration of a store operation (all attempts), by operation and the worker that served the dialog.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _messagesSent = _meter.CreateCounter<long>("dialogs.messages.sent", "{message}", "Messages stored (idempotent repeats not counted).");
        _pagesRead = _meter.CreateCounter<long>("dialogs.pages.read", "{page}", "Dialog pages read.");
        _retries = _meter.CreateCounter<long>("dialogs.db.retries", "{retry}", "Database calls retried after a transient fault, by reason.");
        _failures = _meter.CreateCounter<long>("dialogs.db.failures", "{failure}", "Store operations that failed, by reason.");
    }

    /// <summary>Starts the span of one store operation; dispose the result when the operation ends.</summary>
    public Operation Start(string operation, Placement placement)
    {
        var activity = Source.StartActivity($"{operation} {placement.Node}");
        activity?.SetTag(OperationTag, operation);
        activity?.SetTag(WorkerTag, placement.Node);
        if (placement.ShardId is { } shard)
        {
            activity?.SetTag(ShardTag, shard);
        }

        return new Operation(this, operation, placement, activity, Stopwatch.GetTimestamp());
    }

    public void MessageSent() => _messagesSent.Add(1);

    public void PageRead() => _pagesRead.Add(1);

    public void Retried(string operation, Exception error) =>
        _retries.Add(1, new(OperationTag, operation), new(ErrorTag, Reason(error)));

    public void Dispose() => _meter.Dispose();

    /// <summary>SQLSTATE for server errors, else the exception's type: a bounded set of values.</summary>
    public static string Reason(Exception error) => error is PostgresException postgres ? postgres.SqlState : error.GetType().Name;

    /// <summary>One store operation in progress.</summary>
    public sealed class Operation(StoreTelemetry telemetry, string name, Placement placement, Activity? activity, long started) : IDisposable
    {
        private string? _error;
        private bool _reachedDatabase = true;

        /// <summary>
        /// Refused without a try (its worker's circuit is open, or it waited in vain for a turn at the database): it
        /// still fails, but its duration says nothing of the worker, whose latency it would otherwise
        /// pull towards zero while the worker is down.
        /// </summary>
        public void Refused() => _reachedDatabase = false;

        public void Failed(Exception error)
        {
            Ended(error, Reason(error));
            telemetry._failures.Add(1, new(OperationTag, name), new(ErrorTag, _error));
        }

        /// <summary>
        /// Given up by its caller: its span and duration say it ended without an answer (error.type
        /// OperationCanceledException, whichever kind was thrown), so a client that gives up on a slow worker does not
        /// make the worker look quick; the store did not fail.
        /// </summary>
        public void Cancelled(OperationCanceledException cancellation) => Ended(cancellation, nameof(OperationCanceledException));

        private void Ended(Exception error, string reason)
        {
            _error = reason;
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            activity?.SetTag(ErrorTag, reason);
        }

        public void Dispose()
        {
            if (_reachedDatabase)
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                var tags = new TagList { { OperationTag, name }, { WorkerTag, placement.Node } };
                if (_error is not null)
                {
                    tags.Add(ErrorTag, _error);
                }

                telemetry._duration.Record(elapsed.TotalSeconds, tags);
                telemetry._latency.Record(placement.Node, elapsed);
            }

            activity?.Dispose();
        }
    }
}
