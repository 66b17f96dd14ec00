#!/usr/bin/env bash
# PostgreSQL beside SQLite (BENCHMARKS.md): the store's import and claim
# benchmarks on both dialects in one run. A PostgreSQL server is started
# for the run in a temporary directory (initdb and postgres from PATH or
# /usr/lib/postgresql/*/bin; as root it runs as the postgres user), on a
# free port of 127.0.0.1, with the settings of a dedicated server rather
# than a test one (fsync and full-page writes stay on), and stopped at the
# end.
#
#   scripts/bench-postgres.sh            # 1,000,000 members
#   N=100000 scripts/bench-postgres.sh   # smaller
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
dir=.bench
bin=bin/dialer
mkdir -p "$dir"
[ -x /usr/bin/time ] || { export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq time; }
[ -x "$bin" ] || make build

pgbin=$(dirname "$(readlink -f "$(command -v initdb || ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")")
[ -x "$pgbin/postgres" ] || { echo "PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2; exit 1; }
pgdir=$(mktemp -d /tmp/dialer-bench-pg.XXXXXX)
as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$pgdir"
  as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
  "${as[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pgdir"
}
trap stop EXIT
"${as[@]}" "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c shared_buffers=1GB -c max_wal_size=4GB" start >/dev/null
"${as[@]}" "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc 'CREATE DATABASE bench' >/dev/null
pg="postgres://postgres@127.0.0.1:$port/bench?sslmode=disable"
echo "PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"

csv="$dir/members-$N.csv"
if [ ! -s "$csv" ]; then
  echo "generating $csv"
  awk -v n="$N" 'BEGIN {
    split("212 646 415 312 773 305 617 702 503 206", area, " ")
    print "crm_id,name,mobile,home,segment,score,city"
    k = 0
    for (i = 0; i < n; i++) {
      for (j = 0; j < 2; j++) {
        do {
          a = area[(k % 10) + 1]; e = 200 + int(k / 10) % 700; l = int(k / 7000) % 10000; k++
        } while (e % 100 == 11 || e == 555)
        num[j] = sprintf("+1%s%03d%04d", a, e, l)
      }
      printf "c-%d,Member %d,%s,%s,%s,%d,%s\n", i, i, num[0], num[1], (i % 3 ? "retail" : "smb"), i % 100, "city" (i % 50)
    }
  }' > "$csv"
fi

cat > "$dir/bench-calendar.yaml" <<CAL
name: always
timezone: UTC
weekly: {mon: ["00:00-24:00"], tue: ["00:00-24:00"], wed: ["00:00-24:00"], thu: ["00:00-24:00"], fri: ["00:00-24:00"], sat: ["00:00-24:00"], sun: ["00:00-24:00"]}
CAL
cat > "$dir/bench-campaign.yaml" <<CAMP
name: bench
mode: ivr
dial: {template: "loopback/{number}/dialer_lab"}
ivr: {extension: dialer_ivr_example}
calendar: always
default_region: US
import:
  numbers: [{column: mobile, type: mobile}, {column: home, type: home}]
  name: name
  external_key: crm_id
CAMP

# build DSN NAME: the bench campaign of N members and 19 running
# campaigns of 1,000, as scripts/bench-import.sh builds them; the big
# import is timed.
build() {
  local db=$1 name=$2
  export DIALER_DATABASE="$db"
  $bin calendar apply -f "$dir/bench-calendar.yaml" >/dev/null
  $bin campaign apply -f "$dir/bench-campaign.yaml" >/dev/null
  /usr/bin/time -f "%e" -o "$dir/time-$name.txt" $bin member import --campaign bench --no-progress "$csv" >/dev/null
  awk -v n="$N" -v name="$name" '{ printf "%s: dialer member import of %d members: %.2f s, %.0f rows/s\n", name, n, $1, n / $1 }' "$dir/time-$name.txt"
  local small="$dir/small.csv"
  for k in $(seq 1 19); do
    awk -v k="$k" 'BEGIN { split("201 202 203 205 206 207 208 209 210 213 214 215 216 217 218 219 224 225 228", area, " ")
      print "crm_id,name,mobile,home,segment,score,city"
      for (i = 0; i < 1000; i++) printf "s%d-%d,Small %d,+1%s%07d,,retail,1,x\n", k, i, i, area[k], 2000000 + i }' > "$small"
    sed "s/^name: bench/name: bench-$k/" "$dir/bench-campaign.yaml" > "$dir/bench-campaign-$k.yaml"
    $bin campaign apply -f "$dir/bench-campaign-$k.yaml" >/dev/null
    $bin campaign start "bench-$k" >/dev/null
    $bin member import --campaign "bench-$k" --no-progress "$small" >/dev/null
  done
  $bin campaign start bench >/dev/null
  unset DIALER_DATABASE
}

db="$dir/bench.db"
rm -f "$db" "$db-wal" "$db-shm"
echo "== the $N-member campaign and 19 more running campaigns, in each dialect"
build "$PWD/$db" sqlite
build "$pg" postgres
"${as[@]}" "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d bench -qc 'VACUUM ANALYZE' >/dev/null

echo "== next due members and claim on the $N-member campaign, 20 campaigns running, both dialects"
BENCH_DB="$PWD/$db" BENCH_PG_DB="$pg" go test ./store -run '^$' -count 1 \
  -bench 'BenchmarkDueMembersFile|BenchmarkClaimFile' -benchtime 2000x 2>&1 | grep -E '^(Benchmark|FAIL)'
echo "== store import of 100,000 decoded members (PostgreSQL: the tests' server, store/pgtest)"
go test ./store -run '^$' -count 1 -bench 'BenchmarkImport' -benchtime 2x 2>&1 | grep -E '^(Benchmark|FAIL)'
