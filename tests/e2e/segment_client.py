#!/usr/bin/env python3
"""E2E: Segment's own Node.js library (@segment/analytics-node, pinned in tests/segment/package-lock.json
and installed by `npm ci` in the Makefile's set-up, never at test time) sends identify, track and page
calls to the real binary; the profile and its events must then be readable through the REST API.

  1. tenant + admin + an ingest key (the library's write key, sent as HTTP Basic) and a full key, with
     the CLI; serve;
  2. node tests/segment/segment_client_test.mjs --url … --key INGEST --read-key FULL: sends the calls,
     flushes, checks the events and the profiles through the API, prints a JSON summary;
  3. here again: the profile has the e-mail, the events are listed for it, the order's revenue is kept,
     and a batch sent twice (the library's retry) is not stored twice.

Runs on SQLite, and on PostgreSQL too when TP_TEST_POSTGRES_URL is set (a fresh database, dropped at
the end).
"""
import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, parse_password, parse_token, log, run_node_checks  # noqa: E402

SEGMENT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "segment")
SCRIPT = os.path.join(SEGMENT_DIR, "segment_client_test.mjs")


def postgres_db(t):
    """A fresh database on TP_TEST_POSTGRES_URL (dropped at the end), or None without it."""
    server_url = os.environ.get("TP_TEST_POSTGRES_URL", "")
    if not server_url:
        return None
    psql = shutil.which("psql")
    t.require(psql is not None, "psql is installed (postgresql-client)")

    def run_sql(sql):
        done = subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", server_url, "-c", sql],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        log("   $ psql -c %r -> exit %d %s" % (sql, done.returncode, done.stderr.strip()))
        return done.returncode == 0

    name = "tp_e2e_segment_%s" % secrets.token_hex(6)
    t.require(run_sql("CREATE DATABASE %s" % name), "CREATE DATABASE %s" % name)
    t.cleanups.append(lambda: run_sql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name))
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def set_up(t, db, slug):
    t.cli_ok("migrate", "--db", db)
    t.cli_ok("tenant", "add", "--db", db, "--slug", slug, "--name", "%s Shop" % slug.capitalize())
    admin = t.cli_ok("user", "add", "--db", db, "--tenant", slug, "--email", "admin@%s.example" % slug,
                     "--name", "Admin", "--role", "admin")
    t.require(parse_password(admin.stdout) is not None, "`user add` prints a password", admin.stdout)
    keys = {}
    for scope in ("ingest", "full"):
        created = t.cli_ok("apikey", "create", "--db", db, "--tenant", slug, "--user", "admin@%s.example" % slug,
                           "--name", "segment-" + scope, "--scope", scope)
        keys[scope] = parse_token(created.stdout)
        t.require(keys[scope] is not None, "`apikey create --scope %s` prints a token" % scope, created.stdout)
    return keys["ingest"], keys["full"]


def node_with(t, *packages):
    """The node binary, once it and the SDK packages in tests/segment/node_modules are there."""
    node = shutil.which("node")
    t.require(node is not None, "node is installed (scripts/install-deps.sh installs nodejs)")
    for package in packages:
        t.require(os.path.isfile(os.path.join(SEGMENT_DIR, "node_modules", package, "package.json")),
                  "tests/segment/node_modules holds %s (the Makefile runs `npm ci` there; nothing is downloaded "
                  "at test time)" % package)
    return node


def backends(t, name):
    """[(label, db)]: SQLite, and PostgreSQL too when TP_TEST_POSTGRES_URL is set."""
    found = [("sqlite", t.sqlite_db(name))]
    pg = postgres_db(t)
    if pg:
        found.append(("postgresql", pg))
    else:
        t.note("TP_TEST_POSTGRES_URL is not set: SQLite only")
    return found


def on_each_backend(t, name, run):
    """On each backend: a tenant `name` with its keys (set_up), a server, run(server, ingest_key, full_key,
    label), and the server's clean stop."""
    for label, db in backends(t, name):
        ingest_key, full_key = set_up(t, db, name)
        server = t.serve(db, "--rate-limit", "0", name="server (%s)" % label)
        run(server, ingest_key, full_key, label)
        rc, took = server.stop()
        t.check(rc == 0, "%s: the server exits 0 on SIGTERM" % label, "exit %s after %.1fs" % (rc, took))


def run_client(t, node, server, write_key, read_key, label, script=SCRIPT, extra_args=()):
    """Runs one of tests/segment/*_test.mjs against the server; returns its JSON summary (None on failure)."""
    cmd = [node, script, "--url", server.url, "--key", write_key, "--read-key", read_key] + list(extra_args)
    log("   $ node %s --url %s --key tpk_… --read-key tpk_… %s" % (os.path.relpath(script), server.url,
                                                                  " ".join(extra_args)))
    return run_node_checks(t, cmd, "%s: %s" % (label, os.path.basename(script)), timeout=120) or None


def check_through_api(t, server, write_key, read_key, summary, label):
    reader = server.client(bearer=read_key)
    customer_id = summary.get("customer_id")
    t.require(isinstance(customer_id, str) and customer_id.startswith("cus_"),
              "%s: the client found the profile of its userId" % label, summary)
    r = reader.get("/api/v1/customers/%s" % customer_id)
    body = r.json() or {}
    t.check(r.status == 200 and re.match(r"^jana\.[0-9a-f]{8}@example\.com$", body.get("email") or ""),
            "%s: GET /api/v1/customers/{id} shows the e-mail from identify" % label, r)
    r = reader.get("/api/v1/events?customer_id=%s" % customer_id)
    items = (r.json() or {}).get("items") or []
    types = sorted(event.get("type") for event in items)
    t.check(r.status == 200 and types == ["identify", "page", "track"],
            "%s: the profile's events are identify, track and page" % label, r)
    orders = [event for event in items if event.get("name") == "Order Completed"]
    t.check(len(orders) == 1 and (orders[0].get("amount") or {}).get("amount") == "42.50" and orders[0]["amount"].get("currency") == "EUR", "%s: the order keeps its revenue" % label, orders)

    # The library retries a batch it got no answer for: the same messageIds again change nothing.
    batch = {"batch": [{"type": "track", "messageId": "retry-%s" % label, "userId": summary.get("user_id"),
                        "event": "Retried"}], "sentAt": "2030-01-01T00:00:00.000Z"}
    basic = {"Authorization": "Basic " + base64.b64encode((write_key + ":").encode()).decode()}
    writer = server.client()
    first = writer.post("/v1/batch", batch, headers=basic)
    again = writer.post("/v1/batch", batch, headers=basic)
    t.check(first.status == 200 and (first.json() or {}).get("accepted") == 1, "%s: a batch is accepted" % label, first)
    t.check(again.status == 200 and (again.json() or {}).get("duplicates") == 1 and (again.json() or {}).get("accepted") == 0,
            "%s: the same batch again counts as a duplicate" % label, again)
    r = reader.get("/api/v1/events?customer_id=%s&name=Retried" % customer_id)
    t.check(r.status == 200 and len((r.json() or {}).get("items") or []) == 1,
            "%s: the retried message is stored once" % label, r)


def main(t):
    node = node_with(t, "@segment/analytics-node")

    def run(server, write_key, read_key, label):
        summary = run_client(t, node, server, write_key, read_key, label)
        if summary:
            check_through_api(t, server, write_key, read_key, summary, label)

    on_each_backend(t, "segment", run)


if __name__ == "__main__":
    TestRun.main(main, timeout=240)
