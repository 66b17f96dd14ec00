-- The campaign store. Every time is INTEGER milliseconds since the Unix
-- epoch, UTC: it sorts and compares exactly, and indexes stay small.

CREATE TABLE calendars (
    id                INTEGER PRIMARY KEY,
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

-- Weekly periods: weekday 0 = Sunday, minutes since midnight, end exclusive.
CREATE TABLE calendar_periods (
    calendar_id INTEGER NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    weekday     INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_min   INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min     INTEGER NOT NULL CHECK (end_min BETWEEN 1 AND 1440 AND end_min > start_min),
    PRIMARY KEY (calendar_id, weekday, start_min)
);

-- Special dates replace the weekly periods of the days they cover; a
-- special date with no periods is closed all day.
CREATE TABLE calendar_specials (
    id          INTEGER PRIMARY KEY,
    calendar_id INTEGER NOT NULL REFERENCES calendars(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    from_date   TEXT NOT NULL, -- YYYY-MM-DD, civil date in the calendar's zone
    to_date     TEXT NOT NULL CHECK (to_date >= from_date)
);
CREATE INDEX calendar_specials_calendar ON calendar_specials(calendar_id, position);

CREATE TABLE calendar_special_periods (
    special_id INTEGER NOT NULL REFERENCES calendar_specials(id) ON DELETE CASCADE,
    start_min  INTEGER NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
    end_min    INTEGER NOT NULL CHECK (end_min BETWEEN 1 AND 1440 AND end_min > start_min),
    PRIMARY KEY (special_id, start_min)
);

CREATE TABLE campaigns (
    id               INTEGER PRIMARY KEY,
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

CREATE TABLE retry_policies (
    campaign_id   INTEGER PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
    max_attempts  INTEGER NOT NULL CHECK (max_attempts >= 1),
    interval_ms   INTEGER NOT NULL CHECK (interval_ms >= 0),
    max_per_day   INTEGER NOT NULL DEFAULT 0,
    max_days      INTEGER NOT NULL DEFAULT 0,
    max_minus     INTEGER NOT NULL DEFAULT 10
);

-- Per-cause overrides of the retry policy. retries NULL = no per-cause
-- limit; non_retry = the cause stops the member.
CREATE TABLE retry_cause_rules (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    cause       TEXT NOT NULL,
    retries     INTEGER,
    interval_ms INTEGER NOT NULL DEFAULT 0,
    non_retry   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, cause)
);

CREATE TABLE cause_classes (
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    cause       TEXT NOT NULL,
    class       TEXT NOT NULL CHECK (class IN ('ok', 'retry', 'error', 'minus')),
    PRIMARY KEY (campaign_id, cause)
);

-- A member's state: waiting (due at due_at), calling (an attempt is not
-- final), done (ok) or failed (end_cause says why).
CREATE TABLE members (
    id           INTEGER PRIMARY KEY,
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
-- "Next due members of campaign X": one range scan per priority.
CREATE INDEX members_due ON members(campaign_id, state, priority, due_at, sort_key, id);
CREATE UNIQUE INDEX members_external_key ON members(campaign_id, external_key) WHERE external_key IS NOT NULL;

CREATE TABLE communications (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL,
    number      TEXT NOT NULL,  -- E.164
    type        TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'stopped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_cause  TEXT NOT NULL DEFAULT '',
    -- a number appears at most once per campaign
    UNIQUE (campaign_id, number)
);
CREATE INDEX communications_member ON communications(member_id, position);

CREATE TABLE agents (
    id                INTEGER PRIMARY KEY,
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
    updated_at        INTEGER NOT NULL
);

CREATE TABLE tiers (
    agent_id    INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    level       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (agent_id, campaign_id)
);
CREATE INDEX tiers_campaign ON tiers(campaign_id, level);

CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY,
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
    business_result  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attempts_open ON attempts(final) WHERE final = 0;
CREATE INDEX attempts_member ON attempts(member_id, id);
CREATE INDEX attempts_campaign ON attempts(campaign_id, id);

-- The do-not-call list: campaign_id NULL = every campaign.
CREATE TABLE blocklist (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
    number      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX blocklist_scope ON blocklist(ifnull(campaign_id, 0), number);
CREATE INDEX blocklist_number ON blocklist(number);
