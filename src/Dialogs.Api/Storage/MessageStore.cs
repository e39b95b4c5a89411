using Dialogs.Api.Messaging;
using Dialogs.Api.Telemetry;
using Npgsql;
using NpgsqlTypes;

namespace Dialogs.Api.Storage;

/// <summary>
/// All SQL of the messages (the cluster's own metadata is read by <see cref="ShardPlacements"/> and the cluster's
/// operations). Every statement filters on dialog_id = $1, the distribution column, so on Citus each is
/// a single-shard fast-path router query, and on plain PostgreSQL the same statements run unchanged.
/// </summary>
public sealed class MessageStore(NpgsqlDataSource db, TransientRetry retry, ShardPlacements placements, WorkerCircuit circuit,
    StoreBulkhead bulkhead, CoordinatorProbe coordinator, StoreTelemetry telemetry)
{
    /// <summary>The one table of the schema the migrator applies; on Citus it is distributed by dialog_id.</summary>
    public const string Table = "messages";

    /// <summary>Added together, in one transaction, by the newest migration the statements below need (0002_commit_order).</summary>
    internal const string SendIdColumn = "send_id";
    internal const string IdFunction = "dialog_message_id";

    /// <summary>Whether the migrator has created the table yet: true or false, never an error.</summary>
    internal const string TableCreatedSql = $"SELECT to_regclass('{Table}') IS NOT NULL";

    /// <summary>Whether the migrator has applied every migration the statements below need: never an error.</summary>
    internal const string SchemaAppliedSql = $"SELECT to_regclass('{Table}') IS NOT NULL AND to_regprocedure('{IdFunction}(uuid)') IS NOT NULL";

    // No created_at: a message's time is its id's (ReadMessage).
    private const string Columns = "id, sender_id, recipient_id, body";

    /// <summary>
    /// How long one statement may run. They take milliseconds, and a shard move's cutover held writes for well under a
    /// second where measured (docs/resharding.md, "Limits", for a longer one), so one still running after this waits on a node that stopped answering without closing its connections
    /// (hung, or its host silent), or on a lock held long on its shard: Npgsql's default of 30 s would hold the request,
    /// and a coordinator connection, that long. Such a timeout counts as the worker unreachable when the coordinator
    /// answers and cannot reach it (<see cref="CoordinatorProbe"/>). It is the store's data source's default (<see cref="StorageSetup.ApplyHotPathSettings"/>), so every statement
    /// here has it. A send's wait for a lock on the coordinator (a cutover's, its dialog's previous send's) ends sooner,
    /// by its transaction's lock_timeout (migration 0003_send_lock_timeout), having stored nothing, and is tried again
    /// (<see cref="TransientRetry.LockWaitBudget"/>).
    /// </summary>
    internal const int StatementTimeoutSeconds = 5;

    // The id is stamped in the statement, in commit order (see migration 0002_commit_order); created_at keeps when the
    // API accepted the send, for the record, as it did before that. No conflict target: a
    // repeat of this very insert (same send id, after a lost commit acknowledgement) and a reuse of the
    // idempotency key both end here without a second row, and return no id.
    internal const string InsertSql = $"""
        INSERT INTO {Table} (dialog_id, id, {SendIdColumn}, sender_id, recipient_id, body, created_at, idempotency_key)
        VALUES ($1, {IdFunction}($1), $2, $3, $4, $5, $6, $7)
        ON CONFLICT DO NOTHING
        RETURNING id
        """;

    internal const string FindExistingSql = $"""
        SELECT {Columns} FROM {Table}
        WHERE dialog_id = $1 AND ({SendIdColumn} = $2 OR (sender_id = $3 AND idempotency_key = $4))
        """;

    internal const string OlderPageSql = $"SELECT {Columns} FROM {Table} WHERE dialog_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
    internal const string NewerPageSql = $"SELECT {Columns} FROM {Table} WHERE dialog_id = $1 AND id > $2 ORDER BY id ASC LIMIT $3";

    /// <summary>
    /// A statement's span name in traces, `{operation} {table}` as OpenTelemetry's database conventions have it, where
    /// Npgsql would name every statement after the database alike; others (the shard map, the health check) keep that.
    /// </summary>
    internal static string? SpanNameOf(NpgsqlCommand command) => command.CommandText switch
    {
        InsertSql => $"INSERT {Table}",
        FindExistingSql or OlderPageSql or NewerPageSql => $"SELECT {Table}",
        _ => null,
    };

    /// <exception cref="SendOutcomeUnknownException">It failed after an attempt that may have stored the message.</exception>
    public async Task<SendOutcome> SendAsync(NewMessage message, CancellationToken ct)
    {
        var mayHaveStored = false;
        try
        {
            return await ObserveAsync("send", StoreWork.Send, message.Dialog, async token =>
            {
                try
                {
                    return await SendOnceAsync(message, token);
                }
                catch (Exception e) when (DatabaseErrors.MayHaveTakenEffect(e))
                {
                    // A later attempt that succeeds finds this one's row by its send id, so only a failure is in doubt.
                    mayHaveStored = true;
                    throw;
                }
            }, ct);
        }
        catch (Exception e) when (mayHaveStored && e is not OperationCanceledException)
        {
            throw new SendOutcomeUnknownException(e);
        }
    }

    public async Task<MessagePage> ReadPageAsync(DialogKey dialog, PageRequest page, CancellationToken ct)
    {
        var result = await ObserveAsync("list", StoreWork.Read, dialog, token => ReadPageOnceAsync(dialog, page, token), ct);
        telemetry.PageRead();
        return result;
    }

    /// <summary>
    /// One store operation: a span and a duration naming the shard and worker, around all its attempts; refused at
    /// once while its worker's circuit is open, or after waiting in vain for a turn (<see cref="StoreBulkhead"/>), and
    /// then not timed.
    /// </summary>
    private async Task<T> ObserveAsync<T>(string operation, StoreWork work, DialogKey dialog, Func<CancellationToken, Task<T>> attempt, CancellationToken ct)
    {
        var placement = placements.Find(dialog);
        using var observed = telemetry.Start(operation, placement);
        var probe = false;
        var entered = false;
        try
        {
            if (circuit.Refuses(placement.Node, out probe))
            {
                observed.Refused();
                throw new WorkerUnavailableException(placement.Node);
            }

            try
            {
                await bulkhead.EnterAsync(dialog, placement, work, ct);
                entered = true;
            }
            catch (NoTurnException)
            {
                observed.Refused();
                throw;
            }

            var result = await retry.ExecuteAsync(operation, attempt, ct);
            circuit.Reached(placement.Node);
            return result;
        }
        catch (OperationCanceledException e)
        {
            // Given up by its caller (the client went away, the instance stops): no fault of the worker's to count or
            // to open its circuit for, but no answer either, which its duration must not pass for.
            observed.Cancelled(e);
            throw;
        }
        catch (Exception e)
        {
            if (DatabaseErrors.IsWorkerUnreachable(e) || DatabaseErrors.IsUnanswered(e) && await coordinator.BlamesWorkerAsync(placement))
            {
                circuit.Unreachable(placement.Node);
            }

            observed.Failed(e);
            throw;
        }
        finally
        {
            if (entered)
            {
                bulkhead.Leave(dialog, placement, work);
            }

            if (probe)
            {
                circuit.ProbeEnded(placement.Node);
            }
        }
    }

    /// <summary>The send's insert with its parameters bound; the benchmark's raw baseline runs this very command.</summary>
    internal static NpgsqlCommand CreateInsert(NpgsqlDataSource db, NewMessage message)
    {
        var insert = db.CreateCommand(InsertSql);
        insert.Parameters.Add(new() { Value = message.Dialog.Value });
        insert.Parameters.Add(new() { Value = message.SendId.Value });
        insert.Parameters.Add(new() { Value = message.From.Value });
        insert.Parameters.Add(new() { Value = message.To.Value });
        insert.Parameters.Add(new() { Value = message.Text });
        insert.Parameters.Add(new() { Value = message.SendId.CreatedAt });
        insert.Parameters.Add(new() { Value = (object?)message.IdempotencyKey ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return insert;
    }

    private async Task<SendOutcome> SendOnceAsync(NewMessage message, CancellationToken ct)
    {
        await using var insert = CreateInsert(db, message);
        if (await insert.ExecuteScalarAsync(ct) is Guid id)
        {
            telemetry.MessageSent();
            return new SendOutcome.Stored(new DialogMessage(
                id.ToString("D"), message.From.Value, message.To.Value, message.Text, new MessageId(id).CreatedAt));
        }

        var existing = await FindExistingAsync(message, ct)
            ?? throw new InvalidOperationException($"Insert of send {message.SendId} conflicted, yet no conflicting row exists.");
        return existing.Text == message.Text
            ? new SendOutcome.Stored(existing)
            : new SendOutcome.KeyReusedForOtherText(existing);
    }

    /// <summary>
    /// A page's query with its parameters bound, for one row more than the page: that row tells whether another page
    /// follows, at the cost of one index entry. The benchmark's raw baseline runs this very command.
    /// </summary>
    internal static NpgsqlCommand CreatePageQuery(NpgsqlDataSource db, DialogKey dialog, PageRequest page) =>
        BindPage(db.CreateCommand(PageSql(page)), dialog, page);

    /// <summary>The same on a connection of the caller's: <see cref="StoreWarmup"/> reads through each it opens.</summary>
    internal static NpgsqlCommand CreatePageQuery(NpgsqlConnection connection, DialogKey dialog, PageRequest page) =>
        BindPage(new NpgsqlCommand(PageSql(page), connection), dialog, page);

    private static string PageSql(PageRequest page) => page.Direction == PageDirection.Older ? OlderPageSql : NewerPageSql;

    private static NpgsqlCommand BindPage(NpgsqlCommand select, DialogKey dialog, PageRequest page)
    {
        select.Parameters.Add(new() { Value = dialog.Value });
        select.Parameters.Add(new() { Value = page.Cursor.Value });
        select.Parameters.Add(new() { Value = page.Limit + 1 });
        return select;
    }

    private async Task<MessagePage> ReadPageOnceAsync(DialogKey dialog, PageRequest page, CancellationToken ct)
    {
        await using var select = CreatePageQuery(db, dialog, page);
        var messages = new List<DialogMessage>(page.Limit + 1);
        await using (var reader = await select.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                messages.Add(ReadMessage(reader));
            }
        }

        var hasMore = messages.Count > page.Limit;
        if (hasMore)
        {
            messages.RemoveAt(page.Limit);
        }

        if (page.Direction == PageDirection.Newer)
        {
            messages.Reverse();
        }

        return new MessagePage(messages, hasMore);
    }

    private async Task<DialogMessage?> FindExistingAsync(NewMessage message, CancellationToken ct)
    {
        await using var select = db.CreateCommand(FindExistingSql);
        select.Parameters.Add(new() { Value = message.Dialog.Value });
        select.Parameters.Add(new() { Value = message.SendId.Value });
        select.Parameters.Add(new() { Value = message.From.Value });
        select.Parameters.Add(new() { Value = (object?)message.IdempotencyKey ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await select.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadMessage(reader) : null;
    }

    /// <summary>
    /// A message's time is the one in its id, stamped as it was stored, in commit order: so times never run backwards
    /// down a page, as the time its send was accepted could (a send held up on its way commits after a later one). The
    /// benchmark's raw baseline decodes its rows with this too.
    /// </summary>
    internal static DialogMessage ReadMessage(NpgsqlDataReader reader)
    {
        var id = reader.GetGuid(0);
        return new(Id: id.ToString("D"), From: reader.GetString(1), To: reader.GetString(2), Text: reader.GetString(3),
            CreatedAt: new MessageId(id).CreatedAt);
    }
}

/// <summary>
/// A send failed after an attempt whose statement reached the database and got no answer: the message may be stored,
/// or be stored later. Only a retry with the same Idempotency-Key can make sure of it without a second copy.
/// </summary>
public sealed class SendOutcomeUnknownException(Exception inner)
    : Exception($"The send may have been stored: the database stopped answering after it received the insert ({inner.Message}).", inner);
