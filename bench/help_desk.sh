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

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
backends=${HD_BACKENDS:-sqlite postgres}
bench_prepare help_desk "$backends" "$@"
cases=${HD_CASES:-1000000}
messages=${HD_MESSAGES:-5000000}
seconds=${HD_SECONDS:-10}
threads=${HD_THREADS:-2}
# shellcheck source=bench/file_systems.sh
. "$bench_dir/file_systems.sh"

bench_work_dir help-desk

report=$work_dir/report.md
{
  echo "help desk reads, $cases cases and $messages messages, $threads threads, ${seconds} s each"
  bench_machine
  echo
  echo "| store | read | calls | p50 ms | p90 ms | p99 ms | max ms | rows per call |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$report"
file_systems=

for backend in $backends; do
  bench_database "$backend" tp_hd
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
