#!/usr/bin/env bash
# Customer-data benchmarks (issue 3), SQLite and PostgreSQL 15 side by side in one run:
#   ingest    POST /v1/batch (Segment batches of 100 events, durable) from bench/http_load over loopback:
#             events/s and batch latency; every batch must come back 200 with "accepted": 100
#   read      a customer's profile and first timeline page, at CD_CUSTOMERS customers / CD_EVENTS events
#             seeded by bench/seed_customers: GET /api/v1/customers/{id} then
#             GET /api/v1/customers/{id}/timeline?limit=20 over HTTP (the timeline request is left out,
#             and said so, while the server has no such route), and the same two calls in-process
#             (bench/profile_read: profiles::GetCustomer + timeline::CustomerTimeline in one read
#             transaction)
#   identity  identity resolution as the product runs it: CD_LINKS identifier links, one message each,
#             through ingest::IngestMessages in batches of 100 (bench/identity_resolution), fresh database
#   import    `touchpoint import customers` of a CSV file of new customers, for each row count in
#             CD_IMPORT_ROWS, through transfer::ImportCsv as the command runs it (bench/customer_import):
#             rows/s overall and per tenth of the file, fresh database each
#
#   bench/customer_data.sh BUILD_DIR        (make bench runs it after bench/run.sh)
#   CD_CUSTOMERS=100000 CD_EVENTS=2000000 CD_LINKS=1000000 bench/customer_data.sh build/release   a quick run
#
# Settings (environment):
#   CD_SCENARIOS="identity import ingest read"   CD_BACKENDS="sqlite postgres"
#   CD_IMPORT_ROWS="20000 1000000"        customers per imported file
#   CD_SECONDS=10 CD_WARMUP_SECONDS=3     measured / unmeasured seconds per load
#   CD_INGEST_CONNECTIONS=8               CD_READ_CONNECTIONS=8    CD_READ_THREADS=2 (in-process)
#   CD_CUSTOMERS=1000000 CD_EVENTS=20000000                       seeded scale, every backend
#   CD_PG_CUSTOMERS, CD_PG_EVENTS         a different scale for PostgreSQL (default: the same)
#   CD_LINKS=10000000 CD_PERSONS=1000000  identity links and people (about 4 identifiers per person)
#   CD_PERF=1                             profile the server with `perf record` during the ingest load
#                                         and print its top functions (needs perf)
#   CD_KEEP=1                             keep the work directory (databases, logs)
#   BENCH_SERVE_ARGS="..."                extra `touchpoint serve` flags
#   BENCH_PG_DURABLE=1                    as in bench/run.sh: on a PostgreSQL this script starts, seeding
#                                         runs with fsync off and the measurements with fsync,
#                                         full_page_writes and synchronous_commit on
#   CD_OUT=FILE                           also write the report (markdown) to FILE
# Servers, databases and temporary files it created are removed however it ends.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build_dir=$(cd "$1" && pwd)
binary=
for candidate in "$build_dir/touchpoint" "$build_dir/src/app/touchpoint"; do
  [ -x "$candidate" ] && { binary=$candidate; break; }
done
[ -n "$binary" ] || { echo "bench: no touchpoint binary in $build_dir (build it first)" >&2; exit 1; }
for tool in http_load seed_customers profile_read identity_resolution customer_import; do
  [ -x "$build_dir/bench/$tool" ] || { echo "bench: no $build_dir/bench/$tool (ninja -C $build_dir $tool)" >&2; exit 1; }
done
tools=$build_dir/bench

scenarios=${CD_SCENARIOS:-identity import ingest read}
import_rows=${CD_IMPORT_ROWS:-20000 1000000}
backends=${CD_BACKENDS:-sqlite postgres}
seconds=${CD_SECONDS:-10}
warmup=${CD_WARMUP_SECONDS:-3}
ingest_connections=${CD_INGEST_CONNECTIONS:-8}
read_connections=${CD_READ_CONNECTIONS:-8}
read_threads=${CD_READ_THREADS:-2}
customers=${CD_CUSTOMERS:-1000000}
events=${CD_EVENTS:-20000000}
pg_customers=${CD_PG_CUSTOMERS:-$customers}
pg_events=${CD_PG_EVENTS:-$events}
links=${CD_LINKS:-10000000}
persons=${CD_PERSONS:-1000000}
serve_args=${BENCH_SERVE_ARGS:-}
pg_durable=${BENCH_PG_DURABLE:-1}

