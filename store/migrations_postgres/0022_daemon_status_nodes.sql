-- The switch nodes of a daemon working several (esl.nodes), as JSON: each
-- node's name, address, connection state and calls in progress.
ALTER TABLE daemon_status ADD COLUMN nodes text NOT NULL DEFAULT '[]';
