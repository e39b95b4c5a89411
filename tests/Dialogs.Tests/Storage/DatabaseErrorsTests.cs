using Dialogs.Api.Storage;
using Npgsql;

namespace Dialogs.Tests.Storage;

/// <summary>
/// Citus raises its refusals and some infrastructure faults under one code (XX000), so its words decide: a fault is a
/// 503 that may pass, a refusal is not retried.
/// </summary>
public sealed class DatabaseErrorsTests
{
    [Theory]
    [InlineData("failure on connection marked as essential: 127.0.0.1:45479", true)] // a worker lost mid-statement
    [InlineData("could not find valid entry for shard 102008", true)] // a shard moved between planning and execution
    [InlineData("cannot remove or disable the node 127.0.0.1:45479 because because it contains the only shard placement for shard 102012", false)]
    [InlineData("Shard replication factor (1) cannot be greater than number of nodes with should_have_shards=true (0).", false)]
    public void Citus_internal_errors_are_transient_only_for_a_lost_worker_or_a_moved_shard(string message, bool transient)
    {
        var error = new PostgresException(message, "ERROR", "ERROR", PostgresErrorCodes.InternalError);

        Assert.Equal(transient, DatabaseErrors.IsTransient(error));
    }
}
