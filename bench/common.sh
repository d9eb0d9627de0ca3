# Shared by the bench/*.sh scripts that run one bench tool on SQLite and PostgreSQL side by side.
# Source it after setting bench_dir; then:
#   bench_prepare TOOL "$BACKENDS" "$@"   checks BUILD_DIR, sets build_dir, binary and tool; without
#                                         TP_TEST_POSTGRES_URL, runs the script again under
#                                         scripts/with-postgres.sh when BACKENDS has postgres
#   bench_work_dir NAME                   sets work_dir, a temp dir removed on exit with the database made
#   bench_database BACKEND PREFIX         sets db: a fresh SQLite file or PostgreSQL database for BACKEND
#   bench_machine                         prints the date, commit, cores, memory and CPU of the run
repo_dir=$(dirname "$bench_dir")
pg_database=

bench_prepare() {
  local tool_name=$1 backends=$2
  shift 2
  [ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
  build_dir=$(cd "$1" && pwd)
  binary=$build_dir/touchpoint
  tool=$build_dir/bench/$tool_name
  [ -x "$binary" ] || { echo "bench: no $binary (build it first)" >&2; exit 1; }
  [ -x "$tool" ] || { echo "bench: no $tool (ninja -C $build_dir $tool_name)" >&2; exit 1; }
  if [[ " $backends " == *" postgres "* ]] && [ -z "${TP_TEST_POSTGRES_URL:-}" ]; then
    exec "$repo_dir/scripts/with-postgres.sh" "$0" "$@"
  fi
}

bench_cleanup() {
  [ -n "$pg_database" ] && psql "$TP_TEST_POSTGRES_URL" -X -q -c "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work_dir"
}

bench_work_dir() {
  work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tp-$1.XXXXXX")
  trap bench_cleanup EXIT
}

bench_database() {
  case $1 in
    sqlite) db="sqlite:$work_dir/sqlite/touchpoint.db"; mkdir -p "$work_dir/sqlite" ;;
    postgres)
      pg_database="$2_$$"
      psql "$TP_TEST_POSTGRES_URL" -X -q -c "CREATE DATABASE $pg_database" >/dev/null
      db="${TP_TEST_POSTGRES_URL%/*}/$pg_database"
      ;;
    *) echo "bench: unknown backend $1" >&2; exit 2 ;;
  esac
}

bench_machine() {
  echo "date $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$repo_dir" rev-parse --short HEAD 2>/dev/null || echo unknown)," \
    "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
}
