#!/usr/bin/env bash
# The README's first command: load the example calendar, IVR campaign and
# members into a fresh SQLite file and show what the dialer stored and
# would do next. Nothing is dialed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/dialer
dir=.demo
rm -rf "$dir"
mkdir -p "$dir"
export DIALER_DATABASE="$dir/demo.db"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "dialer calendar apply -f testdata/calendars/office-hours.yaml"
$bin calendar apply -f testdata/calendars/office-hours.yaml
step "dialer campaign apply -f testdata/campaigns/ivr.yaml   (twice: the second is a no-op)"
$bin campaign apply -f testdata/campaigns/ivr.yaml
$bin campaign apply -f testdata/campaigns/ivr.yaml
step "dialer member import --campaign survey-ivr testdata/members/members.csv"
$bin member import --campaign survey-ivr testdata/members/members.csv
step "dialer campaign list"
$bin campaign list
step "dialer campaign show survey-ivr"
$bin campaign show survey-ivr
step "dialer calendar next office-hours -n 5 --from 2026-11-25T08:00:00-05:00"
$bin calendar next office-hours -n 5 --from 2026-11-25T08:00:00-05:00
step "dialer member list --campaign survey-ivr"
$bin member list --campaign survey-ivr
step "dialer member explain 1 --at 2026-11-26T15:00:00Z   (Thanksgiving: closed)"
$bin member explain 1 --at 2026-11-26T15:00:00Z
step "dialer campaign start survey-ivr && dialer member explain 1 --at 2026-11-24T15:00:00Z"
$bin campaign start survey-ivr
$bin member explain 1 --at 2026-11-24T15:00:00Z
printf '\nThe demo database is %s; try: DIALER_DATABASE=%s %s cause list\n' "$DIALER_DATABASE" "$DIALER_DATABASE" "$bin"
