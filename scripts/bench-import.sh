#!/usr/bin/env bash
# Import benchmark (BENCHMARKS.md): generate a CSV of N members (two
# numbers and three variables each), import it with `dialer member import`,
# and import the same file with `sqlite3 .import` into a plain table, in the
# same run. Then time the "next due members" query on the imported campaign.
#
#   scripts/bench-import.sh            # 1,000,000 members
#   N=100000 scripts/bench-import.sh   # smaller
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
dir=.bench
bin=bin/dialer
mkdir -p "$dir"
need=()
command -v sqlite3 >/dev/null 2>&1 || need+=(sqlite3)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}"
fi
[ -x "$bin" ] || make build

csv="$dir/members-$N.csv"
if [ ! -s "$csv" ]; then
  echo "generating $csv"
  # Unique valid North American numbers: 10 area codes x 700 exchanges
  # (200-899, N11 and 555 skipped) x 10,000 lines.
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
rows=$N
size=$(du -h "$csv" | cut -f1)
echo "file: $csv ($rows rows, $size)"

db="$dir/bench.db"
rm -f "$db" "$db-wal" "$db-shm"
export DIALER_DATABASE="$db"
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
$bin calendar apply -f "$dir/bench-calendar.yaml" >/dev/null
$bin campaign apply -f "$dir/bench-campaign.yaml" >/dev/null

echo "== dialer member import"
/usr/bin/time -f "%e s elapsed, %M KiB peak RSS" -o "$dir/time-dialer.txt" \
  $bin member import --campaign bench --no-progress "$csv"
cat "$dir/time-dialer.txt"
dialer_s=$(cut -d' ' -f1 "$dir/time-dialer.txt")

echo "== sqlite3 .import into a plain table"
plain="$dir/plain.db"
rm -f "$plain"
sqlite3 "$plain" "CREATE TABLE m (crm_id TEXT, name TEXT, mobile TEXT, home TEXT, segment TEXT, score TEXT, city TEXT);"
/usr/bin/time -f "%e s elapsed, %M KiB peak RSS" -o "$dir/time-sqlite.txt" \
  sqlite3 "$plain" ".mode csv" ".import --skip 1 $csv m"
cat "$dir/time-sqlite.txt"
sqlite_s=$(cut -d' ' -f1 "$dir/time-sqlite.txt")

awk -v r="$rows" -v d="$dialer_s" -v s="$sqlite_s" 'BEGIN {
  printf "dialer: %.0f rows/s   sqlite3 .import: %.0f rows/s   ratio: %.2f\n", r/d, r/s, (r/d)/(r/s) }'

echo "== 19 more running campaigns of 1,000 members"
small="$dir/small.csv"
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

echo "== next due members query and claim on the $N-member campaign, 20 campaigns running"
BENCH_DB="$PWD/$db" go test ./store -run '^$' -bench 'BenchmarkDueMembersFile|BenchmarkClaimFile' -benchtime 2000x -count 1
