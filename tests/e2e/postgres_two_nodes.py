#!/usr/bin/env python3
"""E2E: two `touchpoint serve` processes on one PostgreSQL database (docs/architecture.md "Scaling out":
sessions, API keys and everything else that matters live in the store, so any node serves any request).

Needs TP_TEST_POSTGRES_URL, a superuser URL on which a database may be created (scripts/run-tests.sh
sets it); exits 77 (skipped) without it. Creates a fresh database, drops it at the end.
"""
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, Client, parse_password, log  # noqa: E402


def psql(t, url, sql):
    psql_bin = shutil.which("psql")
    t.require(psql_bin is not None, "psql is installed (postgresql-client)")
    done = subprocess.run([psql_bin, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    log("   $ psql -c %r -> exit %d %s" % (sql, done.returncode, done.stderr.strip()))
    return done


def database_url(server_url, name):
    parts = urllib.parse.urlsplit(server_url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def main(t):
    server_url = os.environ.get("TP_TEST_POSTGRES_URL", "")
    if not server_url:
        t.skip("TP_TEST_POSTGRES_URL is not set (scripts/run-tests.sh sets it)")
    name = "tp_e2e_%s" % secrets.token_hex(6)
    created = psql(t, server_url, "CREATE DATABASE %s" % name)
    t.require(created.returncode == 0, "CREATE DATABASE %s" % name, created.stderr)
    t.cleanups.append(lambda: t.check(psql(t, server_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % name).returncode == 0,
                                      "DROP DATABASE %s at the end" % name))
    db = database_url(server_url, name)

    migrated = t.cli_ok("migrate", "--db", db)
    m = re.search(r"schema version (\d+)", migrated.stdout)
    t.check(m is not None and int(m.group(1)) >= 1, "`migrate` on PostgreSQL prints 'schema version N'", migrated.stdout)
    t.cli_ok("tenant", "add", "--db", db, "--slug", "nodes", "--name", "Two Nodes Ltd")
    admin = t.cli_ok("user", "add", "--db", db, "--tenant", "nodes", "--email", "admin@nodes.example",
                     "--name", "Admin", "--role", "admin")
    password = parse_password(admin.stdout)
    t.require(password is not None, "`user add` prints a generated password", admin.stdout)

    node_a = t.serve(db, "--rate-limit", "0", name="node A")
    node_b = t.serve(db, "--rate-limit", "0", name="node B")
    t.require(node_a.port != node_b.port, "the two nodes listen on different ports (%d, %d)" % (node_a.port, node_b.port))
    # The start-up line names the database without its user, password and parameters.
    described = re.sub(r"//[^@/]*@", "//", db.split("?")[0])
    t.check(node_a.store == described and node_b.store == described,
            "both nodes report the PostgreSQL store, without credentials", (node_a.store, described))

    on_a = node_a.client()
    r = on_a.login("nodes", "admin@nodes.example", password)
    t.require(r.status == 200 and on_a.csrf, "sign in on node A", r)

    # The same browser (cookies) talking to node B.
    on_b = node_b.client()
    on_b.cookies = dict(on_a.cookies)

    r = on_a.post("/api/v1/teams", {"name": "Escalations", "kind": "service", "description": "made on A"})
    team = r.json() or {}
    t.require(r.status == 201 and str(team.get("id", "")).startswith("team_"),
              "create a team through node A (cookie + X-CSRF-Token) is 201", r)
    r = on_b.get("/api/v1/teams/%s" % team["id"])
    got = r.json() or {}
    t.check(r.status == 200 and got.get("name") == "Escalations" and got.get("description") == "made on A",
            "node B reads the team created through A with the same session cookie", r)
    r = on_b.get("/api/v1/teams")
    t.check(r.status == 200 and team["id"] in [i.get("id") for i in (r.json() or {}).get("items", [])],
            "node B lists the team", r)
    r = on_b.patch("/api/v1/teams/%s" % team["id"], {"description": "changed on B"})
    t.check(r.status == 200, "node B accepts a write with the session and CSRF token issued by A", r)
    r = on_a.get("/api/v1/teams/%s" % team["id"])
    t.check(r.status == 200 and (r.json() or {}).get("description") == "changed on B", "node A sees B's change", r)
    r = on_b.post("/api/v1/teams", {"name": "No CSRF"}, csrf=False)
    t.check(r.status == 403, "node B also refuses a cookie write without X-CSRF-Token (403)", r)

    r = on_a.post("/api/v1/api-keys", {"name": "made-on-a", "scope": "full"})
    key = r.json() or {}
    t.require(r.status == 201 and str(key.get("token", "")).startswith("tpk_"), "create an API key through node A", r)
    keyed_b = Client(node_b.url, bearer=key["token"])
    r = keyed_b.get("/api/v1/users")
    emails = [u.get("email") for u in (r.json() or {}).get("items", [])]
    t.check(r.status == 200 and "admin@nodes.example" in emails, "node B lists users with the API key made via A", r)

    # Each node caches credentials it has seen; revocation and sign-out on one node reach the other's
    # cache through the change feed (LISTEN/NOTIFY), well within a second.
    keyed_a = Client(node_a.url, bearer=key["token"])
    t.require(keyed_a.get("/api/v1/users").status == 200, "node A accepts (and caches) the key")
    r = on_b.delete("/api/v1/api-keys/%s" % key["id"])
    t.check(r.status == 200, "revoke the key through node B", r)
    t.check(keyed_b.get("/api/v1/users").status == 401, "node B refuses the key it revoked at once (401)")

    def refused_within(client, path, seconds):
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        while time.monotonic() < deadline:
            if client.get(path).status == 401:
                return time.monotonic() - started
            time.sleep(0.02)
        return None

    took = refused_within(keyed_a, "/api/v1/users", 2.0)
    t.check(took is not None, "node A refuses the key revoked through B within 2 s (401)",
            "still accepted after 2 s")
    if took is not None:
        t.note("node A refused the revoked key %.0f ms after the revocation answered" % (took * 1000))
    t.require(on_a.get("/api/v1/auth/session").status == 200, "node A accepts (and caches) the session")
    r = on_b.post("/api/v1/auth/logout", None)
    t.check(r.status == 204, "sign out through node B", r)
    t.check(refused_within(on_a, "/api/v1/auth/session", 2.0) is not None,
            "node A no longer accepts the session ended through B within 2 s (401)")

    for client in (on_a, on_b, keyed_a, keyed_b):
        client.close()
    for node in (node_a, node_b):
        rc, took = node.stop()
        t.check(rc == 0, "%s exits 0 on SIGTERM" % node.name, "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=180)