needed=(curl python3 timeout)
[[ " $backends " == *" postgres "* ]] && needed+=(psql)
[ "${CD_PERF:-0}" = 1 ] && needed+=(perf)
for tool in "${needed[@]}"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

if [[ " $backends " == *" postgres "* ]] && [ -z "${TP_TEST_POSTGRES_URL:-}" ]; then
  export TP_BENCH_OWNS_POSTGRES=1
  exec "$repo_dir/scripts/with-postgres.sh" "$0" "$@"
fi
owns_postgres=${TP_BENCH_OWNS_POSTGRES:-0}
unset TP_BENCH_OWNS_POSTGRES

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tp-cd-bench.XXXXXX")
results=$work_dir/results.tsv
: >"$results"
# shellcheck source=bench/file_systems.sh
. "$bench_dir/file_systems.sh"
file_systems_report=$work_dir/file-systems.txt
: >"$file_systems_report"
server_pid=
load_pid=
pg_database=

stop_process() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
admin_psql() { PGCONNECT_TIMEOUT=10 psql "$TP_TEST_POSTGRES_URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
  trap '' HUP INT TERM
  [ -n "$load_pid" ] && stop_process "$load_pid"
  [ -n "$server_pid" ] && stop_process "$server_pid"
  if [ -n "$pg_database" ]; then
    PGCONNECT_TIMEOUT=10 timeout -s KILL 60 psql "$TP_TEST_POSTGRES_URL" -X -q \
      -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "${CD_KEEP:-0}" = 1 ]; then echo "bench: kept $work_dir" >&2; else rm -rf "$work_dir"; fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command bounded in time, in the background so that signals reach the traps.
bounded() {
  local limit=$1
  shift
  timeout --kill-after=10 "$limit" "$@" &
  load_pid=$!
  local status=0
  wait "$load_pid" || status=$?
  load_pid=
  return "$status"
}

database_url() {
  python3 - "$TP_TEST_POSTGRES_URL" "$1" <<'EOF'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(parts._replace(path="/" + sys.argv[2])))
EOF
}

# A fresh database with tenant "bench" and an admin user; sets db.
create_database() {
  local backend=$1 name=$2
  case $backend in
    sqlite)
      mkdir -p "$work_dir/$name"
      db="sqlite:$work_dir/$name/touchpoint.db"
      ;;
    postgres)
      pg_database="tp_cd_$$_$RANDOM"
      admin_psql -c "CREATE DATABASE $pg_database" >/dev/null
      admin_psql -c "ALTER DATABASE $pg_database SET synchronous_commit = on" >/dev/null
      db=$(database_url "$pg_database")
      ;;
  esac
  note_file_system "$backend $name" "$db"
  "$binary" migrate --db "$db" >/dev/null
  "$binary" tenant add --db "$db" --slug bench --name Bench >/dev/null
  "$binary" user add --db "$db" --tenant bench --email bench@bench.example --name Bench --role admin >/dev/null
}
drop_database() {
  case $1 in
    sqlite) rm -rf "$work_dir/$2" ;;
    postgres) admin_psql -c "DROP DATABASE $pg_database WITH (FORCE)" >/dev/null; pg_database= ;;
  esac
}
api_key() {  # SCOPE → token
  "$binary" apikey create --db "$db" --tenant bench --user bench@bench.example --name bench --scope "$1" |
    sed -n 's/^token (shown once): //p'
}
set_pg_durable() {  # on|off, only on a server this script started
  [ "$owns_postgres" = 1 ] && [ "$pg_durable" = 1 ] || return 0
  admin_psql -c "ALTER SYSTEM SET fsync = $1" -c "ALTER SYSTEM SET full_page_writes = $1" \
    -c "ALTER SYSTEM SET synchronous_commit = $1" -c "SELECT pg_reload_conf()" >/dev/null
  sleep 0.5
}
pg_settings() {
  admin_psql -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ': fsync=' || current_setting('fsync') ||
    ', full_page_writes=' || current_setting('full_page_writes') || ', synchronous_commit=' ||
    current_setting('synchronous_commit') || ', shared_buffers=' || current_setting('shared_buffers')"
}

