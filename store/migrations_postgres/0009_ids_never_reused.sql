-- Ids that leave the store are never given out again. SQLite rebuilds its
-- tables with AUTOINCREMENT here (see migrations/0009); every id column
-- here is an identity column from 0001 on, whose sequence never goes
-- back. What remains is where each sequence stands: above every id still
-- in its table and every id that outlived its row where someone may still
-- hold it, in the outbox's columns and payloads (events owed to a
-- receiver outlive a deleted campaign, member or attempt). An empty table
-- with no such id starts at 1.
SELECT setval(pg_get_serial_sequence('calendars', 'id'), greatest(m, 1), m > 0)
FROM (SELECT coalesce(max(id), 0) AS m FROM calendars) s;

SELECT setval(pg_get_serial_sequence('campaigns', 'id'), greatest(m, 1), m > 0)
FROM (SELECT greatest((SELECT coalesce(max(id), 0) FROM campaigns),
                      (SELECT coalesce(max(campaign_id), 0) FROM webhook_outbox)) AS m) s;

SELECT setval(pg_get_serial_sequence('members', 'id'), greatest(m, 1), m > 0)
FROM (SELECT greatest((SELECT coalesce(max(id), 0) FROM members),
                      (SELECT coalesce(max((payload::jsonb ->> 'member_id')::bigint), 0) FROM webhook_outbox)) AS m) s;

SELECT setval(pg_get_serial_sequence('communications', 'id'), greatest(m, 1), m > 0)
FROM (SELECT coalesce(max(id), 0) AS m FROM communications) s;

SELECT setval(pg_get_serial_sequence('agents', 'id'), greatest(m, 1), m > 0)
FROM (SELECT greatest((SELECT coalesce(max(id), 0) FROM agents),
                      (SELECT coalesce(max((payload::jsonb ->> 'agent_id')::bigint), 0) FROM webhook_outbox)) AS m) s;

SELECT setval(pg_get_serial_sequence('attempts', 'id'), greatest(m, 1), m > 0)
FROM (SELECT greatest((SELECT coalesce(max(id), 0) FROM attempts),
                      (SELECT coalesce(max(attempt_id), 0) FROM webhook_outbox)) AS m) s;

SELECT setval(pg_get_serial_sequence('blocklist', 'id'), greatest(m, 1), m > 0)
FROM (SELECT coalesce(max(id), 0) AS m FROM blocklist) s;

SELECT setval(pg_get_serial_sequence('webhook_outbox', 'id'), greatest(m, 1), m > 0)
FROM (SELECT coalesce(max(id), 0) AS m FROM webhook_outbox) s;

SELECT setval(pg_get_serial_sequence('call_requests', 'id'), greatest(m, 1), m > 0)
FROM (SELECT coalesce(max(id), 0) AS m FROM call_requests) s;
