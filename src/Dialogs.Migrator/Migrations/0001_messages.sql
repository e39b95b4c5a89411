-- Every message of every dialog. dialog_id is derived from the two participants and is the distribution column on
-- Citus, so a dialog lives on one shard; every key below includes it, as Citus requires.
CREATE TABLE messages (
    dialog_id       uuid        NOT NULL,
    id              uuid        NOT NULL,  -- UUIDv7: time-ordered, made by the API without coordination
    sender_id       text        NOT NULL CHECK (sender_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    recipient_id    text        NOT NULL CHECK (recipient_id ~ '^[A-Za-z0-9_-]{1,64}$'),
    body            text        NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4096),
    created_at      timestamptz NOT NULL,
    idempotency_key text                 CHECK (char_length(idempotency_key) BETWEEN 1 AND 128),
    CHECK (sender_id <> recipient_id),
    -- The index every page reads, in page order, and the replica identity that online shard moves need.
    PRIMARY KEY (dialog_id, id),
    -- A retried send with the same key meets the first one instead of storing a second message.
    UNIQUE (dialog_id, sender_id, idempotency_key)
);
