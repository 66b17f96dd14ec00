-- The member_failed callback event: written in the transaction that ends
-- a member failed (MAX_TRY_COUNT, an error-class cause, BLOCKED,
-- MEMBER_EXPIRED, NO_TIMEZONE, a result that stops it...), so that an SMS
-- gateway or CRM hears of every failure once it is final. Its idempotency
-- key is member-<id>:failed.
--
-- attempt_id becomes nullable: a member can fail without ever being
-- called (every number blocked, expired before its first call). A failed
-- member that was called carries its last attempt, so its notice waits
-- behind that attempt's release like a release waits behind its connect.
-- The table is rebuilt for the new CHECK and the nullable column, keeping
-- every row with its id and the table's id high-water mark (ids are never
-- given out again, see 0009).
CREATE TABLE webhook_outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id     INTEGER NOT NULL,
    attempt_id      INTEGER,  -- NULL for a member_failed of a member never called
    event           TEXT NOT NULL CHECK (event IN ('connect', 'release', 'member_failed')),
    url             TEXT NOT NULL,
    -- <attempt uuid>:<event>, or member-<id>:failed: the same event always
    -- has the same key.
    idempotency_key TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL CHECK (json_valid(payload)),
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
    tries           INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    last_status     INTEGER,  -- HTTP status of the last try; NULL = no response
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);
INSERT INTO webhook_outbox_new SELECT * FROM webhook_outbox ORDER BY id;
DELETE FROM sqlite_sequence WHERE name = 'webhook_outbox_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'webhook_outbox_new', seq FROM sqlite_sequence WHERE name = 'webhook_outbox';
DROP TABLE webhook_outbox;
ALTER TABLE webhook_outbox_new RENAME TO webhook_outbox;
-- "Pending events due by now", in order: only pending rows are indexed.
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at, id) WHERE state = 'pending';
-- "Is an earlier event of this attempt still pending?" (connect before
-- release before member_failed).
CREATE INDEX webhook_outbox_attempt ON webhook_outbox(attempt_id, id);
-- The dead letters, for counts and redrive.
CREATE INDEX webhook_outbox_dead ON webhook_outbox(campaign_id, id) WHERE state = 'dead';