start_server() {
  local log=$1
  # shellcheck disable=SC2086
  "$binary" serve --db "$db" --listen 127.0.0.1:0 --rate-limit 0 --no-access-log --log-level warn \
    --body-limit 16777216 $serve_args >"$log" 2>&1 &
  server_pid=$!
  base_url=
  for _ in $(seq 600); do
    base_url=$(sed -n 's|^touchpoint .* is serving \(http://[^ ]*\) .*|\1|p' "$log" | head -n 1)
    [ -n "$base_url" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { echo "bench: serve exited:" >&2; cat "$log" >&2; server_pid=; return 1; }
    sleep 0.1
  done
  echo "bench: serve did not start" >&2
  return 1
}

cpu_snapshot() {
  local machine server children
  machine=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
  server=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
  children=$(awk '{print $16 + $17}' "/proc/$$/stat")
  echo "$machine $server $children $(date +%s%N)"
}
cpu_delta() {
  local -a before after
  read -r -a before <<<"$1"
  read -r -a after <<<"$2"
  echo "cpu_machine=$((after[0] - before[0])) cpu_server=$((after[1] - before[1])) cpu_load=$((after[2] - before[2]))" \
    "cpu_wall_us=$(((after[3] - before[3]) / 1000))"
}

# Waits until the kernel has written out what earlier steps left dirty (seeding writes 14 GB), so that
# one measurement does not pay for the previous step's disk writes.
settle_disk() { sync; }

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$results"; }

bench_ingest() {
  local backend=$1 log_dir=$work_dir/logs/$1
  echo "== $backend ingest: fresh database, $ingest_connections connections, ${warmup} s warm-up + ${seconds} s" >&2
  create_database "$backend" ingest
  [ "$backend" = postgres ] && { set_pg_durable on; pg_ingest_settings=$(pg_settings); }
  local token
  token=$(api_key ingest)
  start_server "$log_dir/ingest-serve.log"
  # One batch by hand: an error here fails the run instead of being measured.
  curl -fsS --max-time 10 -u "$token:" -H 'Content-Type: application/json' \
    -d '{"batch":[{"type":"track","userId":"probe","event":"Probe","messageId":"probe-1"}]}' \
    "$base_url/v1/batch" >"$log_dir/ingest-probe.json"
  if [ "$backend" = postgres ]; then
    # A fresh database has no planner statistics: until autovacuum analyzes the growing tables (within a
    # minute or so in service), cached plans scan where they should probe. Measure the steady state.
    bounded 60 "$tools/http_load" --url "$base_url" --mode ingest --token "$token" --connections "$ingest_connections" \
      --seconds 5 --warmup 0 >"$log_dir/ingest-preload.txt"
    psql "$db" -X -q -c "ANALYZE" >/dev/null
  fi
  local before after perf_pid=
  settle_disk
  before=$(cpu_snapshot)
  if [ "${CD_PERF:-0}" = 1 ]; then
    ( sleep $((warmup + 1)); exec perf record -F 499 -g -p "$server_pid" -o "$log_dir/perf.data" -- sleep 10 ) \
      >"$log_dir/perf-record.log" 2>&1 &
    perf_pid=$!
  fi
  bounded $((seconds + warmup + 60)) "$tools/http_load" --url "$base_url" --mode ingest --token "$token" \
    --connections "$ingest_connections" --seconds "$seconds" --warmup "$warmup" >"$log_dir/ingest.txt"
  after=$(cpu_snapshot)
  [ -n "$perf_pid" ] && wait "$perf_pid" 2>/dev/null || true
  cat "$log_dir/ingest.txt" >&2
  record "$backend" ingest "$(sed -n 's/^load-result //p' "$log_dir/ingest.txt") $(cpu_delta "$before" "$after")"
  if [ -f "$log_dir/perf.data" ]; then
    perf report -i "$log_dir/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -n 25 >"$log_dir/perf-top.txt" || true
    echo "   perf, top functions of the server during the ingest load ($backend):" >&2
    cat "$log_dir/perf-top.txt" >&2
    cp "$log_dir/perf-top.txt" "$work_dir/perf-$backend.txt"
  fi
  # Rows really stored (the probe's one included).
  stop_process "$server_pid"
  server_pid=
  drop_database "$backend" ingest
}

bench_read() {
  local backend=$1 log_dir=$work_dir/logs/$1 n_customers=$customers n_events=$events
  if [ "$backend" = postgres ]; then n_customers=$pg_customers; n_events=$pg_events; fi
  echo "== $backend read: seeding $n_customers customers, $n_events events" >&2
  create_database "$backend" read
  [ "$backend" = postgres ] && set_pg_durable off
  local started=$SECONDS
  bounded 7200 "$tools/seed_customers" --db "$db" --tenant bench --customers "$n_customers" --events "$n_events" \
    --ids-out "$work_dir/ids-$backend.txt" >"$log_dir/seed.txt" 2>"$log_dir/seed.log" || {
    cat "$log_dir/seed.log" >&2; return 1; }
  local seed_seconds=$((SECONDS - started))
  if [ "$backend" = postgres ]; then
    admin_psql -d "$pg_database" -c "VACUUM ANALYZE" >/dev/null 2>&1 || psql "$db" -X -q -c "VACUUM ANALYZE" >/dev/null
    admin_psql -c "CHECKPOINT" >/dev/null
    set_pg_durable on
  fi
  local size
  case $backend in
    sqlite) size=$(du -sh "$work_dir/read" | cut -f1) ;;
    postgres) size=$(psql "$db" -X -A -t -c "SELECT pg_size_pretty(pg_database_size(current_database()))") ;;
  esac
  size=${size// /}
  echo "   seeded in ${seed_seconds} s, database $size" >&2
  local token
  token=$(api_key full)
  settle_disk
  start_server "$log_dir/read-serve.log"
  local id paths=(--path '/api/v1/customers/{id}') timeline=1
  id=$(head -n 1 "$work_dir/ids-$backend.txt")
  curl -fsS --max-time 10 -o /dev/null -H "Authorization: Bearer $token" "$base_url/api/v1/customers/$id"
  if curl -fsS --max-time 10 -o "$log_dir/timeline-probe.json" -H "Authorization: Bearer $token" \
    "$base_url/api/v1/customers/$id/timeline?limit=20" 2>/dev/null; then
    paths+=(--path '/api/v1/customers/{id}/timeline?limit=20')
  else
    timeline=0
    echo "   the server has no GET /api/v1/customers/{id}/timeline: HTTP measures the profile only" >&2
  fi
  local before after
  before=$(cpu_snapshot)
  bounded $((seconds + warmup + 60)) "$tools/http_load" --url "$base_url" --mode read --token "$token" \
    --ids "$work_dir/ids-$backend.txt" --connections "$read_connections" --seconds "$seconds" --warmup "$warmup" \
    "${paths[@]}" >"$log_dir/read-http.txt"
  after=$(cpu_snapshot)
  cat "$log_dir/read-http.txt" >&2
  record "$backend" "read_http" "$(sed -n 's/^load-result //p' "$log_dir/read-http.txt") $(cpu_delta "$before" "$after") timeline=$timeline customers=$n_customers events_seeded=$n_events size=$size seed_s=$seed_seconds"
  stop_process "$server_pid"
  server_pid=
  # In-process, with the server stopped: the store calls alone.
  bounded $((seconds + warmup + 60)) "$tools/profile_read" --db "$db" --tenant bench --ids "$work_dir/ids-$backend.txt" \
    --threads "$read_threads" --seconds "$seconds" --warmup "$warmup" >"$log_dir/read-store.txt"
  cat "$log_dir/read-store.txt" >&2
  record "$backend" "read_store" "$(sed -n 's/^read-result //p' "$log_dir/read-store.txt") customers=$n_customers events_seeded=$n_events"
  drop_database "$backend" read
}

