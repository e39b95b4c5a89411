using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Dialogs.Tests.Infrastructure;

/// <summary>What an API in this process logs, as written, for tests of what operators get to read.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    /// <summary>The messages logged at <paramref name="level"/> by the class named <paramref name="category"/> (its full name's end).</summary>
    public IReadOnlyList<string> Of(string category, LogLevel level) => [.. Entries(category, level).Select(entry => entry.Message)];

    /// <summary>As <see cref="Of"/>, each with the trace it was logged in, if any.</summary>
    public IReadOnlyList<(string Message, ActivityTraceId? Trace)> Traced(string category, LogLevel level) =>
        [.. Entries(category, level).Select(entry => (entry.Message, entry.Trace))];

    private IEnumerable<Entry> Entries(string category, LogLevel level) =>
        _entries.Where(entry => entry.Category.EndsWith($".{category}", StringComparison.Ordinal) && entry.Level == level);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed record Entry(string Category, LogLevel Level, string Message, ActivityTraceId? Trace);

    private sealed class Logger(string category, ConcurrentQueue<Entry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new Entry(category, logLevel, formatter(state, exception), Activity.Current?.TraceId));
    }
}
