-- foreign_keys: off
--
-- Mode predictive: the campaigns table is rebuilt for the mode's CHECK
-- (SQLite cannot change a constraint in place), keeping every row with its
-- id. Columns are copied with SELECT *: the new table lists them in the
-- old order. The predictive and abandon settings are JSON, as written in
-- the campaign file.
--
-- Agents gain their session kind: per_call (a leg per call, as before) or
-- persistent (called once at login; the leg waits between calls), and
-- what a dropped persistent leg does: logout or redial.

CREATE TABLE campaigns_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL DEFAULT '',
    mode             TEXT NOT NULL CHECK (mode IN ('ivr', 'progressive', 'preemptive', 'predictive')),
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
    state_changed_at INTEGER NOT NULL,
    autostart        INTEGER NOT NULL DEFAULT 0,
    timezone_fallback TEXT NOT NULL DEFAULT '' CHECK (timezone_fallback IN ('', 'calendar')),
    record_when      TEXT NOT NULL DEFAULT '' CHECK (record_when IN ('', 'answer', 'bridge')),
    record_path      TEXT NOT NULL DEFAULT '',
    record_stereo    INTEGER NOT NULL DEFAULT 0,
    ivr_capture      TEXT NOT NULL DEFAULT '[]',    -- JSON array
    result_policies  TEXT NOT NULL DEFAULT '{}',    -- JSON
    sub_status_variable TEXT NOT NULL DEFAULT ''
);
INSERT INTO campaigns_new SELECT * FROM campaigns;
-- The largest id ever given goes with the table (see 0009): dropping the
-- old table drops its sqlite_sequence row.
CREATE TEMP TABLE campaigns_seq AS SELECT seq FROM sqlite_sequence WHERE name = 'campaigns';
DROP TABLE campaigns;
ALTER TABLE campaigns_new RENAME TO campaigns;
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM campaigns_seq), 0)) WHERE name = 'campaigns';
DROP TABLE campaigns_seq;

ALTER TABLE campaigns ADD COLUMN predictive TEXT NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN abandon TEXT NOT NULL DEFAULT '{}';

ALTER TABLE agents ADD COLUMN session TEXT NOT NULL DEFAULT 'per_call'
    CHECK (session IN ('per_call', 'persistent'));
ALTER TABLE agents ADD COLUMN on_drop TEXT NOT NULL DEFAULT 'logout'
    CHECK (on_drop IN ('logout', 'redial'));
