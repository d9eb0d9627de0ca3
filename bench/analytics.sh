#!/usr/bin/env bash
# The analytics engine against SQL on the same responses (issue 13), SQLite and PostgreSQL 15 side by
# side in one run: AN_RESPONSES feedback responses (each with its survey response) for AN_CUSTOMERS
# customers, seeded and deterministic, loaded into the engine through analytics_source::LoadTenant
# (the start-up rebuild, timed), then the issue's Q1-Q6 (Q5 not yet: the engine holds no revenue) on
# the engine and as SQL on each store, answers compared (bench/analytics.cc says what each asks).
#
#   bench/analytics.sh BUILD_DIR
#   AN_RESPONSES=1000000 AN_CUSTOMERS=100000 bench/analytics.sh build/release     a quick run
#
# Settings (environment): AN_RESPONSES=10000000 AN_CUSTOMERS=1000000 AN_SEED=42 AN_REPEAT=20
#   AN_SQL_REPEAT=3 AN_FEED=20000 (responses then submitted and followed through the change-feed path) AN_BACKENDS="sqlite postgres" AN_OUT=FILE (also write the report there)
# DuckDB is not in this run yet. Without TP_TEST_POSTGRES_URL it runs itself under
# scripts/with-postgres.sh (a throwaway server). Databases it made are removed on exit.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/common.sh
. "$bench_dir/common.sh"
backends=${AN_BACKENDS:-sqlite postgres}
bench_prepare analytics_bench "$backends" "$@"
responses=${AN_RESPONSES:-10000000}
customers=${AN_CUSTOMERS:-1000000}
seed=${AN_SEED:-42}
repeat=${AN_REPEAT:-20}
sql_repeat=${AN_SQL_REPEAT:-3}
feed=${AN_FEED:-20000}
# shellcheck source=bench/file_systems.sh
. "$bench_dir/file_systems.sh"

bench_work_dir analytics

report=$work_dir/report.md
{
  echo "analytics engine vs SQL, $responses responses, $customers customers, seed $seed"
  bench_machine
  echo
  echo "| question | engine ms (median of $repeat, warm) | store | store ms (median of $sql_repeat) | ratio | answers agree |"
  echo "|---|---|---|---|---|---|"
} >"$report"
loads=
file_systems=
status=0

for backend in $backends; do
  bench_database "$backend" tp_an
  "$binary" migrate --db "$db" >/dev/null
  "$binary" tenant add --db "$db" --slug bench --name Bench >/dev/null
  file_systems+="- $backend: $(database_file_system "$db")"$'\n'
  echo "== $backend: seeding $responses responses for $customers customers, then measuring" >&2
  common=(--db "$db" --responses "$responses" --customers "$customers" --seed "$seed" --repeat "$repeat" --sql-repeat "$sql_repeat")
  "$tool" "${common[@]}" --seed-only >&2
  if [ "$backend" = postgres ]; then
    # Statistics for the planner after the bulk load, as autovacuum would gather them in time.
    psql "$db" -X -q -c "VACUUM ANALYZE" >/dev/null
  fi
  out=$work_dir/$backend.txt
  "$tool" "${common[@]}" --feed "$feed" >"$out" || status=$?
  loads+="- $backend: $(grep '^analytics-load' "$out" | sed 's/^analytics-load //'); feed: $(grep '^analytics-feed' "$out" | sed 's/^analytics-feed //')"$'\n'
  value() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
  while read -r line; do
    question=$(value "$line" q)
    engine_line=$(grep "^analytics-result q=$question engine=engine " "$out")
    engine_ms=$(value "$engine_line" median_ms)
    store_ms=$(value "$line" median_ms)
    ratio=$(awk -v s="$store_ms" -v e="$engine_ms" 'BEGIN {printf "%.0f×", (e > 0 ? s / e : 0)}')
    echo "| $question | $engine_ms | $backend | $store_ms | $ratio | $(value "$line" agree) |" >>"$report"
  done < <(grep "^analytics-result .*engine=$backend " "$out")
done
{
  echo
  echo "engine loads (start-up rebuild from the store; bytes per response counts allocated column capacity) and the"
  echo "change-feed path (ApplyChanges over the feed records of AN_FEED responses submitted through SubmitFeedback):"
  printf '%s' "$loads"
  echo
  echo "database file systems:"
  printf '%s' "$file_systems"
} >>"$report"
cat "$report"
[ -z "${AN_OUT:-}" ] || cp "$report" "$AN_OUT"
exit "$status"
