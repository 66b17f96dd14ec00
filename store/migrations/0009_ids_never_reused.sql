-- foreign_keys: off
--
-- Ids that leave the store are never given out again. With a plain
-- INTEGER PRIMARY KEY, SQLite gives a new row max(id) + 1, so deleting the
-- newest campaign, member or attempt handed its id to the next one: a
-- callback receiver saw the same attempt_id for two calls, a script that
-- kept a member id reached another member. AUTOINCREMENT takes every new
-- id above the largest one the table ever had (kept in sqlite_sequence).
--
-- Every table whose ids are shown (CLI, API, callbacks, exports) is
-- rebuilt, keeping every row with its id, so every reference still holds;
-- the indexes and the trigger go with their tables and are made again.
-- Columns are copied with SELECT *: the new tables list them in the old
-- order, and a table with other columns fails the migration instead of
-- losing them. The migration runs with foreign keys off for the rebuild
-- and checks them before it commits.

CREATE TABLE calendars_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL UNIQUE,
    description       TEXT NOT NULL DEFAULT '',
    timezone          TEXT NOT NULL,
    valid_from        INTEGER,
    valid_until       INTEGER,
    -- set for a calendar written inline in a campaign file: it belongs to
    -- that campaign and goes with it.
    owner_campaign_id INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
    updated_at        INTEGER NOT NULL
);
INSERT INTO calendars_new SELECT * FROM calendars;
DROP TABLE calendars;
ALTER TABLE calendars_new RENAME TO calendars;

CREATE TABLE campaigns_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL DEFAULT '',
    mode             TEXT NOT NULL CHECK (mode IN ('ivr', 'progressive', 'preemptive')),
    state            TEXT NOT NULL DEFAULT 'stopped'
                     CHECK (state IN ('stopped', 'running', 'paused', 'finished')),
    priority         INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
    calendar_id      INTEGER NOT NULL REFERENCES calendars(id),
    timezone_policy  TEXT NOT NULL CHECK (timezone_policy IN ('calendar', 'member', 'number')),
    caller_id_name   TEXT NOT NULL DEFAULT '',
    caller_id_numbers TEXT NOT NULL DEFAULT '[]',   -- JSON array
    dial_template    TEXT NOT NULL,
    dial_vars        TEXT NOT NULL DEFAULT '{}',    -- JSON object
    ivr_extension    TEXT NOT NULL DEFAULT '',
    ivr_dialplan     TEXT NOT NULL DEFAULT '',
    ivr_context      TEXT NOT NULL DEFAULT '',
    result_variable  TEXT NOT NULL DEFAULT '',
    agent_hold_ms    INTEGER NOT NULL DEFAULT 0,
    agent_keep_on_line INTEGER NOT NULL DEFAULT 0,
    max_lines        INTEGER NOT NULL CHECK (max_lines >= 1),
    calls_per_interval INTEGER NOT NULL DEFAULT 0,
    interval_ms      INTEGER NOT NULL DEFAULT 0,
    ring_timeout_ms  INTEGER NOT NULL CHECK (ring_timeout_ms BETWEEN 5000 AND 120000),
    min_success_ms   INTEGER NOT NULL DEFAULT 0,
    default_class    TEXT NOT NULL CHECK (default_class IN ('ok', 'retry', 'error', 'minus')),
    results          TEXT NOT NULL DEFAULT '{}',    -- JSON: business result -> class
    variables        TEXT NOT NULL DEFAULT '{}',    -- JSON: channel variables
    callback_url     TEXT NOT NULL DEFAULT '',
    cron_start       TEXT NOT NULL DEFAULT '',
    cron_stop        TEXT NOT NULL DEFAULT '',
    number_order     TEXT NOT NULL DEFAULT 'sequence',
    number_types     TEXT NOT NULL DEFAULT '[]',    -- JSON array
    sort_variable    TEXT NOT NULL DEFAULT '',
    sort_order       TEXT NOT NULL DEFAULT '',
    filter           TEXT NOT NULL DEFAULT '{}',    -- JSON: variable -> accepted values
    default_region   TEXT NOT NULL DEFAULT '',
    import_mapping   TEXT NOT NULL DEFAULT '{}',    -- JSON: CSV column mapping
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    state_changed_at INTEGER NOT NULL
);
INSERT INTO campaigns_new SELECT * FROM campaigns;
DROP TABLE campaigns;
ALTER TABLE campaigns_new RENAME TO campaigns;

