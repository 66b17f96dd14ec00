-- The member_failed callback event: written in the transaction that ends
-- a member failed (MAX_TRY_COUNT, an error-class cause, BLOCKED,
-- MEMBER_EXPIRED, NO_TIMEZONE, a result that stops it...), so that an SMS
-- gateway or CRM hears of every failure once it is final. Its idempotency
-- key is member-<id>:failed.
--
-- attempt_id becomes nullable: a member can fail without ever being
-- called (every number blocked, expired before its first call). A failed
-- member that was called carries its last attempt, so its notice waits
-- behind that attempt's release like a release waits behind its connect.
-- PostgreSQL changes the column and the CHECK in place: every row keeps
-- its id and the sequence stays where it was.
ALTER TABLE webhook_outbox ALTER COLUMN attempt_id DROP NOT NULL;
ALTER TABLE webhook_outbox DROP CONSTRAINT webhook_outbox_event_check;
ALTER TABLE webhook_outbox ADD CONSTRAINT webhook_outbox_event_check
    CHECK (event IN ('connect', 'release', 'member_failed'));
