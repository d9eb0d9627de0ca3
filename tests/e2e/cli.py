#!/usr/bin/env python3
"""E2E: the command line of `touchpoint` (README "The binary", src/app/main.cc).

  * --help of every subcommand exits 0 and names its options; `version`;
  * migrate / tenant add / user add (generated password, --password-stdin) / apikey create, and that
    what they create works over HTTP (sign-in, Bearer API key);
  * a bad --db scheme fails with a non-zero exit and a one-line message;
  * configuration precedence for serve: flag > config file ([serve] section) > TOUCHPOINT_* env,
    judged by the port the server actually listens on.
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, free_port, parse_password, parse_token, Client  # noqa: E402

HELP_OPTIONS = {
    ("serve",): ["--listen", "--db", "--body-limit", "--io-threads", "--workers", "--rate-limit", "--rate-burst",
                 "--secure-cookies", "--no-migrate", "--no-access-log", "--log-level"],
    ("migrate",): ["--db"],
    ("tenant", "add"): ["--db", "--slug", "--name"],
    ("user", "add"): ["--db", "--tenant", "--email", "--name", "--role", "--password-stdin"],
    ("apikey", "create"): ["--db", "--tenant", "--user", "--name", "--scope"],
    ("demo-data",): ["--db", "--if-empty", "--customers", "--cases", "--feedback"],
    ("version",): [],
}


def check_help(t):
    top = t.cli("--help")
    t.check(top.returncode == 0, "`touchpoint --help` exits 0", top.stderr)
    for command in ["serve", "migrate", "tenant", "user", "apikey", "demo-data", "version", "--config"]:
        t.check(command in top.stdout, "`touchpoint --help` mentions %s" % command, top.stdout)
    for words, options in HELP_OPTIONS.items():
        done = t.cli(*words, "--help")
        label = " ".join(words)
        t.check(done.returncode == 0, "`touchpoint %s --help` exits 0" % label,
                "exit %d, stderr: %s" % (done.returncode, done.stderr.strip()))
        missing = [o for o in options if not re.search(re.escape(o) + r"\b", done.stdout)]
        t.check(not missing, "`touchpoint %s --help` mentions its options %s" % (label, " ".join(options) or "(none)"),
                "missing %s in:\n%s" % (missing, done.stdout))
        t.check(done.stdout.strip() != "", "`touchpoint %s --help` prints something" % label)
    bare = t.cli()
    t.check(bare.returncode != 0, "`touchpoint` without a subcommand exits non-zero")
    unknown = t.cli("frobnicate")
    t.check(unknown.returncode != 0, "`touchpoint frobnicate` exits non-zero")


def check_version(t):
    done = t.cli("version")
    t.check(done.returncode == 0 and re.search(r"^touchpoint \d+\.\d+\.\d+", done.stdout.strip()),
            "`touchpoint version` prints 'touchpoint X.Y.Z'", repr(done.stdout))


def check_bad_db(t):
    for args in (["migrate", "--db", "mysql://localhost/x"],
                 ["tenant", "add", "--db", "/tmp/no-scheme.db", "--slug", "x", "--name", "X"],
                 ["serve", "--db", "redis://127.0.0.1:1", "--listen", "127.0.0.1:0"]):
        done = t.cli(*args, timeout=30)
        err = done.stderr.strip()
        label = "`touchpoint %s` with a bad --db scheme" % " ".join(args[:2] if args[0] == "tenant" else args[:1])
        t.check(done.returncode != 0, label + " exits non-zero", "exit %d" % done.returncode)
        t.check(err != "" and ("sqlite:" in err or "postgresql" in err) and "terminate called" not in err
                and "Aborted" not in err and len(err.splitlines()) <= 3,
                label + " says which schemes are accepted, in a short message", "stderr: %r" % err)
        t.check("is serving" not in done.stdout, label + " does not start serving")


def check_admin_commands(t):
    db = t.sqlite_db("admin")
    first = t.cli_ok("migrate", "--db", db)
    m = re.search(r"schema version (\d+)", first.stdout)
    t.check(m is not None and int(m.group(1)) >= 1, "`migrate` prints 'schema version N' with N >= 1", first.stdout)
    again = t.cli_ok("migrate", "--db", db)
    t.check(m is not None and ("schema version %s" % m.group(1)) in again.stdout,
            "a second `migrate` reports the same schema version", again.stdout)

    created = t.cli_ok("tenant", "add", "--db", db, "--slug", "acme", "--name", "Acme Corp")
    t.check("acme" in created.stdout, "`tenant add` names the tenant it created", created.stdout)
    dup = t.cli("tenant", "add", "--db", db, "--slug", "acme", "--name", "Acme again")
    t.check(dup.returncode != 0 and dup.stderr.strip() != "", "a second `tenant add` of the same slug fails with a message",
            "exit %d, stderr %r" % (dup.returncode, dup.stderr))
    no_tenant = t.cli("user", "add", "--db", db, "--tenant", "nope", "--email", "a@b.example", "--name", "A")
    t.check(no_tenant.returncode != 0 and no_tenant.stderr.strip() != "",
            "`user add` into an unknown tenant fails with a message", no_tenant.stderr)

    admin = t.cli_ok("user", "add", "--db", db, "--tenant", "acme", "--email", "admin@acme.example",
                     "--name", "Ada Admin", "--role", "admin")
    password = parse_password(admin.stdout)
    t.require(password is not None and len(password) >= 10,
              "`user add` prints a generated password once ('password (shown once): ...')", admin.stdout)
    t.check(admin.stdout.count(password) == 1, "the generated password appears exactly once in the output")

    stdin_password = "correct horse battery staple"
    agent = t.cli_ok("user", "add", "--db", db, "--tenant", "acme", "--email", "agent@acme.example",
                     "--name", "Alan Agent", "--role", "agent", "--password-stdin", input=stdin_password + "\n")
    t.check(stdin_password not in agent.stdout and parse_password(agent.stdout) is None,
            "`user add --password-stdin` prints no password", agent.stdout)
    no_stdin = t.cli("user", "add", "--db", db, "--tenant", "acme", "--email", "nostdin@acme.example",
                     "--name", "No Stdin", "--password-stdin", timeout=30)
    t.check(no_stdin.returncode != 0 and no_stdin.stderr.strip() != "",
            "`user add --password-stdin` with an empty stdin fails with a message (does not hang)",
            "exit %d, stderr %r" % (no_stdin.returncode, no_stdin.stderr))
    weak = t.cli("user", "add", "--db", db, "--tenant", "acme", "--email", "weak@acme.example",
                 "--name", "Weak", "--password-stdin", input="short\n")
    t.check(weak.returncode != 0, "`user add --password-stdin` refuses a too-short password", weak.stdout)

    full = t.cli_ok("apikey", "create", "--db", db, "--tenant", "acme", "--user", "admin@acme.example",
                    "--name", "e2e-full", "--scope", "full")
    full_token = parse_token(full.stdout)
    t.require(full_token is not None, "`apikey create --scope full` prints a tpk_ token", full.stdout)
    t.check(full.stdout.count(full_token) == 1, "the API token appears exactly once in the output")
    ingest = t.cli_ok("apikey", "create", "--db", db, "--tenant", "acme", "--user", "admin@acme.example",
                      "--name", "e2e-ingest", "--scope", "ingest")
    ingest_token = parse_token(ingest.stdout)
    t.require(ingest_token is not None, "`apikey create --scope ingest` prints a tpk_ token", ingest.stdout)
    bad_scope = t.cli("apikey", "create", "--db", db, "--tenant", "acme", "--user", "admin@acme.example",
                      "--scope", "root")
    t.check(bad_scope.returncode != 0, "`apikey create --scope root` is refused")

    server = t.serve(db, "--rate-limit", "0", name="admin-server")
    c = server.client()
    r = c.login("acme", "admin@acme.example", password)
    t.check(r.status == 200, "sign-in with the password printed by `user add` works", r)
    t.check("tp_session" in c.cookies and "tp_csrf" in c.cookies, "sign-in sets tp_session and tp_csrf", r.headers)
    body = r.json() or {}
    t.check(body.get("user", {}).get("role") == "admin" and body.get("csrf_token") == c.csrf,
            "sign-in answers the user (role admin) and the CSRF token of the cookie", body)
    r = c.get("/api/v1/auth/session")
    t.check(r.status == 200 and (r.json() or {}).get("auth") == "session", "GET /auth/session with the cookie is 200", r)

    wrong = Client(server.url).login("acme", "admin@acme.example", password + "x")
    t.check(wrong.status == 401, "sign-in with a wrong password is 401", wrong)

    c2 = server.client()
    r = c2.login("acme", "agent@acme.example", stdin_password)
    t.check(r.status == 200 and (r.json() or {}).get("user", {}).get("role") == "agent",
            "sign-in with the password given on stdin works (role agent)", r)

    keyed = Client(server.url, bearer=full_token)
    r = keyed.get("/api/v1/auth/session")
    session = r.json() or {}
    t.check(r.status == 200 and session.get("auth") == "api_key" and session.get("role") == "admin"
            and session.get("user", {}).get("email") == "admin@acme.example",
            "the full API key authenticates GET /api/v1/auth/session (auth api_key, role admin)", r)
    r = Client(server.url, bearer=ingest_token).get("/api/v1/auth/session")
    t.check(r.status == 403, "the ingest API key may not read the session (403)", r)
    r = Client(server.url, bearer=full_token[:-2] + "zz").get("/api/v1/auth/session")
    t.check(r.status == 401, "a mangled API key is 401", r)
    for cl in (c, c2, keyed):
        cl.close()
    rc, elapsed = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, elapsed))


def write_config(t, name, listen=None, db=None):
    path = t.path(name)
    lines = ["# written by tests/e2e/cli.py", "[serve]"]
    if listen:
        lines.append('listen = "%s"' % listen)
    if db:
        lines.append('db = "%s"' % db)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def listening_port(t, label, args, env=None, pre_args=()):
    """Starts serve with args and returns (port it serves on, store), checking /healthz on that port."""
    server = t.start_server(args, env=env, pre_args=pre_args, name=label, wait=False)
    if not server.wait_serving(60):
        server.dump()
        t.check(False, "%s: the server starts" % label, "exit status %s" % server.proc.poll())
        server.kill()
        return None, None
    r = server.client().get("/healthz")
    t.check(r.status == 200, "%s: /healthz answers on the announced port %d" % (label, server.port), r)
    port, store = server.port, server.store
    rc, _ = server.stop()
    t.check(rc == 0, "%s: exits 0 on SIGTERM" % label, "exit %s" % rc)
    return port, store


def check_config_precedence(t):
    db_flag = t.sqlite_db("cfg-flag")
    db_file = t.sqlite_db("cfg-file")
    db_env = t.sqlite_db("cfg-env")
    p_flag, p_file, p_env = free_port(), free_port(), free_port()
    while len({p_flag, p_file, p_env}) < 3:
        p_file, p_env = free_port(), free_port()
    env = {"TOUCHPOINT_LISTEN": "127.0.0.1:%d" % p_env, "TOUCHPOINT_DB": db_env}
    t.note("ports: flag %d, config file %d, environment %d" % (p_flag, p_file, p_env))

    port, store = listening_port(t, "env only", [], env=env)
    t.check(port == p_env, "TOUCHPOINT_LISTEN alone decides the port", "listens on %s" % port)
    t.check(store == db_env, "TOUCHPOINT_DB alone decides the database", "store %s" % store)

    config = write_config(t, "touchpoint.toml", listen="127.0.0.1:%d" % p_file, db=db_file)
    # main.cc registers --config on the top-level app: `touchpoint --config FILE serve`.
    port, store = listening_port(t, "config (top-level --config) + env", [], env=env, pre_args=["--config", config])
    t.check(port == p_file, "config file beats TOUCHPOINT_LISTEN (`touchpoint --config F serve`)",
            "listens on %s; expected the config file's %d (env %d)" % (port, p_file, p_env))
    t.check(store == db_file, "config file beats TOUCHPOINT_DB", "store %s" % store)

    port, store = listening_port(t, "flag + config + env", ["--listen", "127.0.0.1:%d" % p_flag, "--db", db_flag],
                                 env=env, pre_args=["--config", config])
    t.check(port == p_flag, "--listen beats config file and TOUCHPOINT_LISTEN",
            "listens on %s; expected the flag's %d (file %d, env %d)" % (port, p_flag, p_file, p_env))
    t.check(store == db_flag, "--db beats config file and TOUCHPOINT_DB", "store %s" % store)

    port, _ = listening_port(t, "flag + env", ["--listen", "127.0.0.1:%d" % p_flag], env=env)
    t.check(port == p_flag, "--listen beats TOUCHPOINT_LISTEN", "listens on %s" % port)

    # README's table lists --config among the options of `touchpoint serve`: the form
    # `touchpoint serve --config FILE` should work too.
    done = t.cli("serve", "--config", config, "--help")
    port, store = listening_port(t, "serve --config + env", ["--config", config], env=env)
    t.check(port == p_file, "`touchpoint serve --config FILE` (as README lists it) reads the file and beats the env",
            "listens on %s; expected %d. `serve --config F --help` exit %d, stderr %r"
            % (port, p_file, done.returncode, done.stderr.strip()[:300]))

    missing = t.cli("--config", t.path("does-not-exist.toml"), "serve", "--listen", "127.0.0.1:0", "--db", db_flag,
                    timeout=30)
    t.check(missing.returncode != 0 and "is serving" not in missing.stdout,
            "a --config file that does not exist is an error", "exit %d" % missing.returncode)


def main(t):
    check_help(t)
    check_version(t)
    check_bad_db(t)
    check_admin_commands(t)
    check_config_precedence(t)


if __name__ == "__main__":
    TestRun.main(main, timeout=240)
