#!/usr/bin/env bash
# The help desk's reads at scale (issue 12), SQLite and PostgreSQL 15 side by side in one run: an agent's
# inbox page, full-text search and opening a case with 200 messages, at HD_CASES cases and HD_MESSAGES
# messages, through bench/help_desk (the head of help_desk.cc says what each read calls).
#
#   bench/help_desk.sh BUILD_DIR
#   HD_CASES=100000 HD_MESSAGES=500000 bench/help_desk.sh build/release     a quick run
#
# Settings (environment): HD_CASES=1000000 HD_MESSAGES=5000000 HD_SECONDS=10 HD_THREADS=2
#   HD_BACKENDS="sqlite postgres"   HD_OUT=FILE (also write the report there)
# Without TP_TEST_POSTGRES_URL it runs itself under scripts/with-postgres.sh, which starts a throwaway
# server (fsync off: reads are measured, and seeding is not). Databases it made are removed on exit.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build_dir=$(cd "$1" && pwd)
binary=$build_dir/touchpoint
tool=$build_dir/bench/help_desk
[ -x "$binary" ] || { echo "bench: no $binary (build it first)" >&2; exit 1; }
[ -x "$tool" ] || { echo "bench: no $tool (ninja -C $build_dir help_desk)" >&2; exit 1; }
backends=${HD_BACKENDS:-sqlite postgres}
if [[ " $backends " == *" postgres "* ]] && [ -z "${TP_TEST_POSTGRES_URL:-}" ]; then
  exec "$repo_dir/scripts/with-postgres.sh" "$0" "$@"
fi
cases=${HD_CASES:-1000000}
messages=${HD_MESSAGES:-5000000}
seconds=${HD_SECONDS:-10}
threads=${HD_THREADS:-2}
# shellcheck source=bench/file_systems.sh
. "$bench_dir/file_systems.sh"

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tp-help-desk.XXXXXX")
pg_database=
cleanup() {
  [ -n "$pg_database" ] && psql "$TP_TEST_POSTGRES_URL" -X -q -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work_dir"
}
trap cleanup EXIT

report=$work_dir/report.md
{
  echo "help desk reads, $cases cases and $messages messages, $threads threads, ${seconds} s each"
  echo "date $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
    "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
  echo
  echo "| store | read | calls | p50 ms | p90 ms | p99 ms | max ms | rows per call |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$report"
file_systems=

for backend in $backends; do
  case $backend in
    sqlite) db="sqlite:$work_dir/sqlite/touchpoint.db"; mkdir -p "$work_dir/sqlite" ;;
    postgres)
      pg_database="tp_hd_$$"
      psql "$TP_TEST_POSTGRES_URL" -X -q -c "CREATE DATABASE $pg_database" >/dev/null
      db="${TP_TEST_POSTGRES_URL%/*}/$pg_database"
      ;;
    *) echo "bench: unknown backend $backend" >&2; exit 2 ;;
  esac
  "$binary" migrate --db "$db" >/dev/null
  "$binary" tenant add --db "$db" --slug bench --name Bench >/dev/null
  file_systems+="- $backend: $(database_file_system "$db")"$'\n'
  echo "== $backend: seeding $cases cases, $messages messages, then measuring" >&2
  out=$work_dir/$backend.txt
  if [ "$backend" = postgres ]; then
    # Statistics for the planner after the bulk load, as autovacuum would gather them in time.
    "$tool" --db "$db" --cases "$cases" --messages "$messages" --seed-only >"$work_dir/seed.txt"
    psql "$db" -X -q -c "VACUUM ANALYZE" >/dev/null
    "$tool" --db "$db" --seconds "$seconds" --threads "$threads" >"$out"
    cat "$work_dir/seed.txt" >>"$out"
  else
    "$tool" --db "$db" --cases "$cases" --messages "$messages" --seconds "$seconds" --threads "$threads" >"$out"
  fi
  grep '^help-desk-seeded' "$out" >&2 || true
  while read -r line; do
    read_name=$(sed -n 's/.*read=\([a-z]*\).*/\1/p' <<<"$line")
    value() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$line"; }
    ops=$(value ops)
    rows=$(value rows)
    per_call=$(( ops > 0 ? rows / ops : 0 ))
    ms() { awk -v us="$(value "$1")" 'BEGIN {printf "%.2f", us / 1000}'; }
    [ "$(value errors)" = 0 ] || echo "bench: $backend $read_name had $(value errors) errors" >&2
    echo "| $backend | $read_name | $ops | $(ms p50_us) | $(ms p90_us) | $(ms p99_us) | $(ms max_us) | $per_call |" >>"$report"
  done < <(grep '^help-desk-result' "$out")
done
{
  echo
  echo "database file systems:"
  printf '%s' "$file_systems"
} >>"$report"
cat "$report"
[ -z "${HD_OUT:-}" ] || cp "$report" "$HD_OUT"
