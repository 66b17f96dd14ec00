-- Call recordings: when a campaign records (record_when '' = never), the
-- path template and stereo; the attempt keeps the file it recorded to
-- ('' = not recorded).
ALTER TABLE campaigns ADD COLUMN record_when TEXT NOT NULL DEFAULT ''
    CHECK (record_when IN ('', 'answer', 'bridge'));
ALTER TABLE campaigns ADD COLUMN record_path TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN record_stereo INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN recording_path TEXT NOT NULL DEFAULT '';

-- IVR captured variables: the names a campaign keeps (a JSON array) and,
-- on the attempt, the values the call set (a JSON object).
ALTER TABLE campaigns ADD COLUMN ivr_capture TEXT NOT NULL DEFAULT '[]';
ALTER TABLE attempts ADD COLUMN captured TEXT NOT NULL DEFAULT '{}';
