#!/usr/bin/env bash
# What SQLite alone costs for a member import (BENCHMARKS.md): the
# members of the generated CSV are loaded into a plain table first, then
# moved with INSERT ... SELECT into (a) the dialer's own tables and
# (b) the smallest shape that still keeps numbers unique per campaign
# (numbers inline in the member row, one sorted uniqueness table, no
# external-key index). No Go, no parsing, no validation: a floor for
# any importer on this machine. Prints the seconds of each step; the
# commit is included, the WAL checkpoint is printed on its own.
#
#   scripts/bench-import-floor.sh            # needs .bench/members-1000000.csv (scripts/bench-import.sh makes it)
#   N=100000 scripts/bench-import-floor.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
csv=.bench/members-$N.csv
[ -s "$csv" ] || { echo "no $csv: run N=$N scripts/bench-import.sh first" >&2; exit 1; }
command -v sqlite3 >/dev/null 2>&1 || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq sqlite3
}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sqlite3 "$dir/raw.db" "CREATE TABLE m (crm_id TEXT, name TEXT, mobile TEXT, home TEXT, segment TEXT, score TEXT, city TEXT);" \
  ".mode csv" ".import --skip 1 $csv m"

pragmas="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-524288;"
# The inputs, materialised in memory before the clock starts.
inputs="ATTACH '$dir/raw.db' AS raw;
CREATE TEMP TABLE v AS SELECT rowid AS id, crm_id, name, mobile, home,
  json_object('segment', segment, 'score', score, 'city', city) AS vars FROM raw.m;
CREATE TEMP TABLE sorted AS SELECT number, id FROM
  (SELECT mobile AS number, 2 * id - 1 AS id FROM v UNION ALL SELECT home, 2 * id FROM v) ORDER BY number;"

timed() { # name, schema, statements
  rm -f "$dir/t.db" "$dir/t.db-wal" "$dir/t.db-shm"
  { echo "$pragmas"; echo "$2"; echo "$inputs"; echo ".timer on"; echo "BEGIN;"; echo "$3"; echo "COMMIT;";
    echo "PRAGMA wal_checkpoint(TRUNCATE);"; } > "$dir/run.sql"
  sqlite3 "$dir/t.db" < "$dir/run.sql" | awk -v name="$1" '
    /^Run Time/ { t[n++] = $4 }
    END { s = 0; for (i = 0; i < n - 1; i++) s += t[i]
          printf "%-58s %.2f s (+ checkpoint %.2f s)\n", name, s, t[n-1] }'
}

members="CREATE TABLE members (
  id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting','calling','done','failed')),
  priority INTEGER NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5), due_at INTEGER NOT NULL DEFAULT 0, sort_key REAL,
  name TEXT NOT NULL DEFAULT '', timezone TEXT NOT NULL DEFAULT '', expires_at INTEGER, external_key TEXT,
  variables TEXT NOT NULL DEFAULT '{}', numbers TEXT,
  attempts INTEGER NOT NULL DEFAULT 0, minus INTEGER NOT NULL DEFAULT 0, cause_counts TEXT NOT NULL DEFAULT '{}',
  day TEXT NOT NULL DEFAULT '', day_attempts INTEGER NOT NULL DEFAULT 0, attempt_days INTEGER NOT NULL DEFAULT 0,
  next_comm_id INTEGER, last_cause TEXT NOT NULL DEFAULT '', end_cause TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX members_due ON members(campaign_id, state, priority, due_at, sort_key, id);"
uniq="CREATE TABLE campaign_numbers (campaign_id INTEGER NOT NULL, number TEXT NOT NULL, communication_id INTEGER NOT NULL,
  PRIMARY KEY (campaign_id, number)) WITHOUT ROWID;"

timed "the dialer's tables (members, communications, numbers)" "$members
CREATE UNIQUE INDEX members_external_key ON members(campaign_id, external_key) WHERE external_key IS NOT NULL;
CREATE TABLE communications (id INTEGER PRIMARY KEY, member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  campaign_id INTEGER NOT NULL, number TEXT NOT NULL, type TEXT NOT NULL DEFAULT '', position INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active','stopped')), attempts INTEGER NOT NULL DEFAULT 0,
  last_cause TEXT NOT NULL DEFAULT '');
CREATE INDEX communications_member ON communications(member_id, position);
$uniq" "
INSERT INTO members (id, campaign_id, priority, name, external_key, variables, created_at, updated_at)
  SELECT id, 1, 3, name, crm_id, vars, 1, 1 FROM v;
INSERT INTO communications (id, member_id, campaign_id, number, type, position)
  SELECT 2 * id - 1, id, 1, mobile, 'mobile', 1 FROM v UNION ALL SELECT 2 * id, id, 1, home, 'home', 2 FROM v ORDER BY 1;
INSERT INTO campaign_numbers SELECT 1, number, id FROM sorted;"

timed "smallest shape (numbers inline, sorted uniqueness table)" "$members
$uniq" "
INSERT INTO members (id, campaign_id, priority, name, external_key, variables, numbers, created_at, updated_at)
  SELECT id, 1, 3, name, crm_id, vars, json_array(mobile, home), 1, 1 FROM v;
INSERT INTO campaign_numbers SELECT 1, number, id FROM sorted;"

rm -f "$dir/p.db"
start=$(date +%s.%N)
sqlite3 "$dir/p.db" "CREATE TABLE m (crm_id TEXT, name TEXT, mobile TEXT, home TEXT, segment TEXT, score TEXT, city TEXT);" \
  ".mode csv" ".import --skip 1 $csv m"
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%-58s %.2f s\n", "sqlite3 .import into a plain table (for the ratio)", e - s }'
