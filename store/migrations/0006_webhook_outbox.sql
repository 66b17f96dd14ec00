-- The callback outbox: events for a campaign's callback_url, written in
-- the same transaction as the attempt change they report (connect when the
-- customer answers, release when the attempt is final), so an event exists
-- exactly when its change does. The daemon's deliverer POSTs each one until
-- the receiver answers 2xx (delivered) or max_tries is reached (dead).
--
-- campaign_id and attempt_id have no foreign key on purpose: the payload is
-- self-contained, and an event still owed to a receiver outlives a deleted
-- campaign.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL,
    attempt_id      INTEGER NOT NULL,
    event           TEXT NOT NULL CHECK (event IN ('connect', 'release')),
    url             TEXT NOT NULL,
    -- <attempt uuid>:<event>: the same event always has the same key.
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
-- "Pending events due by now", in order: only pending rows are indexed.
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at, id) WHERE state = 'pending';
-- "Is an earlier event of this attempt still pending?" (connect before release).
CREATE INDEX webhook_outbox_attempt ON webhook_outbox(attempt_id, id);
-- The dead letters, for counts and redrive.
CREATE INDEX webhook_outbox_dead ON webhook_outbox(campaign_id, id) WHERE state = 'dead';
