-- Several daemons on one database: the daemon working each agent (0 for
-- none). An agent is worked by one daemon at a time, so that two never
-- offer it a call at once.
ALTER TABLE agents ADD COLUMN daemon_id BIGINT NOT NULL DEFAULT 0;
