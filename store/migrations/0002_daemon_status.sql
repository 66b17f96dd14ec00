-- What the running daemon says about itself, rewritten about once a
-- second so that `dialer status` (another process) can show live figures.
-- At most one row (id = 1). A clean shutdown deletes it; a row whose
-- updated_at is old therefore means the daemon stopped without saying so.
CREATE TABLE daemon_status (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    pid                INTEGER NOT NULL,
    host               TEXT NOT NULL DEFAULT '',
    version            TEXT NOT NULL DEFAULT '',
    started_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    esl_state          TEXT NOT NULL DEFAULT '',   -- connected, disconnected, ...
    esl_reconnects     INTEGER NOT NULL DEFAULT 0,
    calls_in_progress  INTEGER NOT NULL DEFAULT 0,
    originates_per_sec REAL NOT NULL DEFAULT 0,
    -- JSON array: [{"name", "lines_in_use", "max_lines", "calls_per_sec"}]
    campaigns          TEXT NOT NULL DEFAULT '[]'
);
