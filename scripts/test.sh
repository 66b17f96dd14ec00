#!/usr/bin/env bash
# The full suite (make test): make lint (gofmt, vet), then every package with the race
# detector. End-to-end suites run once on the simulator and once on a real
# FreeSWITCH (started from ../shared/freeswitch/fs-lab, or the one
# DIALER_TEST_FREESWITCH=host:port[,password] names; without either the
# real runs are skipped, saying why). The output has one line per package
# and one per backend run, naming the backend; the whole log is in
# .test.log.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
log=.test.log

make -s lint GO="$GO" || exit 1
$GO test -race -count=1 -v -timeout 30m ./... >"$log" 2>&1
rc=$?
# Why the real-switch runs were skipped, once, then a line per package and
# per backend run.
grep -E '^ +[a-z_]+\.go:[0-9]+: real FreeSWITCH: ' "$log" | sed -E 's/^ +[a-z_]+\.go:[0-9]+: //' | sort -u
grep -E '^(ok|FAIL|panic:)|^ *--- (PASS|FAIL|SKIP): [^ ]+/(simulator|freeswitch) ' "$log" | sed -E 's/^ +//'
if [ $rc -ne 0 ]; then
  echo
  echo "failures (the whole log is in $log):"
  # Each failed test's own output: go test -v streams it after the test's
  # "=== RUN" (or "=== CONT") line, up to the next "=== " line.
  awk '
    NR == FNR { if (match($0, /--- FAIL: [^ ]+/)) failed[substr($0, RSTART + 10, RLENGTH - 10)] = 1; next }
    /^=== / { name = $3; show = (name in failed); if (show) print; next }
    /^(panic:|FAIL|--- FAIL)/ { print; next }
    show { print }
  ' "$log" "$log" | head -400
fi
exit $rc
