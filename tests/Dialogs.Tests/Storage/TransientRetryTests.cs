using System.Diagnostics;
using Dialogs.Api.Storage;
using Dialogs.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Dialogs.Tests.Storage;

/// <summary>
/// How long the store keeps trying, fed the errors the database gives: about a second for a worker Citus cannot reach,
/// about three for other passing faults, never for a defect. The policy the API runs (its own instance).
/// </summary>
public sealed class TransientRetryTests(PlainPostgres database)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_worker_Citus_cannot_reach_is_tried_for_about_a_second_another_passing_fault_for_about_three_and_a_defect_once()
    {
        var unreachable = await AttemptsUntilGivenUpAsync(new PostgresException(
            "connection to the remote node postgres@127.0.0.1:45479 failed with the following error: Connection refused", "ERROR", "ERROR",
            PostgresErrorCodes.ConnectionFailure));
        var passing = await AttemptsUntilGivenUpAsync(new PostgresException(
            "could not serialize access due to concurrent update", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure));
        var defect = await AttemptsUntilGivenUpAsync(new PostgresException(
            "duplicate key value violates unique constraint", "ERROR", "ERROR", PostgresErrorCodes.UniqueViolation));

        // Its last attempt starts before its budget is out, and a pause is at most 1.5 s: another fault's budget of 3 s
        // takes at least 1.5 s, so a worker Citus cannot reach given that budget would take at least as long.
        Assert.True(unreachable.Attempts > 1 && unreachable.Elapsed < TransientRetry.UnreachableNodeBudget * 1.4, $"unreachable: {unreachable}");
        Assert.True(passing.Elapsed > TransientRetry.UnreachableNodeBudget * 1.3 && passing.Elapsed < TransientRetry.Budget * 1.3, $"passing: {passing}");
        Assert.Equal(1, defect.Attempts);
    }

    private async Task<(int Attempts, TimeSpan Elapsed)> AttemptsUntilGivenUpAsync(Exception error)
    {
        database.Require();
        var retry = database.ApiServices.GetRequiredService<TransientRetry>();
        var attempts = 0;
        var started = Stopwatch.StartNew();
        await Assert.ThrowsAsync<PostgresException>(() => retry.ExecuteAsync<int>("test", _ =>
        {
            attempts++;
            throw error;
        }, Ct));
        return (attempts, started.Elapsed);
    }
}
