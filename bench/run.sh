#!/usr/bin/env bash
# HTTP API benchmark: requests/s and p50/p90/p99 latency of authenticated reads and a durable write,
# touchpoint on its embedded SQLite store and on PostgreSQL 15, side by side in one run.
#
#   bench/run.sh BUILD_DIR            (`make bench` runs ./bench/run.sh build/release)
#   BENCH_SECONDS=3 bench/run.sh build/release          a quick run
#
# For each backend it creates a fresh database (SQLite: a temporary directory; PostgreSQL: CREATE
# DATABASE on the server in TP_TEST_POSTGRES_URL, or on a throwaway one started with
# scripts/with-postgres.sh when that is unset), loads demo data, creates a full-scope API key, starts
# `touchpoint serve` on a free loopback port and drives it with wrk (bench/*.lua), warming up before
# each scenario. It prints one markdown table; the raw wrk output of every run is kept in the results
# directory (BENCH_RESULTS_DIR, default a temporary directory that is removed unless BENCH_KEEP=1).
# Servers and databases it created are removed however it ends.
#
# Settings (environment):
#   BENCH_SECONDS=10          measured seconds per scenario and backend
#   BENCH_WARMUP_SECONDS=2    unmeasured load before each measurement
#   BENCH_CONNECTIONS=32      wrk connections        BENCH_WRK_THREADS=1   wrk threads
#   BENCH_BACKENDS="sqlite postgres"                 BENCH_SCENARIOS="list get post survey"
#   BENCH_CUSTOMERS=5000 BENCH_CASES=3000 BENCH_FEEDBACK=20000            demo data size
#   BENCH_SERVE_ARGS="..."    extra `touchpoint serve` flags (e.g. "--workers 4")
#   BENCH_OUT=FILE            also write the settings and the table to FILE (markdown)
#   BENCH_PG_DURABLE=1        on a PostgreSQL this script starts itself, turn fsync, full_page_writes
#                             and synchronous_commit back on (scripts/with-postgres.sh turns them off
#                             for tests) so that both backends acknowledge only durable writes; 0 keeps
#                             the test settings. A server given in TP_TEST_POSTGRES_URL is not
#                             reconfigured, only its settings are reported (the benchmark database
#                             does get synchronous_commit = on).
set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR   (the directory holding the touchpoint binary, e.g. build/release)" >&2
  exit 2
}
[ $# -eq 1 ] || usage

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build_dir=$1
# CMake leaves the binary in src/app/ of the build directory; a plain BUILD_DIR/touchpoint is taken first.
binary=
for candidate in "$build_dir/touchpoint" "$build_dir/src/app/touchpoint"; do
  if [ -f "$candidate" ] && [ -x "$candidate" ]; then
    binary=$(cd "$(dirname "$candidate")" && pwd)/touchpoint
    break
  fi
done
if [ -z "$binary" ]; then
  echo "bench: no touchpoint binary in $build_dir or $build_dir/src/app (build it first: make build)" >&2
  exit 1
fi

measure_seconds=${BENCH_SECONDS:-10}
warmup_seconds=${BENCH_WARMUP_SECONDS:-2}
connections=${BENCH_CONNECTIONS:-32}
wrk_threads=${BENCH_WRK_THREADS:-1}
backends=${BENCH_BACKENDS:-sqlite postgres}
scenarios=${BENCH_SCENARIOS:-list get post survey}
customers=${BENCH_CUSTOMERS:-5000}
cases=${BENCH_CASES:-3000}
feedback=${BENCH_FEEDBACK:-20000}
serve_args=${BENCH_SERVE_ARGS:-}
pg_durable=${BENCH_PG_DURABLE:-1}
setup_timeout=${BENCH_SETUP_TIMEOUT:-900}  # seconds for loading demo data into one backend

for number in "$measure_seconds" "$warmup_seconds" "$connections" "$wrk_threads" "$customers" "$cases" \
  "$feedback" "$setup_timeout"; do
  [[ "$number" =~ ^[0-9]+$ ]] || { echo "bench: '$number' is not a whole number" >&2; exit 2; }
done
[ "$measure_seconds" -ge 1 ] || { echo "bench: BENCH_SECONDS must be at least 1" >&2; exit 2; }
[ "$customers" -ge 200 ] || { echo "bench: BENCH_CUSTOMERS must be at least 200" >&2; exit 2; }
for backend in $backends; do
  case $backend in sqlite | postgres) ;; *) echo "bench: unknown backend '$backend'" >&2; exit 2 ;; esac
