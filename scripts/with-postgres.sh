#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL 15 server:
#
#   scripts/with-postgres.sh COMMAND ARGS...
#
# The server lives in a temporary directory, listens on a free loopback port with trust authentication
# and is exported to the command as TP_TEST_POSTGRES_URL=postgresql://touchpoint@127.0.0.1:PORT/postgres.
# The server is stopped and its directory removed however the script ends (success, failure, signal);
# the script exits with the command's status. When TP_TEST_POSTGRES_URL is already set, the command
# runs against that server instead. PostgreSQL refuses to run as root, so as root the server runs as
# the `postgres` system user. TP_POSTGRES_BIN overrides where initdb and pg_ctl are found.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi
if [ -n "${TP_TEST_POSTGRES_URL:-}" ]; then
  exec "$@"
fi

pg_bin=${TP_POSTGRES_BIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$pg_bin/initdb" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
  echo "with-postgres.sh: no initdb/pg_ctl in $pg_bin; scripts/install-deps.sh installs postgresql-15" >&2
  exit 1
fi

superuser=touchpoint
if [ "$(id -u)" -eq 0 ]; then
  db_user=postgres
  # The server user must be able to reach its directory, so it goes under /tmp whatever TMPDIR says.
  work_dir=$(mktemp -d /tmp/tp-postgres.XXXXXX)
  chown "$db_user:" "$work_dir"
else
  db_user=$(id -un)
  work_dir=$(mktemp -d "${TMPDIR:-/tmp}/tp-postgres.XXXXXX")
fi
data_dir=$work_dir/data
log_file=$work_dir/server.log
server_started=0
command_pid=

# Runs a PostgreSQL program as the server user, from a directory that user may enter.
as_db_user() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$work_dir" && runuser -u "$db_user" -- "$@")
  else
    (cd "$work_dir" && "$@")
  fi
}

# shellcheck disable=SC2317  # reached through the EXIT trap, which shellcheck does not follow
cleanup() {
  # A second signal (timeout and Ctrl-C signal the whole process group) must not cut the clean-up short.
  trap '' HUP INT TERM
  if [ -n "$command_pid" ] && kill -0 "$command_pid" 2>/dev/null; then
    kill -TERM "$command_pid" 2>/dev/null || true
    wait "$command_pid" 2>/dev/null || true
  fi
  if [ "$server_started" -eq 1 ]; then
    as_db_user "$pg_bin/pg_ctl" -D "$data_dir" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work_dir"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# A port the kernel just handed out is free unless another process grabs it before the server binds;
# that race is why the start below is attempted more than once.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

as_db_user "$pg_bin/initdb" -D "$data_dir" -U "$superuser" --auth-local=trust --auth-host=trust \
  -E UTF8 --locale=C --no-sync >"$work_dir/initdb.log" 2>&1 || {
  echo "with-postgres.sh: initdb failed:" >&2
  cat "$work_dir/initdb.log" >&2
  exit 1
}

# Durability settings are off: the data is thrown away, and tests run several times faster.
cat >>"$data_dir/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$work_dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF

for attempt in 1 2 3; do
  port=$(free_port)
  if as_db_user "$pg_bin/pg_ctl" -D "$data_dir" -l "$log_file" -o "-p $port" -w -t 60 start >/dev/null; then
    server_started=1
    break
  fi
  echo "with-postgres.sh: PostgreSQL did not start on port $port (attempt $attempt); server log:" >&2
  tail -n 30 "$log_file" >&2 || true
done
if [ "$server_started" -ne 1 ]; then
  exit 1
fi

export TP_TEST_POSTGRES_URL="postgresql://$superuser@127.0.0.1:$port/postgres"

# The command runs in the background so that a signal reaches the traps at once instead of after the
# command ends; stdin is passed on explicitly because background jobs otherwise get /dev/null.
"$@" <&0 &
command_pid=$!
set +e
wait "$command_pid"
status=$?
set -e
command_pid=
exit "$status"
