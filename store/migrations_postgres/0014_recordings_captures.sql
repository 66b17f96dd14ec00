-- Call recordings: when a campaign records (record_when '' = never), the
-- path template and stereo; the attempt keeps the file it recorded to
-- ('' = not recorded).
ALTER TABLE campaigns ADD COLUMN record_when text NOT NULL DEFAULT ''
    CHECK (record_when IN ('', 'answer', 'bridge'));
ALTER TABLE campaigns ADD COLUMN record_path text NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN record_stereo bigint NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN recording_path text NOT NULL DEFAULT '';

-- IVR captured variables: the names a campaign keeps (a JSON array) and,
-- on the attempt, the values the call set (a JSON object).
ALTER TABLE campaigns ADD COLUMN ivr_capture text NOT NULL DEFAULT '[]';
ALTER TABLE attempts ADD COLUMN captured text NOT NULL DEFAULT '{}';
