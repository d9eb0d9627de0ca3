#!/usr/bin/env bash
# sla.recompute over 100,000 open cases (bench/sla_recompute.cc), on SQLite and PostgreSQL 15 side by
# side, each on a fresh database:
#
#   bench/sla_recompute.sh BUILD_DIR          # SLA_CASES=100000 SLA_BACKENDS="sqlite postgres"
#
# Without TP_TEST_POSTGRES_URL it starts a throwaway PostgreSQL (scripts/with-postgres.sh). Prints the
# program's result lines prefixed with the backend, and the file system of each database.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_dir=$(dirname "$bench_dir")
build_dir=$(cd "$1" && pwd)
program=$build_dir/bench/sla_recompute
[ -x "$program" ] || { echo "bench: no $program (cmake --build $build_dir --target sla_recompute)" >&2; exit 1; }
cases=${SLA_CASES:-100000}
backends=${SLA_BACKENDS:-sqlite postgres}

if [[ " $backends " == *" postgres "* ]] && [ -z "${TP_TEST_POSTGRES_URL:-}" ]; then
  exec "$repo_dir/scripts/with-postgres.sh" "$0" "$@"
fi
# shellcheck source=bench/file_systems.sh
source "$bench_dir/file_systems.sh"

work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tp-sla-bench.XXXXXX")
pg_database=
admin_psql() { PGCONNECT_TIMEOUT=10 psql "$TP_TEST_POSTGRES_URL" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
  [ -n "$pg_database" ] && admin_psql -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work_dir"
}
trap cleanup EXIT

for backend in $backends; do
  case $backend in
    sqlite) db="sqlite:$work_dir/sla.db" ;;
    postgres)
      pg_database="tp_sla_$$_$RANDOM"
      admin_psql -c "CREATE DATABASE $pg_database" >/dev/null
      db=$(python3 - "$TP_TEST_POSTGRES_URL" "$pg_database" <<'PY'
import sys, urllib.parse
parts = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(parts._replace(path="/" + sys.argv[2])))
PY
)
      ;;
    *) echo "bench: unknown backend $backend" >&2; exit 2 ;;
  esac
  echo "# $backend: $(database_file_system "$db")"
  "$program" --db "$db" --cases "$cases" | sed "s/^/$backend /"
done
echo "# $(git -C "$repo_dir" rev-parse --short HEAD) $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
