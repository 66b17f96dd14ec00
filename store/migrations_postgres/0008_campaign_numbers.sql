-- A number is unique within its campaign. That rule moves from a UNIQUE
-- constraint on communications to its own table, campaign_numbers, keyed
-- (campaign_id, number), as in SQLite (see migrations/0008), so that both
-- dialects keep the rule in the same place and the same statements
-- maintain it.
--
-- Every path that adds a number inserts its campaign_numbers row in the
-- same transaction (the import, members added through the API, a result
-- giving a new number); deleting a number, its member or its campaign
-- deletes the row through the trigger below.
--
-- PostgreSQL drops a table constraint in place: no rebuild, every id
-- stays as it is.

ALTER TABLE communications DROP CONSTRAINT communications_campaign_number;

CREATE TABLE campaign_numbers (
    campaign_id      bigint NOT NULL,
    number           text NOT NULL,
    communication_id bigint NOT NULL,
    PRIMARY KEY (campaign_id, number)
);
INSERT INTO campaign_numbers (campaign_id, number, communication_id)
SELECT campaign_id, number, id FROM communications ORDER BY campaign_id, number;

CREATE FUNCTION communications_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM campaign_numbers
    WHERE campaign_id = OLD.campaign_id AND number = OLD.number AND communication_id = OLD.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER communications_deleted AFTER DELETE ON communications
    FOR EACH ROW EXECUTE FUNCTION communications_deleted();
