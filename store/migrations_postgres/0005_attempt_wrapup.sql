-- The wrap-up time the agent of an attempt had after its call, for the
-- per-agent report.
ALTER TABLE attempts ADD COLUMN wrapup_ms bigint NOT NULL DEFAULT 0;
