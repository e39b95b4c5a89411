using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dialogs.Tests.Infrastructure;

/// <summary>What an API in this process logs, as written, for tests of what operators get to read.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    /// <summary>The messages logged at <paramref name="level"/> by the class named <paramref name="category"/> (its full name's end).</summary>
    public IReadOnlyList<string> Of(string category, LogLevel level) =>
        [.. _entries.Where(entry => entry.Category.EndsWith($".{category}", StringComparison.Ordinal) && entry.Level == level)
            .Select(entry => entry.Message)];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
