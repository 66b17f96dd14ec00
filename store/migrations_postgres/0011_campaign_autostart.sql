-- autostart: members added to a stopped or finished campaign (by import or
-- through the API) start it, unless its calendar's validity has ended.
ALTER TABLE campaigns ADD COLUMN autostart bigint NOT NULL DEFAULT 0;
