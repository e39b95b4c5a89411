-- A dialog's ids follow the order its sends commit in, so a client that polls `after` the newest id it has seen
-- never skips a message. An id the API took when the request arrived could not promise that: a send slowed down
-- on its way (a shard move's cutover, a retry, a pause) commits after a newer one and lands below a poller's cursor.
--
-- The id is now stamped inside the insert, by the node that runs the statement (the coordinator on Citus, which
-- evaluates a volatile function there before it routes the row to its shard): it takes the dialog's send lock,
-- held until its transaction ends, then reads the clock. The next send of the dialog gets the lock only after the
-- previous one committed on its worker, so it stamps a later time.

-- A UUIDv7 (RFC 9562, method 3): Unix milliseconds, then the microseconds within the millisecond in 12 bits, then
-- random bits. Two sends of one dialog are a commit apart, so their microseconds differ. It relies on this node's
-- clock not being stepped back while it serves (NTP slews it).
CREATE FUNCTION dialog_message_id(dialog uuid) RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    micros bigint;
BEGIN
    -- Two int4 keys ('Dial' in ASCII, then the dialog): a key space apart from the migrator's single bigint lock.
    -- Taken in a plain expression rather than with PERFORM, which would run a query (through Citus's planner too)
    -- on every send: with pgbench on Citus, PERFORM took about a fifth of the inserts' throughput, this a twentieth.
    IF pg_advisory_xact_lock(1147756908, uuid_hash(dialog)) IS NULL THEN
        NULL;
    END IF;
    micros := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    RETURN (lpad(to_hex(micros / 1000), 12, '0')
            || to_hex(28672 | (micros % 1000) * 4096 / 1000)  -- 0x7000: the version nibble
            || right(replace(gen_random_uuid()::text, '-', ''), 16))::uuid;  -- variant bits included
END
$$;

-- The id the API gave the send when its request arrived: a repeat of the same insert (a retry after a lost commit
-- acknowledgement) meets it here instead of storing the message twice. Rows from before this migration have none.
-- It comes after the function: on Citus, a function's DDL cannot follow the table's parallel, per-shard DDL in one
-- transaction.
ALTER TABLE messages ADD COLUMN send_id uuid;
CREATE UNIQUE INDEX messages_send_id_key ON messages (dialog_id, send_id);
