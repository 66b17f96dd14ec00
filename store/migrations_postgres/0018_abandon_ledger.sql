-- The abandon ledger: per campaign and minute of the answer, the live
-- answered calls of an agent-mode campaign (answered by a person, not by
-- an answering machine: cause MACHINE) and the abandoned ones among them
-- (cause ABANDONED). FinishAttempts adds each attempt in the transaction
-- that makes it final, so the ledger cannot disagree with the attempts.
-- It is the compliance record: it outlives member and attempt deletion
-- and campaign resets, and goes only with its campaign. minute is the
-- answer time in whole UTC minutes since the epoch.
CREATE TABLE abandon_ledger (
    campaign_id   bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    minute        bigint NOT NULL,
    live_answered bigint NOT NULL DEFAULT 0 CHECK (live_answered >= 0),
    abandoned     bigint NOT NULL DEFAULT 0 CHECK (abandoned BETWEEN 0 AND live_answered),
    PRIMARY KEY (campaign_id, minute)
);

-- The attempts already final count from the start.
INSERT INTO abandon_ledger (campaign_id, minute, live_answered, abandoned)
SELECT a.campaign_id, coalesce(a.answered_at, a.ended_at) / 60000, count(*), count(*) FILTER (WHERE a.cause = 'ABANDONED')
FROM attempts a JOIN campaigns c ON c.id = a.campaign_id
WHERE a.final = 1 AND c.mode IN ('progressive', 'preemptive', 'predictive') AND a.cause <> 'MACHINE'
  AND (a.answered_at IS NOT NULL OR a.cause = 'ABANDONED')
GROUP BY a.campaign_id, coalesce(a.answered_at, a.ended_at) / 60000;

-- The compliance profile a campaign is held to: '' (none), none, us-fcc
-- or uk-ofcom.
ALTER TABLE campaigns ADD COLUMN compliance text NOT NULL DEFAULT ''
    CHECK (compliance IN ('', 'none', 'us-fcc', 'uk-ofcom'));
