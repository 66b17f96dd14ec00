-- What `dialer status` says of a daemon that is not running, and why the
-- event socket is down while it runs. A shutdown no longer deletes the
-- status row: it stamps stopped_at (and stop_error when the daemon exited
-- on an error), so a row whose updated_at is old and whose stopped_at is
-- NULL is a daemon that died without a word (killed, crashed, host down).
ALTER TABLE daemon_status ADD COLUMN stopped_at bigint;
ALTER TABLE daemon_status ADD COLUMN stop_error text NOT NULL DEFAULT '';
-- When the connection to FreeSWITCH came up or went down (the retries of
-- one outage count as one), why it is down, and the reconnect delay.
ALTER TABLE daemon_status ADD COLUMN esl_since bigint;
ALTER TABLE daemon_status ADD COLUMN esl_error text NOT NULL DEFAULT '';
ALTER TABLE daemon_status ADD COLUMN esl_retry_ms bigint NOT NULL DEFAULT 0;
