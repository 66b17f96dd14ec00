#!/usr/bin/env bash
# CPU of the daemon against CPU of a real FreeSWITCH, in one run
# (BENCHMARKS.md): short answered IVR calls on the lab numbering plan
# (numbers ending 00 ring 1 s, answer, and hang up 1 s later; the answered
# leg runs the IVR of freeswitch-conf/dialplan/dialer_ivr.xml). The script
# starts a FreeSWITCH with ../shared/freeswitch/fs-lab on free ports in a
# temporary directory, builds a fresh database with one IVR campaign of N
# members, runs `bin/dialer serve --until-done` against it, and reads
# utime+stime of both processes from /proc/<pid>/stat before and after.
#
#   scripts/bench-fs-cpu.sh               # 6000 calls at up to 150 originates/s
#   N=3000 CPS=120 scripts/bench-fs-cpu.sh
#   KEEP=1 scripts/bench-fs-cpu.sh        # keep the temporary directory (logs, database)
#
# Past what the switch sustains, some originates fail (loopback answers
# DESTINATION_OUT_OF_ORDER): those members are tried once more a second
# later, and the run is stopped after MAX_SECONDS (240) whatever is left.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
N=${N:-6000}
CPS=${CPS:-150}
LINES=${LINES:-800}
MAX_SECONDS=${MAX_SECONDS:-240}
bin=$root/bin/dialer
lab=${FS_LAB:-$root/../shared/freeswitch/fs-lab}
[ -x "$lab" ] || { echo "bench-fs-cpu: no fs-lab at $lab (set FS_LAB)" >&2; exit 2; }
tick=$(getconf CLK_TCK)

make -s build

dir=$(mktemp -d /tmp/dialer-bench-fs.XXXXXX)
fsdir=$dir/fs
daemon_pid=
cleanup() {
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true; fi
  "$lab" stop "$fsdir" >/dev/null 2>&1 || true
  if [ -n "${KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap "exit 130" INT TERM

# A port nobody listens on, TCP and UDP, and its successor (SIP needs both).
port_free() { ! ss -Htuln "sport = :$1" | grep -q .; }
pick_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 30000))
    if port_free "$p" && port_free $((p + 1)); then echo "$p"; return; fi
  done
  echo "bench-fs-cpu: no free port" >&2; exit 2
}
esl_port=$(pick_port)
sip_port=$(pick_port)
rtp_start=$((40000 + RANDOM % 20 * 1000))

echo "== FreeSWITCH (fs-lab) in $fsdir: esl $esl_port, sip $sip_port, rtp $rtp_start-$((rtp_start + 1999))"
plans=()
for f in "$root"/freeswitch-conf/dialplan/*.xml; do plans+=(--dialplan "$f"); done
"$lab" start "$fsdir" --esl-port "$esl_port" --sip-port "$sip_port" --rtp "$rtp_start-$((rtp_start + 1999))" "${plans[@]}" >/dev/null
fs_pid=$(cat "$fsdir/run/freeswitch.pid")

export DIALER_DATABASE=$dir/bench.db
export DIALER_ESL_ADDRESS=127.0.0.1:$esl_port
export DIALER_ESL_PASSWORD=ClueCon
export DIALER_HTTP_LISTEN=127.0.0.1:0
export DIALER_LIMITS_MAX_CALLS=$LINES
export DIALER_LIMITS_MAX_CPS=$CPS
export DIALER_LOG_FORMAT=json

cat > "$dir/campaign.yaml" <<CAMP
name: bench-fs
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example, context: dialer_ivr}
limits: {lines: $LINES, calls: $CPS, interval: 1s, ring_timeout: 15s}
min_success: 1s
retry: {max_attempts: 1, max_minus: 1, interval: 1s}
calendar:
  timezone: UTC
  weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
default_region: US
import:
  numbers: [{column: phone, type: mobile}]
  external_key: ref
CAMP
# Distinct North American numbers whose last two digits are 00.
awk -v n="$N" 'BEGIN {
  print "ref,phone"
  for (i = 0; i < n; i++) {
    e = 200 + int(i / 100) % 700
    if (e % 100 == 11 || e == 555) e = 899 - e % 100
    printf "m%d,+1212%03d%02d00\n", i, e, i % 100
  }
}' > "$dir/members.csv"
"$bin" campaign apply -f "$dir/campaign.yaml" >/dev/null
"$bin" member import --campaign bench-fs --no-progress "$dir/members.csv" >/dev/null
"$bin" campaign start bench-fs >/dev/null

# utime+stime of a process, in clock ticks (fields 14 and 15 of its stat).
cpu_ticks() {
  local stat
  read -r stat < "/proc/$1/stat" || return 1
  stat=${stat##*) }
  set -- $stat
  echo $(( ${12} + ${13} ))
}

echo "== dialer serve --until-done: $N members, limits $CPS originates/s, $LINES lines (load average $(cut -d' ' -f1-3 /proc/loadavg))"
fs_before=$(cpu_ticks "$fs_pid")
start_ns=$(date +%s%N)
"$bin" serve --until-done > "$dir/serve.log" 2>&1 &
daemon_pid=$!
# The daemon's figures are read until it exits: the last reading misses at
# most one poll interval of its shutdown.
daemon_ticks=0 metrics= polls=0 stopped=
while kill -0 "$daemon_pid" 2>/dev/null; do
  if [ -z "$stopped" ] && [ $(( ($(date +%s%N) - start_ns) / 1000000000 )) -ge "$MAX_SECONDS" ]; then
    echo "bench-fs-cpu: still running after ${MAX_SECONDS}s: stopping the daemon" >&2
    kill -TERM "$daemon_pid"
    stopped=1
  fi
  t=$(cpu_ticks "$daemon_pid" 2>/dev/null) && daemon_ticks=$t
  if [ $((polls % 20)) -eq 19 ]; then
    addr=$(sed -n 's/.*"msg":"http listening".*"addr":"\([^"]*\)".*/\1/p' "$dir/serve.log" | head -1)
    [ -n "$addr" ] && m=$(curl -fsS "http://$addr/metrics" 2>/dev/null | grep '^esl_event') && metrics=$m
  fi
  polls=$((polls + 1))
  sleep 0.1
