-- Hang-ups asked for from outside the daemon (dialer call hangup, campaign
-- delete --hangup). The daemon owns the calls: it takes each pending
-- request within a reload tick, hangs the call up (uuid_kill with cause),
-- and answers it: done, or failed with the reason. The call's end is then
-- recorded as any other, with its release callback.
CREATE TABLE hangup_requests (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid       TEXT NOT NULL,
    cause      TEXT NOT NULL,
    state      TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    reason     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    handled_at INTEGER
);
CREATE INDEX hangup_requests_pending ON hangup_requests(id) WHERE state = 'pending';
