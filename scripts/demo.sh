#!/usr/bin/env bash
# The README's first command: a whole IVR campaign end to end, with no
# FreeSWITCH. A fresh SQLite file gets the demo campaign and 200 members on
# the test numbering plan; `dialer serve --sim` dials them through the
# built-in FreeSWITCH simulator (50x faster than real time: retry intervals
# and calendars follow the simulator's clock) until the campaign finishes;
# then the report.
#
#   make demo                    # the IVR demo
#   MODE=progressive make demo   # the progressive (agent) demo
#   MODE=predictive make demo    # the predictive demo, agents on persistent sessions
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/dialer
dir=.demo
mode=${MODE:-ivr}
speed=${SPEED:-50}
rm -rf "$dir"
mkdir -p "$dir"
export DIALER_DATABASE="$dir/demo.db"
export DIALER_HTTP_LISTEN=127.0.0.1:0   # any free port for /metrics: the demo never clashes
campaign=demo-$mode

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "dialer campaign apply -f testdata/campaigns/$campaign.yaml"
$bin campaign apply -f "testdata/campaigns/$campaign.yaml"
agents_file=testdata/agents/demo-agents.yaml
if [ -f "testdata/agents/demo-agents-$mode.yaml" ]; then
  agents_file=testdata/agents/demo-agents-$mode.yaml
fi
if [ "$mode" != ivr ]; then
  step "dialer agent apply -f $agents_file"
  $bin agent apply -f "$agents_file"
  agents=$(sed -n 's/^  - name: *//p' "$agents_file")
  step "dialer agent login" $agents
  # shellcheck disable=SC2086 # one argument per agent name
  $bin agent login $agents
fi
step "dialer member import --campaign $campaign testdata/members/demo-200.csv"
$bin member import --campaign "$campaign" testdata/members/demo-200.csv
step "dialer campaign start $campaign"
$bin campaign start "$campaign"
step "dialer serve --sim --sim-speed $speed --until-done   (log in $dir/serve.log)"
start=$(date +%s)
$bin serve --sim --sim-speed "$speed" --until-done --log-format text >"$dir/serve.log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  sleep 2
  $bin status 2>/dev/null | head -4 | sed 's/^/   /' || true
done
wait "$pid"
echo "   campaign finished in $(( $(date +%s) - start ))s of real time"
step "dialer report $campaign"
$bin report "$campaign"
printf '\nTry: DIALER_DATABASE=%s %s member list --campaign %s --state failed\n' "$DIALER_DATABASE" "$bin" "$campaign"