done
if ! wait "$daemon_pid" && [ -z "$stopped" ]; then
  echo "bench-fs-cpu: dialer serve failed:" >&2; tail -20 "$dir/serve.log" >&2; exit 1
fi
daemon_pid=
end_ns=$(date +%s%N)
fs_after=$(cpu_ticks "$fs_pid")

# Calls and their pace from the attempts themselves: the originate rate
# over the dispatch (first originate to last), and the whole span to the
# last hangup.
read -r calls answered dispatch span < <(sqlite3 "$DIALER_DATABASE" \
  "SELECT count(*), count(answered_at), (max(created_at) - min(created_at)) / 1000.0,
          (max(ended_at) - min(created_at)) / 1000.0 FROM attempts;" | tr "|" " ")
failed=$(sqlite3 "$DIALER_DATABASE" "SELECT group_concat(cause || ' ' || n, ', ') FROM
  (SELECT cause, count(*) AS n FROM attempts WHERE answered_at IS NULL GROUP BY cause ORDER BY n DESC);")
[ "$calls" -gt 0 ] || { echo "bench-fs-cpu: no calls made" >&2; exit 1; }
events=$(awk '$1 == "esl_events_received_total" {print $2}' <<<"$metrics")
bytes=$(awk '$1 == "esl_event_bytes_total" {print $2}' <<<"$metrics")

awk -v calls="$calls" -v answered="$answered" -v dispatch="$dispatch" -v span="$span" -v tick="$tick" \
    -v d="$daemon_ticks" -v f="$((fs_after - fs_before))" -v wall="$(( (end_ns - start_ns) / 1000000 ))" \
    -v events="${events:-}" -v bytes="${bytes:-}" -v failed="${failed:-}" 'BEGIN {
  dms = d * 1000 / tick / calls; fms = f * 1000 / tick / calls
  printf "calls                 %d (%d answered%s)\n", calls, answered, failed == "" ? "" : "; not answered: " failed
  printf "calls/s               %.1f originated over %.1f s (last hangup at %.1f s; the daemon ran %.1f s)\n", calls / dispatch, dispatch, span, wall / 1000
  printf "daemon CPU            %.2f s = %.3f ms/call\n", d / tick, dms
  printf "FreeSWITCH CPU        %.2f s = %.3f ms/call\n", f / tick, fms
  printf "ratio daemon/FS       %.3f\n", dms / fms
  if (events != "") printf "events received       %.1f/call, %.0f bytes/call\n", events / calls, bytes / calls
}'
echo "load average after    $(cut -d' ' -f1-3 /proc/loadavg)"