done
for scenario in $scenarios; do
  case $scenario in list | get | post | survey) ;; *) echo "bench: unknown scenario '$scenario'" >&2; exit 2 ;; esac
done

needed=(wrk curl python3 timeout)
[[ " $backends " == *" postgres "* ]] && needed+=(psql)
for tool in "${needed[@]}"; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing; scripts/install-deps.sh installs it" >&2; exit 1; }
done

# PostgreSQL: without a server to use, start a throwaway one and run this script again inside it.
if [[ " $backends " == *" postgres "* ]] && [ -z "${TP_TEST_POSTGRES_URL:-}" ]; then
  export TP_BENCH_OWNS_POSTGRES=1
  exec "$repo_dir/scripts/with-postgres.sh" "$0" "$@"
fi
owns_postgres=${TP_BENCH_OWNS_POSTGRES:-0}
unset TP_BENCH_OWNS_POSTGRES

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tp-bench.XXXXXX")
# shellcheck source=bench/file_systems.sh
. "$bench_dir/file_systems.sh"
file_systems_report=$work_dir/file-systems.txt
: >"$file_systems_report"
results_dir=${BENCH_RESULTS_DIR:-$work_dir/results}
mkdir -p "$results_dir"
results_file=$results_dir/results.tsv
: >"$results_file"

server_pid=
load_pid=
pg_database=

# Stops a process this script started: TERM, then KILL after 10 s.
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

admin_psql() {
  PGCONNECT_TIMEOUT=10 psql "$TP_TEST_POSTGRES_URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

cleanup() {
  # A second signal must not cut the clean-up short: `timeout` and Ctrl-C signal the whole process
  # group, and scripts/with-postgres.sh then sends TERM once more.
  trap '' HUP INT TERM
  [ -n "$load_pid" ] && stop_process "$load_pid"
  [ -n "$server_pid" ] && stop_process "$server_pid"
  if [ -n "$pg_database" ]; then
    # KILL: the commands started here inherit the ignored TERM.
    PGCONNECT_TIMEOUT=10 timeout -s KILL 30 psql "$TP_TEST_POSTGRES_URL" -X -q \
      -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: kept $work_dir" >&2
  else
    rm -rf "$work_dir"
  fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a command in the background and waits for it, so that a signal reaches the traps at once; the
# command is bounded by `timeout`. Usage: bounded SECONDS COMMAND ARGS...
bounded() {
  local seconds=$1
  shift
  timeout --kill-after=10 "$seconds" "$@" &
  load_pid=$!
  local status=0
  wait "$load_pid" || status=$?
  load_pid=
  return "$status"
}

# Prints the URL of a new database NAME on the server of TP_TEST_POSTGRES_URL.
database_url() {
  python3 - "$TP_TEST_POSTGRES_URL" "$1" <<'EOF'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(parts._replace(path="/" + sys.argv[2])))
EOF
}

# Creates a fresh database for BACKEND and sets db to its touchpoint --db value.
create_database() {
  case $1 in
    sqlite)
      mkdir -p "$work_dir/sqlite"
      db="sqlite:$work_dir/sqlite/touchpoint.db"
      ;;
    postgres)
      pg_database="tp_bench_$$_$RANDOM"
      admin_psql -c "CREATE DATABASE $pg_database" >/dev/null
      # Only this database: the POST scenario measures writes acknowledged after they are durable.
      admin_psql -c "ALTER DATABASE $pg_database SET synchronous_commit = on" >/dev/null
      db=$(database_url "$pg_database")
      ;;
  esac
  note_file_system "$1" "$db"
}

drop_database() {
  case $1 in
    sqlite) rm -rf "$work_dir/sqlite" ;;
    postgres)
      admin_psql -c "DROP DATABASE $pg_database WITH (FORCE)" >/dev/null
      pg_database=
      ;;
  esac
}