CREATE TABLE members_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    state        TEXT NOT NULL DEFAULT 'waiting'
                 CHECK (state IN ('waiting', 'calling', 'done', 'failed')),
    priority     INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
    due_at       INTEGER NOT NULL DEFAULT 0,
    sort_key     REAL,
    name         TEXT NOT NULL DEFAULT '',
    timezone     TEXT NOT NULL DEFAULT '',
    expires_at   INTEGER,
    external_key TEXT,
    variables    TEXT NOT NULL DEFAULT '{}',
    attempts     INTEGER NOT NULL DEFAULT 0,
    minus        INTEGER NOT NULL DEFAULT 0,
    cause_counts TEXT NOT NULL DEFAULT '{}',
    day          TEXT NOT NULL DEFAULT '',
    day_attempts INTEGER NOT NULL DEFAULT 0,
    attempt_days INTEGER NOT NULL DEFAULT 0,
    next_comm_id INTEGER,
    last_cause   TEXT NOT NULL DEFAULT '',
    end_cause    TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
INSERT INTO members_new SELECT * FROM members ORDER BY id;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
-- "Next due members of campaign X": one range scan per priority.
CREATE INDEX members_due ON members(campaign_id, state, priority, due_at, sort_key, id);
CREATE UNIQUE INDEX members_external_key ON members(campaign_id, external_key) WHERE external_key IS NOT NULL;

CREATE TABLE communications_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL,
    number      TEXT NOT NULL,  -- E.164; unique per campaign through campaign_numbers
    type        TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'stopped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_cause  TEXT NOT NULL DEFAULT ''
);
INSERT INTO communications_new SELECT * FROM communications ORDER BY id;
DROP TABLE communications;
ALTER TABLE communications_new RENAME TO communications;
CREATE INDEX communications_member ON communications(member_id, position);
CREATE TRIGGER communications_deleted AFTER DELETE ON communications
BEGIN
    DELETE FROM campaign_numbers
    WHERE campaign_id = OLD.campaign_id AND number = OLD.number AND communication_id = OLD.id;
END;

CREATE TABLE agents_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL UNIQUE,
    endpoint          TEXT NOT NULL,
    call_timeout_ms   INTEGER NOT NULL,
    wrapup_ms         INTEGER NOT NULL DEFAULT 0,
    max_no_answer     INTEGER NOT NULL DEFAULT 0,
    busy_delay_ms     INTEGER NOT NULL DEFAULT 0,
    reject_delay_ms   INTEGER NOT NULL DEFAULT 0,
    no_answer_delay_ms INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL DEFAULT 'logged_out'
                      CHECK (state IN ('logged_out', 'available', 'reserved', 'ringing', 'talking', 'wrap_up', 'break')),
    state_changed_at  INTEGER NOT NULL,
    no_answer_count   INTEGER NOT NULL DEFAULT 0,
    ready_at          INTEGER NOT NULL DEFAULT 0,
    updated_at        INTEGER NOT NULL,
    -- A state asked for from outside the daemon; see 0003_agent_requests.
    requested_state   TEXT CHECK (requested_state IN ('logged_out', 'available', 'break')),
    requested_at      INTEGER,
    -- A result's request to end the agent's wrap-up; see 0007_api.
    end_wrapup_at     INTEGER
);
INSERT INTO agents_new SELECT * FROM agents;
DROP TABLE agents;
ALTER TABLE agents_new RENAME TO agents;
CREATE INDEX agents_requested ON agents(requested_at) WHERE requested_state IS NOT NULL;

CREATE TABLE attempts_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id      INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    member_id        INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    communication_id INTEGER REFERENCES communications(id) ON DELETE SET NULL,
    number           TEXT NOT NULL,
    uuid             TEXT NOT NULL UNIQUE, -- the origination_uuid the dialer chose
    job_uuid         TEXT NOT NULL DEFAULT '',
    agent_id         INTEGER REFERENCES agents(id) ON DELETE SET NULL,
    final            INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    ringing_at       INTEGER,
    answered_at      INTEGER,
    agent_ringing_at INTEGER,
    agent_answered_at INTEGER,
    bridged_at       INTEGER,
    bridge_ended_at  INTEGER,
    ended_at         INTEGER,
    cause            TEXT NOT NULL DEFAULT '',
    q850             INTEGER,
    sip_status       TEXT NOT NULL DEFAULT '',
    billsec_ms       INTEGER NOT NULL DEFAULT 0,
    class            TEXT NOT NULL DEFAULT '' CHECK (class IN ('', 'ok', 'retry', 'error', 'minus')),
    counted          INTEGER NOT NULL DEFAULT 0,
    business_result  TEXT NOT NULL DEFAULT '',
    agent_uuid       TEXT NOT NULL DEFAULT '',     -- see 0004_agent_leg
    wrapup_ms        INTEGER NOT NULL DEFAULT 0,   -- see 0005_attempt_wrapup
    result_success   INTEGER,                      -- the member result; see 0007_api
    result_at        INTEGER,
    comment          TEXT NOT NULL DEFAULT ''
);
INSERT INTO attempts_new SELECT * FROM attempts ORDER BY id;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;
CREATE INDEX attempts_open ON attempts(final) WHERE final = 0;
CREATE INDEX attempts_member ON attempts(member_id, id);
CREATE INDEX attempts_campaign ON attempts(campaign_id, id);

