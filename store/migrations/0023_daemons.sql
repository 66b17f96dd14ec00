-- Several daemons on one database (PostgreSQL): each daemon's lease, the
-- daemon whose open attempts are its own to follow, and the shared rate
-- buckets (scope 'global' and 'campaign:<id>') the claims of every daemon
-- draw from. SQLite has one daemon (its lock file) and uses none of it.
CREATE TABLE daemons (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    lease_until INTEGER NOT NULL,
    stopped_at  INTEGER
);
ALTER TABLE attempts ADD COLUMN daemon_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX attempts_open_daemon ON attempts(daemon_id) WHERE final = 0;
CREATE INDEX attempts_open_campaign ON attempts(campaign_id) WHERE final = 0;
CREATE TABLE pacing (
    scope     TEXT PRIMARY KEY,
    tokens    REAL NOT NULL,
    filled_at INTEGER NOT NULL
);
