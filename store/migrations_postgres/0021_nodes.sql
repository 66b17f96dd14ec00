-- Several FreeSWITCH nodes per daemon: the node an attempt's call was
-- placed on ('' when the daemon speaks to one switch), and the node an
-- agent's phone is dialed on ('' = any node).
ALTER TABLE attempts ADD COLUMN node text NOT NULL DEFAULT '';
ALTER TABLE agents ADD COLUMN node text NOT NULL DEFAULT '';
