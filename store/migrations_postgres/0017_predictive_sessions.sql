-- Mode predictive: the mode's CHECK is replaced in place (SQLite rebuilds
-- the table for it, see migrations/0017); every row keeps its id. The
-- predictive and abandon settings are JSON, as written in the campaign
-- file.
--
-- Agents gain their session kind: per_call (a leg per call, as before) or
-- persistent (called once at login; the leg waits between calls), and
-- what a dropped persistent leg does: logout or redial.
ALTER TABLE campaigns DROP CONSTRAINT campaigns_mode_check;
ALTER TABLE campaigns ADD CONSTRAINT campaigns_mode_check
    CHECK (mode IN ('ivr', 'progressive', 'preemptive', 'predictive'));

ALTER TABLE campaigns ADD COLUMN predictive text NOT NULL DEFAULT '{}';
ALTER TABLE campaigns ADD COLUMN abandon text NOT NULL DEFAULT '{}';

ALTER TABLE agents ADD COLUMN session text NOT NULL DEFAULT 'per_call'
    CHECK (session IN ('per_call', 'persistent'));
ALTER TABLE agents ADD COLUMN on_drop text NOT NULL DEFAULT 'logout'
    CHECK (on_drop IN ('logout', 'redial'));