# Starts `touchpoint serve` on a port the kernel picks and sets server_pid and base_url.
start_server() {
  local db=$1 log=$2
  # shellcheck disable=SC2086  # serve_args is a list of flags
  "$binary" serve --db "$db" --listen 127.0.0.1:0 --rate-limit 0 --respondent-rate-limit 0 --no-access-log \
    --log-level warn \
    $serve_args >"$log" 2>&1 &
  server_pid=$!
  base_url=
  for _ in $(seq 600); do
    base_url=$(sed -n 's|^touchpoint .* is serving \(http://[^ ]*\) .*|\1|p' "$log" | head -n 1)
    [ -n "$base_url" ] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "bench: touchpoint serve exited; its output:" >&2
      cat "$log" >&2
      server_pid=
      return 1
    fi
    sleep 0.1
  done
  echo "bench: touchpoint serve did not start listening within 60 s; its output:" >&2
  cat "$log" >&2
  return 1
}

# Runs one wrk load: SCENARIO SECONDS [--latency]. Prints wrk's output.
run_wrk() {
  local scenario=$1 seconds=$2
  shift 2
  local script
  case $scenario in
    list) script=list_customers.lua ;;
    get) script=get_customer.lua ;;
    post) script=post_feedback.lua ;;
    survey) script=submit_survey.lua ;;
  esac
  BENCH_DIR=$bench_dir bounded $((seconds + 30)) \
    wrk -t "$wrk_threads" -c "$connections" -d "${seconds}s" "$@" -s "$bench_dir/$script" "$base_url"
}

# CPU time so far, in clock ticks: of the whole machine (busy, not idle or waiting for I/O), of the
# touchpoint server, and of this shell's waited-for children (wrk, by way of timeout).
cpu_snapshot() {
  local machine server children
  machine=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
  server=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
  children=$(awk '{print $16 + $17}' "/proc/$$/stat")
  echo "$machine $server $children"
}

# Prints the CPU used between two snapshots in clock ticks, with the elapsed clock ticks of the
# machine: "cpu_machine=N cpu_server=N cpu_wrk=N".
cpu_delta() {
  local -a before after
  read -r -a before <<<"$1"
  read -r -a after <<<"$2"
  echo "cpu_machine=$((after[0] - before[0])) cpu_server=$((after[1] - before[1]))" \
    "cpu_wrk=$((after[2] - before[2]))"
}

describe_postgres() {
  admin_psql -c "SELECT 'PostgreSQL ' || current_setting('server_version') || ', fsync=' ||
    current_setting('fsync') || ', full_page_writes=' || current_setting('full_page_writes') ||
    ', synchronous_commit (benchmark database)=on, shared_buffers=' || current_setting('shared_buffers')"
}

