using System.Diagnostics;
using System.Net.Sockets;
using Dialogs.Api.Http;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Dialogs.Tests.Api;

/// <summary>
/// How the 503s of a fault are logged: its first refusal, then a count each second while it keeps coming, to the last;
/// each node's apart, a dialog's own crowd as one kind, outside any request's trace. The handler alone, on the
/// system's clock, since its windows are timers.
/// </summary>
public sealed class DatabaseUnavailableLogTests : IDisposable
{
    private const string FirstLine = "Database unavailable, answering 503: ";

    private readonly ServiceProvider _problems = new ServiceCollection().AddOptions().AddProblemDetails().BuildServiceProvider();
    private readonly CapturedLogs _logs = new();
    private readonly LoggerFactory _loggers;
    private readonly DatabaseUnavailableHandler _handler;

    public DatabaseUnavailableLogTests()
    {
        _loggers = new LoggerFactory([_logs]);
        _handler = new DatabaseUnavailableHandler(_problems.GetRequiredService<IProblemDetailsService>(), TimeProvider.System,
            _loggers.CreateLogger<DatabaseUnavailableHandler>());
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Faults_of_different_nodes_are_logged_apart_and_every_dialogs_own_crowd_as_one_outside_any_request()
    {
        Exception[] faults =
        [
            .. ((int[])[1, 2, 1, 2, 1, 2]).Select(Refused),
            .. ((string[])["one", "two", "three"]).Select(dialog => new NoTurnException($"Dialog {dialog} kept its requests at work", "4 requests", atDialog: true)),
        ];

        using (new Activity("a request").Start())
        {
            foreach (var fault in faults)
            {
                await RefuseAsync(fault);
            }
        }

        await Task.Delay(DatabaseUnavailableHandler.LogInterval * 1.5, Ct);

        var lines = _logs.Traced(nameof(DatabaseUnavailableHandler), LogLevel.Warning);
        Assert.Equal(6, lines.Count);
        foreach (var port in (int[])[1, 2])
        {
            Assert.Contains(lines, line => line.Message == $"{FirstLine}Failed to connect to 127.0.0.1:{port}");
            Assert.Contains(lines, line => line.Message ==
                $"Database unavailable: 2 more 503s of this kind in the last second, the last: Failed to connect to 127.0.0.1:{port}");
        }

        Assert.Contains(lines, line => line.Message == $"{FirstLine}Dialog one kept its requests at work; refused without trying.");
        // Logged a second later, by no request: not in the trace of the first one refused.
        var counted = Assert.Single(lines, line => line.Message.Contains("more 503s of this kind in the last second, the last: Dialog three", StringComparison.Ordinal));
        Assert.StartsWith("Database unavailable: 2 more", counted.Message);
        Assert.All(lines.Where(line => line.Message.Contains(" more 503s", StringComparison.Ordinal)), line => Assert.Null(line.Trace));
    }

    [Fact]
    public async Task A_fault_that_keeps_coming_is_logged_once_then_counted_each_second_down_to_a_last_count_of_one()
    {
        var clock = Stopwatch.StartNew();
        await RefuseAsync(Refused(1));
        // Half a second into each window: far from its ends, on a slow machine too.
        await Task.Delay(DatabaseUnavailableHandler.LogInterval * 0.5, Ct);
        await RefuseAsync(Refused(1));
        await Task.Delay(DatabaseUnavailableHandler.LogInterval * 1.5 - clock.Elapsed, Ct);
        await RefuseAsync(Refused(1));
        await Task.Delay(DatabaseUnavailableHandler.LogInterval * 3.5 - clock.Elapsed, Ct);

        const string Counted = "Database unavailable: 1 more 503s of this kind in the last second, the last: Failed to connect to 127.0.0.1:1";
        Assert.Equal([$"{FirstLine}Failed to connect to 127.0.0.1:1", Counted, Counted], _logs.Of(nameof(DatabaseUnavailableHandler), LogLevel.Warning));
    }

    [Fact]
    public async Task Past_the_live_kinds_kept_a_burst_of_messages_is_one_kind_and_kinds_that_ended_are_forgotten()
    {
        foreach (var port in Enumerable.Range(1000, DatabaseUnavailableHandler.MaxKinds + 44))
        {
            await RefuseAsync(Refused(port));
        }

        // Each of the first kinds apart; the rest counted under their type.
        Assert.Equal(DatabaseUnavailableHandler.MaxKinds + 1, FirstLines().Count);

        // Every kind is over once a second has passed without it (the last, two: its count came first).
        await Task.Delay(DatabaseUnavailableHandler.LogInterval * 2.5, Ct);
        await RefuseAsync(Refused(1));
        await RefuseAsync(Refused(2));

        Assert.Equal([$"{FirstLine}Failed to connect to 127.0.0.1:1", $"{FirstLine}Failed to connect to 127.0.0.1:2"], FirstLines()[^2..]);
        Assert.Equal(DatabaseUnavailableHandler.MaxKinds + 3, FirstLines().Count);
    }

    public void Dispose()
    {
        _loggers.Dispose();
        _problems.Dispose();
    }

    private static NpgsqlException Refused(int port) =>
        new($"Failed to connect to 127.0.0.1:{port}", new SocketException((int)SocketError.ConnectionRefused));

    private async Task RefuseAsync(Exception fault) => Assert.True(await _handler.TryHandleAsync(new DefaultHttpContext(), fault, Ct));

    private List<string> FirstLines() =>
        [.. _logs.Of(nameof(DatabaseUnavailableHandler), LogLevel.Warning).Where(line => line.StartsWith(FirstLine, StringComparison.Ordinal))];
}