-- The do-not-call list: campaign_id NULL = every campaign.
CREATE TABLE blocklist_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
    number      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
INSERT INTO blocklist_new SELECT * FROM blocklist;
DROP TABLE blocklist;
ALTER TABLE blocklist_new RENAME TO blocklist;
CREATE UNIQUE INDEX blocklist_scope ON blocklist(ifnull(campaign_id, 0), number);
CREATE INDEX blocklist_number ON blocklist(number);

-- campaign_id and attempt_id have no foreign key on purpose: see
-- 0006_webhook_outbox.
CREATE TABLE webhook_outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO webhook_outbox_new SELECT * FROM webhook_outbox ORDER BY id;
DROP TABLE webhook_outbox;
ALTER TABLE webhook_outbox_new RENAME TO webhook_outbox;
-- "Pending events due by now", in order: only pending rows are indexed.
CREATE INDEX webhook_outbox_due ON webhook_outbox(next_at, id) WHERE state = 'pending';
-- "Is an earlier event of this attempt still pending?" (connect before release).
CREATE INDEX webhook_outbox_attempt ON webhook_outbox(attempt_id, id);
-- The dead letters, for counts and redrive.
CREATE INDEX webhook_outbox_dead ON webhook_outbox(campaign_id, id) WHERE state = 'dead';

CREATE TABLE call_requests_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    campaign_id INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
    agent_id    INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    member_id   INTEGER REFERENCES members(id) ON DELETE CASCADE,
    number      TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'started', 'refused')),
    reason      TEXT NOT NULL DEFAULT '',
    attempt_id  INTEGER REFERENCES attempts(id) ON DELETE SET NULL,
    call_uuid   TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    handled_at  INTEGER,
    -- A manual call's own record (a campaign call's is its attempt).
    answered_at INTEGER,
    ended_at    INTEGER,
    cause       TEXT NOT NULL DEFAULT '',
    billsec_ms  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO call_requests_new SELECT * FROM call_requests;
DROP TABLE call_requests;
ALTER TABLE call_requests_new RENAME TO call_requests;
CREATE INDEX call_requests_pending ON call_requests(id) WHERE state = 'pending';

-- Where each sequence starts: above every id still in its table and every
-- id that outlived its row where someone may still hold it, in the
-- outbox's columns and payloads (events owed to a receiver outlive a
-- deleted campaign, member or attempt).
DELETE FROM sqlite_sequence WHERE name IN ('calendars', 'campaigns', 'members', 'communications', 'agents',
    'attempts', 'blocklist', 'webhook_outbox', 'call_requests');
INSERT INTO sqlite_sequence (name, seq) VALUES
    ('calendars', (SELECT ifnull(max(id), 0) FROM calendars)),
    ('campaigns', max((SELECT ifnull(max(id), 0) FROM campaigns),
                      (SELECT ifnull(max(campaign_id), 0) FROM webhook_outbox))),
    ('members', max((SELECT ifnull(max(id), 0) FROM members),
                    (SELECT ifnull(max(payload ->> '$.member_id'), 0) FROM webhook_outbox))),
    ('communications', (SELECT ifnull(max(id), 0) FROM communications)),
    ('agents', max((SELECT ifnull(max(id), 0) FROM agents),
                   (SELECT ifnull(max(payload ->> '$.agent_id'), 0) FROM webhook_outbox))),
    ('attempts', max((SELECT ifnull(max(id), 0) FROM attempts),
                     (SELECT ifnull(max(attempt_id), 0) FROM webhook_outbox))),
    ('blocklist', (SELECT ifnull(max(id), 0) FROM blocklist)),
    ('webhook_outbox', (SELECT ifnull(max(id), 0) FROM webhook_outbox)),
    ('call_requests', (SELECT ifnull(max(id), 0) FROM call_requests));
