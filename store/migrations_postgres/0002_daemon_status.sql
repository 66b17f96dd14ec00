-- What the running daemon says about itself, rewritten about once a
-- second so that `dialer status` (another process) can show live figures.
-- At most one row (id = 1). A clean shutdown deletes it; a row whose
-- updated_at is old therefore means the daemon stopped without saying so.
CREATE TABLE daemon_status (
    id                 bigint PRIMARY KEY CHECK (id = 1),
    pid                bigint NOT NULL,
    host               text NOT NULL DEFAULT '',
    version            text NOT NULL DEFAULT '',
    started_at         bigint NOT NULL,
    updated_at         bigint NOT NULL,
    esl_state          text NOT NULL DEFAULT '',   -- connected, disconnected, ...
    esl_reconnects     bigint NOT NULL DEFAULT 0,
    calls_in_progress  bigint NOT NULL DEFAULT 0,
    originates_per_sec double precision NOT NULL DEFAULT 0,
    -- JSON array: [{"name", "lines_in_use", "max_lines", "calls_per_sec"}]
    campaigns          text NOT NULL DEFAULT '[]'
);
