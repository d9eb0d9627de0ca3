#!/usr/bin/env bash
# Runs the PostgreSQL steps of docs/operations.md against a throwaway PostgreSQL 15 of its own
# (scripts/with-postgres.sh; never an existing server): the role and database as the doc creates them,
# TLS with sslmode=verify-full (a test CA, a server certificate for 127.0.0.1), the password from a
# PGPASSFILE, pg_hba refusing the role without TLS, three concurrent `touchpoint migrate`, serve and
# /readyz, pg_dump and pg_restore. A manual check, not a CTest test (it reconfigures its server).
#
#   scripts/check-postgres-setup.sh build/release/touchpoint
set -euo pipefail
if [ -z "${TP_CHECK_POSTGRES_INNER:-}" ]; then
  cd "$(dirname "$0")/.."
  exec env -u TP_TEST_POSTGRES_URL TP_CHECK_POSTGRES_INNER=1 ./scripts/with-postgres.sh "$(pwd)/scripts/check-postgres-setup.sh" "$(realpath "${1:?usage: check-postgres-setup.sh TOUCHPOINT_BINARY}")"
fi
B=$1
U=$TP_TEST_POSTGRES_URL
port=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).port)' "$U")
W=$(mktemp -d /tmp/tp-ops-pg.XXXXXX)
trap 'rm -rf "$W"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$U" "$@"; }
hba=$(q -At -c "SHOW hba_file"); datadir=$(q -At -c "SHOW data_directory")
cd "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=tp-test-ca 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other-ca.key -out other-ca.pem -days 1 -subj /CN=other-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile ext.cnf 2>/dev/null
# The server runs as `postgres` when this runs as root (scripts/with-postgres.sh), else as this user.
owner=(); if [ "$(id -u)" -eq 0 ]; then owner=(-o postgres -g postgres); fi
install "${owner[@]}" -m 0644 server.crt "$datadir/server.crt"
install "${owner[@]}" -m 0600 server.key "$datadir/server.key"
sed -i '1i hostssl tp_ops_db,tp_ops_db2,tp_ops_restored tp_ops 127.0.0.1/32 scram-sha-256\nhost tp_ops_db,tp_ops_db2,tp_ops_restored tp_ops 127.0.0.1/32 reject' "$hba"
q -c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
echo "== the doc's SQL"
q <<'SQL'
CREATE ROLE tp_ops LOGIN PASSWORD 'pw-ops-check-123';
CREATE DATABASE tp_ops_db OWNER tp_ops ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE tp_ops_db FROM PUBLIC;
CREATE DATABASE tp_ops_db2 OWNER tp_ops ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE tp_ops_db2 FROM PUBLIC;
SQL
printf '127.0.0.1:%s:*:tp_ops:pw-ops-check-123\n' "$port" > pgpass; chmod 600 pgpass
export PGPASSFILE=$W/pgpass
url() { echo "postgresql://tp_ops@127.0.0.1:$port/$1?sslmode=verify-full&sslrootcert=$W/${2:-ca}.pem"; }
echo "== migrate with sslmode=verify-full, password from PGPASSFILE"
"$B" migrate --db "$(url tp_ops_db)"
echo "== wrong CA must fail"; if "$B" migrate --db "$(url tp_ops_db other-ca)" 2>&1; then echo "UNEXPECTED success"; exit 1; fi
echo "== without TLS must be refused by pg_hba"; if "$B" migrate --db "postgresql://tp_ops@127.0.0.1:$port/tp_ops_db?sslmode=disable" 2>&1; then echo "UNEXPECTED success"; exit 1; fi
echo "== no password file must fail"; if PGPASSFILE=/nonexistent "$B" migrate --db "$(url tp_ops_db)" 2>&1; then echo "UNEXPECTED success"; exit 1; fi
echo "== three concurrent migrates on a fresh database"
for i in 1 2 3; do "$B" migrate --db "$(url tp_ops_db2)" > m$i.out 2>&1 & done; wait
cat m1.out m2.out m3.out
q -At -d "${U%/postgres}/tp_ops_db2" -c "SELECT count(*), count(DISTINCT version) FROM schema_migrations"
echo "== tables are owned by tp_ops"; q -At -d "${U%/postgres}/tp_ops_db" -c "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname='public'"
echo "== serve, connection properties"
"$B" tenant add --db "$(url tp_ops_db)" --slug ops --name Ops
"$B" serve --listen 127.0.0.1:0 --db "$(url tp_ops_db)" > serve.out 2>&1 & spid=$!
for i in $(seq 50); do grep -q "is serving" serve.out && break; sleep 0.2; done
head -1 serve.out
sport=$(sed -n 's/.*is serving http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' serve.out | head -1)
curl -fsS "http://127.0.0.1:$sport/readyz"; echo
q -At -c "SELECT a.application_name, s.ssl, s.version FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename='tp_ops'"
q -At -c "SELECT count(*) FROM pg_stat_activity WHERE usename='tp_ops'"
kill -TERM $spid; wait $spid; echo "serve exit $?"
echo "== pg_dump / pg_restore"
pg_dump --format=custom --file=tp.dump "$(url tp_ops_db)"
q -c "CREATE DATABASE tp_ops_restored OWNER tp_ops ENCODING 'UTF8' TEMPLATE template0"
pg_restore --no-owner --role=tp_ops --dbname="$(url tp_ops_restored)" tp.dump
"$B" migrate --db "$(url tp_ops_restored)"
q -At -d "${U%/postgres}/tp_ops_restored" -c "SELECT slug FROM tenants"
echo "== all PostgreSQL checks done"
