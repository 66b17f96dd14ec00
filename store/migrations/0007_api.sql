-- What the HTTP API records.
--
-- A member result (from an agent desktop) lands on the member's latest
-- attempt: whether the agent called it a success, when, and a comment.
ALTER TABLE attempts ADD COLUMN result_success INTEGER;
ALTER TABLE attempts ADD COLUMN result_at INTEGER;
ALTER TABLE attempts ADD COLUMN comment TEXT NOT NULL DEFAULT '';

-- A result also ends its agent's wrap-up: the daemon owns the agent's
-- live state, so the API asks and the daemon applies it, then clears the
-- request naming its time (as with requested_state). NULL = none.
ALTER TABLE agents ADD COLUMN end_wrapup_at INTEGER;

-- Click-to-call: an agent asks for one call, to a member's number within
-- a campaign (recorded as an attempt) or, with no campaign, to any number
-- (a manual call, recorded here). The daemon takes each pending request,
-- applies every safety rule, and answers it: started (with the attempt or
-- the call's uuid) or refused (why).
CREATE TABLE call_requests (
    id          INTEGER PRIMARY KEY,
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
CREATE INDEX call_requests_pending ON call_requests(id) WHERE state = 'pending';