bench_backend() {
  local backend=$1
  local log_dir=$results_dir/$backend
  mkdir -p "$log_dir"
  echo "== $backend: creating a database and loading demo data ($customers customers, $cases cases," \
    "$feedback responses)" >&2
  create_database "$backend"
  local started=$SECONDS
  bounded "$setup_timeout" "$binary" demo-data --db "$db" --customers "$customers" --cases "$cases" \
    --feedback "$feedback" >"$log_dir/demo-data.log" 2>&1 || {
    echo "bench: touchpoint demo-data failed:" >&2
    cat "$log_dir/demo-data.log" >&2
    return 1
  }
  echo "   loaded in $((SECONDS - started)) s" >&2
  export BENCH_TOKEN
  BENCH_TOKEN=$("$binary" apikey create --db "$db" --tenant demo --user admin@demo.touchpoint.local \
    --name bench --scope full | sed -n 's/^token (shown once): //p')
  [ -n "$BENCH_TOKEN" ] || { echo "bench: touchpoint apikey create printed no token" >&2; return 1; }

  if [ "$backend" = postgres ]; then
    if [ "$owns_postgres" = 1 ] && [ "$pg_durable" = 1 ]; then
      # Loading ran with the fast test settings; measuring runs with a durable server. ALTER SYSTEM
      # cannot run in a transaction block, hence one -c per statement.
      admin_psql -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET full_page_writes = on" \
        -c "ALTER SYSTEM SET synchronous_commit = on" -c "SELECT pg_reload_conf()" >/dev/null
      sleep 0.5
    fi
    admin_psql -c "CHECKPOINT" >/dev/null  # so that the load's dirty pages are not flushed while measuring
    pg_settings=$(describe_postgres)
  fi

  start_server "$db" "$log_dir/serve.log"
  echo "   serving at $base_url" >&2
  local auth=(-H "Authorization: Bearer $BENCH_TOKEN")
  export BENCH_IDS_FILE=$work_dir/customer-ids.txt
  curl -fsS --max-time 10 "${auth[@]}" "$base_url/api/v1/customers?limit=200" |
    python3 -c 'import json, sys; print("\n".join(c["id"] for c in json.load(sys.stdin)["items"]))' \
      >"$BENCH_IDS_FILE"
  [ "$(wc -l <"$BENCH_IDS_FILE")" -ge 100 ] || { echo "bench: could not list 100 customers" >&2; return 1; }
  # One request of each kind by hand: a scenario that answers errors must fail here, not be measured.
  curl -fsS --max-time 10 -o /dev/null "${auth[@]}" "$base_url/api/v1/customers/$(head -n 1 "$BENCH_IDS_FILE")"
  curl -fsS --max-time 10 -o /dev/null "${auth[@]}" -H 'Content-Type: application/json' \
    -d '{"survey":"bench","metric":"nps","score":9,"touchpoint":"checkout"}' "$base_url/api/v1/feedback"
  # The survey scenario answers a kiosk link of a live NPS survey, as the respondent's page does.
  export BENCH_SURVEY_TOKEN
  local survey_id
  survey_id=$(curl -fsS --max-time 10 "${auth[@]}" -H 'Content-Type: application/json' \
    -d @"$bench_dir/survey.json" "$base_url/api/v1/surveys" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  BENCH_SURVEY_TOKEN=$(curl -fsS --max-time 10 "${auth[@]}" -H 'Content-Type: application/json' \
    -d '{"kind":"kiosk"}' "$base_url/api/v1/surveys/$survey_id/links" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
  curl -fsS --max-time 10 -o /dev/null -H 'Content-Type: application/json' -d @"$bench_dir/survey_answers.json" \
    "$base_url/api/v1/respond/$BENCH_SURVEY_TOKEN"

  for scenario in $scenarios; do
    echo "   $scenario: warm-up ${warmup_seconds} s, then ${measure_seconds} s" >&2
    if [ "$warmup_seconds" -gt 0 ]; then
      run_wrk "$scenario" "$warmup_seconds" >"$log_dir/$scenario.warmup.txt"
    fi
    local cpu_before cpu_after
    cpu_before=$(cpu_snapshot)
    run_wrk "$scenario" "$measure_seconds" --latency >"$log_dir/$scenario.txt"
    cpu_after=$(cpu_snapshot)
    local result
    result=$(sed -n 's/^wrk-result //p' "$log_dir/$scenario.txt")
    if [ -z "$result" ]; then
      echo "bench: wrk printed no result for $backend/$scenario:" >&2
      cat "$log_dir/$scenario.txt" >&2
      return 1
    fi
    printf '%s\t%s\t%s %s\n' "$backend" "$scenario" "$result" "$(cpu_delta "$cpu_before" "$cpu_after")" \
      >>"$results_file"
  done

  stop_process "$server_pid"
  server_pid=
  drop_database "$backend"
}

# Machine and run description, printed above the table.
describe_run() {
  local memory cpu fs
  memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)
  fs=$(file_system_of "$work_dir")
  # The checkout's commit; the binary's time says whether it was built from it.
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); touchpoint $("$binary" version | awk '{print $2}')" \
    "built $(date -u -r "$binary" '+%Y-%m-%d %H:%M UTC'), checkout at" \
    "$(git -C "$repo_dir" describe --always --dirty 2>/dev/null || echo unknown)"
  echo "- machine: $(nproc) CPUs ($cpu), $memory RAM, temporary files on $fs;" \
    "wrk and the server (and PostgreSQL) share these CPUs"
  echo "- load: wrk -t$wrk_threads -c$connections -d${measure_seconds}s --latency after ${warmup_seconds} s" \
    "of warm-up, over loopback with \`Authorization: Bearer <full-scope API key>\`"
  echo "- server: touchpoint serve --rate-limit 0 --no-access-log${serve_args:+ $serve_args}" \
    "(defaults: 2 I/O threads, 8 workers, 4 SQLite readers, 8 PostgreSQL connections)"
  echo "- CPU in use by other processes just before the run: ${busy_before} % of one core"
  echo "- data: demo-data --customers $customers --cases $cases --feedback $feedback"
  echo "- SQLite: WAL, group commit with synchronous=NORMAL, a sync thread fdatasyncs the WAL before writes are answered"
  cat "$file_systems_report"
  [ -n "${pg_settings:-}" ] && echo "- $pg_settings"
  if [[ "${pg_settings:-}" == *"fsync=off"* ]]; then
    echo "- ⚠ PostgreSQL runs with fsync=off: its writes are not durable, so its POST row is not comparable"
  fi
  return 0
}

