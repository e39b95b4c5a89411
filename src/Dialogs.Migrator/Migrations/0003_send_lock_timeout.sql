-- A send that waits on a lock is told so within 4 s, so that the API can try it again instead of giving up on it
-- with its outcome unknown. Two waits are on the node that runs the statement (the coordinator on Citus), before
-- anything is sent on: for the dialog's send lock, behind the dialog's previous send; and, on Citus, for the shard's
-- metadata, which a shard move's cutover holds for as long as the new placement takes to catch up (only writes wait
-- for it). Waited out by the store's 5 s statement timeout, such a send was cut off as if a node had stopped
-- answering, its outcome unknown though nothing of it had left the coordinator. Ended by lock_timeout, it fails with
-- lock_not_available (55P03) before it reached its shard: nothing was stored, and the API retries it for as long as
-- a cutover may plausibly last (TransientRetry.LockWaitBudget).
--
-- lock_timeout bounds each wait, not their sum: a send queued behind its dialog's previous send, which a cutover holds,
-- gets the send lock only as that one gives up, then waits for the shard. So once it holds the send lock, what is left
-- of the 4 s since its statement began is all the later waits get (at least a millisecond: 0 would mean no limit).
-- Set with is_local, as SET LOCAL would: for the insert's own transaction only, so no pooled session keeps it, and
-- no page read has it. In plain expressions, as the lock is taken below, not queries of their own (see 0002).
CREATE OR REPLACE FUNCTION dialog_message_id(dialog uuid) RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    micros bigint;
BEGIN
    IF set_config('lock_timeout', '4s', true) IS NULL THEN
        NULL;
    END IF;
    -- Two int4 keys ('Dial' in ASCII, then the dialog): a key space apart from the migrator's single bigint lock.
    IF pg_advisory_xact_lock(1147756908, uuid_hash(dialog)) IS NULL THEN
        NULL;
    END IF;
    micros := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    IF set_config('lock_timeout', greatest(1, 4000 - (micros - (extract(epoch FROM statement_timestamp()) * 1000000)::bigint) / 1000)::text, true) IS NULL THEN
        NULL;
    END IF;
    RETURN (lpad(to_hex(micros / 1000), 12, '0')
            || to_hex(28672 | (micros % 1000) * 4096 / 1000)  -- 0x7000: the version nibble
            || right(replace(gen_random_uuid()::text, '-', ''), 16))::uuid;  -- variant bits included
END
$$;
