-- A state asked for from outside the daemon (CLI, API): logged_out,
-- available or break. The running daemon owns the in-call states
-- (reserved, ringing, talking, wrap_up), so it applies a request when the
-- agent's call and wrap-up end, then clears it naming requested_at, which
-- keeps a newer request from being cleared by mistake. NULL = none.
ALTER TABLE agents ADD COLUMN requested_state text
    CHECK (requested_state IN ('logged_out', 'available', 'break'));
ALTER TABLE agents ADD COLUMN requested_at bigint;
CREATE INDEX agents_requested ON agents(requested_at) WHERE requested_state IS NOT NULL;
