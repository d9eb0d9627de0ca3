#!/usr/bin/env bash
# `touchpoint import responses` (issue 11: >= 50,000 rows/s on the embedded store), SQLite and PostgreSQL
# 15 side by side in one run: bench/response_import.cc (built as BUILD_DIR/bench/response_import) writes a
# CSV file of RI_ROWS historic survey responses (NPS, three attribute ratings, a comment on every third
# row, e-mail of RI_CUSTOMERS respondents, one row in five anonymous) and imports it through
# transfer::ImportResponses, as the command does, into a fresh database of each store.
#
#   bench/response_import.sh BUILD_DIR
#   RI_ROWS=100000 bench/response_import.sh build/release        a quick run
#
# Settings (environment): RI_ROWS=1000000 RI_CUSTOMERS (default RI_ROWS / 5) RI_BATCH=1000
#   RI_BACKENDS="sqlite postgres" RI_OUT=FILE (also write the report there)
# Without TP_TEST_POSTGRES_URL it runs itself under scripts/with-postgres.sh (a throwaway server).
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
backends=${RI_BACKENDS:-sqlite postgres}
bench_prepare response_import "$backends" "$@"
rows=${RI_ROWS:-1000000}
customers=${RI_CUSTOMERS:-$((rows / 5))}
batch=${RI_BATCH:-1000}
# shellcheck source=bench/file_systems.sh
. "$bench_dir/file_systems.sh"

bench_work_dir response-import
file=$work_dir/responses.csv
report=$work_dir/report.md
{
  echo "touchpoint import responses: $rows rows, $customers respondents with an e-mail, chunks of $batch"
  bench_machine
  echo
  echo "| store | rows/s | seconds | loaded | profiles created | first tenth rows/s | last tenth rows/s | slowest tenth rows/s | file system |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$report"
status=0
value() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

for backend in $backends; do
  bench_database "$backend" tp_ri
  "$binary" migrate --db "$db" >/dev/null
  "$binary" tenant add --db "$db" --slug bench --name Bench >/dev/null
  echo "== $backend: importing $rows responses" >&2
  out=$work_dir/$backend.txt
  "$tool" --db "$db" --file "$file" --rows "$rows" --customers "$customers" --batch "$batch" >"$out" || status=$?
  cat "$out" >&2
  line=$(grep '^import-result' "$out" || true)
  seconds=$(value "$line" seconds)
  rate=$(awk -v r="$(value "$line" rows)" -v s="$seconds" 'BEGIN {printf "%.0f", (s > 0 ? r / s : 0)}')
  echo "| $backend | $rate | $seconds | $(value "$line" loaded) | $(value "$line" profiles) | $(value "$line" first_tenth_rps) |" \
    "$(value "$line" last_tenth_rps) | $(value "$line" slowest_tenth_rps) | $(database_file_system "$db") |" >>"$report"
  if [ "$backend" = postgres ]; then
    psql "$TP_TEST_POSTGRES_URL" -X -q -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1 || true
    pg_database=
  fi
done
cat "$report"
[ -z "${RI_OUT:-}" ] || cp "$report" "$RI_OUT"
exit "$status"
