-- timezone_fallback: what timezone_policy number does with a number whose
-- zone cannot be told: 'calendar' reads its window in the calendar's zone;
-- '' ends the member as NO_TIMEZONE.
ALTER TABLE campaigns ADD COLUMN timezone_fallback text NOT NULL DEFAULT ''
    CHECK (timezone_fallback IN ('', 'calendar'));
