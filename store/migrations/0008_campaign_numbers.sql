-- foreign_keys: off
--
-- A number is unique within its campaign. That rule moves from a UNIQUE
-- index on communications to its own clustered table, campaign_numbers,
-- keyed (campaign_id, number). A member import fills it sorted by number,
-- which appends to the b-tree instead of inserting at random places:
-- a 1,000,000-member import inserted 2,000,000 numbers into the old index
-- in file order, and that alone was the largest part of its time.
--
-- Every path that adds a number inserts its campaign_numbers row in the
-- same transaction (the import, members added through the API, a result
-- giving a new number); deleting a number, its member or its campaign
-- deletes the row through the trigger below.
--
-- communications is rebuilt to drop its UNIQUE constraint (SQLite cannot
-- drop a table constraint), keeping every id, so attempts and members that
-- name a communication still do. The migration runs with foreign keys off
-- for the rebuild and checks them before it commits.

CREATE TABLE communications_new (
    id          INTEGER PRIMARY KEY,
    member_id   INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    campaign_id INTEGER NOT NULL,
    number      TEXT NOT NULL,  -- E.164; unique per campaign through campaign_numbers
    type        TEXT NOT NULL DEFAULT '',
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'stopped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_cause  TEXT NOT NULL DEFAULT ''
);
INSERT INTO communications_new (id, member_id, campaign_id, number, type, position, state, attempts, last_cause)
SELECT id, member_id, campaign_id, number, type, position, state, attempts, last_cause FROM communications;
DROP TABLE communications;
ALTER TABLE communications_new RENAME TO communications;
CREATE INDEX communications_member ON communications(member_id, position);

CREATE TABLE campaign_numbers (
    campaign_id      INTEGER NOT NULL,
    number           TEXT NOT NULL,
    communication_id INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, number)
) WITHOUT ROWID;
INSERT INTO campaign_numbers (campaign_id, number, communication_id)
SELECT campaign_id, number, id FROM communications ORDER BY campaign_id, number;

CREATE TRIGGER communications_deleted AFTER DELETE ON communications
BEGIN
    DELETE FROM campaign_numbers
    WHERE campaign_id = OLD.campaign_id AND number = OLD.number AND communication_id = OLD.id;
END;