bench_identity() {
  local backend=$1 log_dir=$work_dir/logs/$1
  echo "== $backend identity resolution: $links links, $persons people, fresh database" >&2
  create_database "$backend" identity
  [ "$backend" = postgres ] && set_pg_durable on
  settle_disk
  bounded 3600 "$tools/identity_resolution" --db "$db" --tenant bench --links "$links" --persons "$persons" \
    >"$log_dir/identity.txt"
  cat "$log_dir/identity.txt" >&2
  record "$backend" identity "$(sed -n 's/^identity-result //p' "$log_dir/identity.txt")"
  drop_database "$backend" identity
}

bench_import() {
  local backend=$1 log_dir=$work_dir/logs/$1 rows
  for rows in $import_rows; do
    echo "== $backend import: $rows new customers, fresh database" >&2
    create_database "$backend" import
    [ "$backend" = postgres ] && { set_pg_durable on; pg_import_settings=$(pg_settings); }
    settle_disk
    bounded 7200 "$tools/customer_import" --db "$db" --tenant bench --rows "$rows" \
      --file "$work_dir/customers-$rows.csv" >"$log_dir/import-$rows.txt"
    cat "$log_dir/import-$rows.txt" >&2
    record "$backend" import "$(sed -n 's/^import-result //p' "$log_dir/import-$rows.txt")"
    drop_database "$backend" import
  done
}