# The table: one row per scenario and backend.
print_table() {
  python3 - "$results_file" "$(getconf CLK_TCK)" "$(nproc)" <<'EOF'
import sys

names = {
    "list": "GET /api/v1/customers?limit=20",
    "get": "GET /api/v1/customers/{id}",
    "post": "POST /api/v1/feedback (durable)",
    "survey": "POST /api/v1/respond/{token}: a completed survey (durable)",
}
backend_names = {"sqlite": "SQLite (embedded)", "postgres": "PostgreSQL 15"}
rows = {}
order = []
for line in open(sys.argv[1]):
    backend, scenario, fields = line.rstrip("\n").split("\t")
    values = dict(item.split("=") for item in fields.split())
    rows[(scenario, backend)] = values
    if scenario not in order:
        order.append(scenario)

def ms(micros):
    return f"{int(micros) / 1000:.2f}"

notes = []
ticks_per_second = int(sys.argv[2])

def cpu(values):
    seconds = int(values["duration_us"]) / 1e6 * ticks_per_second / 100  # ticks in 1 % of a core
    server = int(values["cpu_server"]) / seconds
    wrk = int(values["cpu_wrk"]) / seconds
    other = max(0.0, int(values["cpu_machine"]) / seconds - server - wrk)
    return f"{server:.0f} / {wrk:.0f} / {other:.0f}"

print("| scenario | backend | requests/s | p50 ms | p90 ms | p99 ms | vs PostgreSQL | CPU % touchpoint / wrk / other |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for scenario in order:
    for backend in ("sqlite", "postgres"):
        values = rows.get((scenario, backend))
        if values is None:
            continue
        rate = int(values["requests"]) / (int(values["duration_us"]) / 1e6)
        ratio = ""
        other = rows.get((scenario, "postgres"))
        if backend == "sqlite" and other is not None:
            other_rate = int(other["requests"]) / (int(other["duration_us"]) / 1e6)
            ratio = f"{rate / other_rate:.2f}×" if other_rate > 0 else "n/a"
        errors = {key: int(values[key]) for key in
                  ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts")}
        mark = ""
        if any(errors.values()):
            mark = " ⚠"
            notes.append(f"⚠ {names[scenario]} on {backend}: " +
                         ", ".join(f"{count} {key.replace('_', ' ')}" for key, count in errors.items() if count))
        print(f"| {names[scenario]} | {backend_names[backend]} | {rate:,.0f}{mark} | {ms(values['p50_us'])} | "
              f"{ms(values['p90_us'])} | {ms(values['p99_us'])} | {ratio} | {cpu(values)} |")
print(f"\nCPU: percent of one core while measuring (the machine has {sys.argv[3]} CPUs, "
      f"{int(sys.argv[3]) * 100} % in all); other = everything else on the machine, "
      "PostgreSQL's processes included.")
for note in notes:
    print(f"\n{note} (these requests are counted in requests/s)")
EOF
}

# Busy CPU of the whole machine over one second, in percent of one core, before anything starts.
machine_busy() {
  local before after
  before=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
  sleep 1
  after=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat)
  echo $(((after - before) * 100 / $(getconf CLK_TCK)))
}
busy_before=$(machine_busy)
if [ "$busy_before" -gt 20 ]; then
  echo "bench: warning: the machine is already busy ($busy_before % of one core in use before the run);" \
    "the numbers will be lower than on an idle machine" >&2
fi

for backend in $backends; do
  bench_backend "$backend"
done

{
  describe_run
  echo
  print_table
} >"$work_dir/report.md"
echo
cat "$work_dir/report.md"
if [ -n "${BENCH_OUT:-}" ]; then
  cp "$work_dir/report.md" "$BENCH_OUT"
fi
if [ -n "${BENCH_RESULTS_DIR:-}" ]; then
  cp "$work_dir/report.md" "$results_dir/report.md"
fi
