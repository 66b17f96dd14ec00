-- Business-result rules (result_policies, JSON) and the IVR variable that
-- carries a result's sub-status; '' means dialer_sub_status.
ALTER TABLE campaigns ADD COLUMN result_policies text NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN sub_status_variable text NOT NULL DEFAULT '';

-- An attempt's sub-status and the result rule that decided what followed
-- it ('' when none did).
ALTER TABLE attempts ADD COLUMN sub_status text NOT NULL DEFAULT '';
ALTER TABLE attempts ADD COLUMN policy_rule text NOT NULL DEFAULT '';

-- A member's own call window start (0 = none; its end is expires_at) and
-- a manual hold, kept beside the state: a held member keeps its state and
-- due time and is never claimed until released.
ALTER TABLE members ADD COLUMN not_before bigint NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN held bigint NOT NULL DEFAULT 0 CHECK (held IN (0, 1));

-- The due members the engine may claim: held members are not in it, and
-- not_before is read from the index without visiting the row. A NULL sort
-- key sorts first, as in SQLite (see 0001).
CREATE INDEX members_claimable ON members(campaign_id, state, priority, due_at, sort_key NULLS FIRST, id, not_before)
    WHERE held = 0;