busy_before=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
sleep 1
busy_before=$((($(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat) - busy_before) * 100 / $(getconf CLK_TCK)))

for backend in $backends; do mkdir -p "$work_dir/logs/$backend"; done
for backend in $backends; do
  [[ " $scenarios " == *" identity "* ]] && bench_identity "$backend"
  [[ " $scenarios " == *" import "* ]] && bench_import "$backend"
  [[ " $scenarios " == *" read "* ]] && bench_read "$backend"
  [[ " $scenarios " == *" ingest "* ]] && bench_ingest "$backend"
done

{
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); touchpoint $("$binary" version | awk '{print $2}') built" \
    "$(date -u -r "$binary" '+%Y-%m-%d %H:%M UTC'), checkout $(git -C "$repo_dir" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "- machine: $(nproc) CPUs ($(lscpu | sed -n 's/^Model name: *//p' | head -n 1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM;" \
    "load generator, server and PostgreSQL share these CPUs; CPU busy before the run: ${busy_before} % of one core"
  echo "- server: touchpoint serve --rate-limit 0 --no-access-log --body-limit 16777216${serve_args:+ $serve_args}"
  echo "- ingest: bench/http_load --mode ingest --connections $ingest_connections, ${warmup} s warm-up + ${seconds} s, 100 events per batch, 10 users per batch from a pool of 100,000, fresh database (on PostgreSQL a 5 s pre-load and ANALYZE first, as autovacuum would do in service); before each measurement, sync waits for the disk writes earlier steps left"
  echo "- read: bench/http_load --mode read --connections $read_connections and bench/profile_read --threads $read_threads, ${warmup} s warm-up + ${seconds} s, random customers from a sample of 20,000"
  [[ " $scenarios " == *" import "* ]] && echo "- import: bench/customer_import, transfer::ImportCsv of a CSV of new customers (3 identifiers, a name, 2 traits and a signup time per row) in chunks of 1000 rows as \`touchpoint import customers\` runs it, rows: $import_rows, fresh database each"
  [ -n "${pg_import_settings:-}" ] && echo "- $pg_import_settings (during the import measurements)"
  [ -n "${pg_ingest_settings:-}" ] && echo "- $pg_ingest_settings (during the ingest and read measurements)"
  cat "$file_systems_report"
  echo
  python3 - "$results" "$(getconf CLK_TCK)" <<'EOF'
import sys
rows = []
for line in open(sys.argv[1]):
    backend, scenario, fields = line.rstrip("\n").split("\t")
    rows.append((backend, scenario, dict(f.split("=", 1) for f in fields.split())))
ticks = int(sys.argv[2])
names = {"sqlite": "SQLite (embedded)", "postgres": "PostgreSQL 15"}
def ms(v): return f"{int(v) / 1000:.2f}"
def cpu(v):
    if "cpu_server" not in v: return ""
    # The counters span the warm-up too, so they are divided by the time between the two readings.
    per = int(v["cpu_wall_us"]) / 1e6 * ticks / 100
    server, load = int(v["cpu_server"]) / per, int(v["cpu_load"]) / per
    other = max(0.0, int(v["cpu_machine"]) / per - server - load)
    return f"{server:.0f} / {load:.0f} / {other:.0f}"
print("| benchmark | backend | result | target | p50 ms | p99 ms | CPU % server / load / other | notes |")
print("|---|---|---:|---|---:|---:|---:|---|")
for backend, scenario, v in rows:
    b = names[backend]
    if scenario == "identity":
        secs = float(v["seconds"])
        ok = "✅" if secs <= 10 else "❌"
        bad = f"; ⚠ {v['errors']} failed batches" if int(v["errors"]) else ""
        print(f"| identity resolution through IngestMessages, {int(v['links']):,} links | {b} | {secs:.2f} s {ok} | ≤ 10 s | | | | "
              f"{int(v['links']) / secs:,.0f} links/s; {int(v['identifiers']):,} identifiers, {int(v['profiles']):,} profiles created, "
              f"{int(v['merges']):,} merges, {int(v['live_profiles']):,} live profiles{bad} |")
    elif scenario == "import":
        secs = float(v["seconds"])
        rate = int(v["rows"]) / secs
        ok = "✅" if rate >= 20000 and float(v["slowest_tenth_rps"]) >= 20000 else "❌"
        bad = f"; ⚠ {v['rejected']} rejected" if int(v["rejected"]) else ""
        print(f"| touchpoint import customers, {int(v['rows']):,} new customers | {b} | {rate:,.0f} rows/s {ok} | ≥ 20,000 rows/s, flat | | | | "
              f"{secs:.2f} s; per tenth of the file: first {float(v['first_tenth_rps']):,.0f}, last {float(v['last_tenth_rps']):,.0f}, "
              f"slowest {float(v['slowest_tenth_rps']):,.0f} rows/s; {int(v['loaded']):,} loaded{bad} |")
    elif scenario == "ingest":
        secs = int(v["duration_us"]) / 1e6
        rate = int(v["accepted"]) / secs
        ok = "✅" if rate >= 50000 else "❌"
        bad = int(v["errors"]) + int(v["short_batches"])
        note = f"{int(v['requests']) / secs:,.0f} batches/s; " + (f"⚠ {v['errors']} errors, {v['short_batches']} short batches" if bad else "every batch 200 with accepted = 100")
        if int(v["duplicates"]): note += f"; ⚠ {v['duplicates']} duplicates"
        print(f"| POST /v1/batch, 100 events, durable | {b} | {rate:,.0f} events/s {ok} | ≥ 50,000 events/s | {ms(v['p50_us'])} | {ms(v['p99_us'])} | {cpu(v)} | {note} |")
    elif scenario == "read_http":
        secs = int(v["duration_us"]) / 1e6
        scale = f"{int(v['customers']):,} customers / {int(v['events_seeded']):,} events ({v['size']}, seeded in {v['seed_s']} s)"
        what = "GET customer + GET timeline?limit=20" if v["timeline"] == "1" else "GET customer only (no timeline route yet)"
        ok = ("✅" if 0 < int(v["p99_us"]) <= 5000 else "❌") if v["timeline"] == "1" else ""
        if int(v["requests"]) == 0: err_none = "; ⚠ no operation completed within the measured time"
        else: err_none = ""
        err = f"; ⚠ {v['errors']} errors" if int(v["errors"]) else ""
        extra = ""
        if v["timeline"] == "1":
            extra = f"; customer p50/p99 {ms(v['path0_p50_us'])}/{ms(v['path0_p99_us'])} ms, timeline {ms(v['path1_p50_us'])}/{ms(v['path1_p99_us'])} ms"
        print(f"| profile + timeline over HTTP: {what} | {b} | {int(v['requests']) / secs:,.0f} ops/s | p99 ≤ 5 ms {ok} | {ms(v['p50_us'])} | {ms(v['p99_us'])} | {cpu(v)} | {scale}{extra}{err}{err_none} |")
    elif scenario == "read_store":
        secs = int(v["duration_us"]) / 1e6
        ok = "✅" if int(v["p99_us"]) <= 5000 else "❌"
        err = f"; ⚠ {v['errors']} errors" if int(v["errors"]) else ""
        per = int(v["entries"]) / max(1, int(v["ops"]))
        print(f"| profile + timeline in-process (GetCustomer + CustomerTimeline limit 20) | {b} | {int(v['ops']) / secs:,.0f} ops/s | p99 ≤ 5 ms {ok} | {ms(v['p50_us'])} | {ms(v['p99_us'])} | | "
              f"{int(v['customers']):,} customers / {int(v['events_seeded']):,} events; {per:.1f} entries per page; max {ms(v['max_us'])} ms{err} |")
print("\nCPU: percent of one core while measuring (200 % is the whole 2-CPU machine); load = bench/http_load; "
      "other = everything else, PostgreSQL included. Latency is closed-loop at saturation (each connection "
      "always has one request outstanding).")
EOF
  for f in "$work_dir"/perf-*.txt; do
    [ -f "$f" ] || continue
    echo
    echo "perf, server during the ingest load ($(basename "$f" .txt | sed 's/perf-//')), top functions (self):"
    echo '```'
    head -n 15 "$f"
    echo '```'
  done
} >"$work_dir/report.md"
echo
cat "$work_dir/report.md"
[ -n "${CD_OUT:-}" ] && cp "$work_dir/report.md" "$CD_OUT"
exit 0
