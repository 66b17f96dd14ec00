-- Answering-machine detection: a campaign's amd settings, as JSON as
-- written in the campaign file ('{}' when the campaign detects nothing),
-- and each attempt's verdict: '' (no detection ran), human, machine or
-- unknown, with the time from the answer to the verdict in milliseconds.

ALTER TABLE campaigns ADD COLUMN amd text NOT NULL DEFAULT '{}';

ALTER TABLE attempts ADD COLUMN amd_result text NOT NULL DEFAULT ''
    CHECK (amd_result IN ('', 'human', 'machine', 'unknown'));
ALTER TABLE attempts ADD COLUMN amd_ms bigint;
