"""Shared helpers for the end-to-end tests of the real `touchpoint` binary (Python 3 stdlib only).

Every test script does:

    from harness import TestRun
    def main(t):                      # t is the TestRun
        db = t.sqlite_db()            # fresh database in the run's temp dir
        t.cli("migrate", "--db", db)  # runs the binary, returns a CompletedProcess
        server = t.serve(db, "--rate-limit", "0")
        client = server.client()      # HTTP/1.1 keep-alive client with a cookie jar
        t.check(client.get("/healthz").status == 200, "GET /healthz is 200")
    TestRun.main(main, timeout=120)

Guarantees, also when a check fails or the script is interrupted:
  * every server process started through the run is stopped (SIGTERM, then SIGKILL) and the temp dir
    removed; servers also get SIGKILL from the kernel if this script dies (setpriv --pdeathsig), so
    start them from the main thread only (the death signal follows the thread that forked);
  * the whole script is bounded by a watchdog (SIGALRM) below the CTest TIMEOUT;
  * children get no stdin (CI has none), a scrubbed environment (no inherited TOUCHPOINT_*), and run in
    the temp dir, so nothing is written into the source tree.

Exit status: 0 when every check passed, 1 when any failed, 77 (CTest SKIP_RETURN_CODE) when the
script called t.skip(), 2 on a harness error.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

SKIP = 77
SERVING_RE = re.compile(r"touchpoint (\S+) is serving (http://(\[[^\]]+\]|[^:/\s]+):(\d+)) \(store: (.*)\)")
PASSWORD_RE = re.compile(r"password \(shown once\):\s*(\S+)")
TOKEN_RE = re.compile(r"\b(tpk_[A-Za-z0-9_\-]+)")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class Skip(Exception):
    pass


class Abort(BaseException):
    """Raised by the watchdog or a termination signal; unwinds through every finally block."""


def log(message):
    print(message, flush=True)


def _setpriv():
    path = shutil.which("setpriv")
    if not path:
        return None
    try:
        out = subprocess.run([path, "--help"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=10)
        return path if "--pdeathsig" in out.stdout else None
    except (OSError, subprocess.SubprocessError):
        return None


def child_env(extra=None):
    """The environment for children: ours without TOUCHPOINT_* (tests set what they mean to)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOUCHPOINT_")}
    env.update(extra or {})
    return env


def free_port(low=20000, high=32000):
    """A loopback port that is free now, chosen below the kernel's ephemeral range (32768-60999 by
    default), so that servers started with port 0 by tests running in parallel cannot take it."""
    rng = secrets.SystemRandom()
    for _ in range(200):
        port = rng.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_password(stdout):
    m = PASSWORD_RE.search(stdout)
    return m.group(1) if m else None


def parse_token(stdout):
    m = TOKEN_RE.search(stdout)
    return m.group(1) if m else None


# --------------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage: case-insensitive .get(), .get_all()
        self.body = body

    def header(self, name):
        return self.headers.get(name)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def error_code(self):
        body = self.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return body["error"].get("code")
        return None

    def __repr__(self):
        text = self.text
        if len(text) > 300:
            text = text[:300] + "..."
        return "HTTP %d %s" % (self.status, text)


class Client:
    """An HTTP/1.1 client on one keep-alive connection with a cookie jar.

    For cookie-authenticated writes it sends X-CSRF-Token from the tp_csrf cookie unless csrf=False.
    `bearer` sets an API key for every request.
    """

    def __init__(self, base_url, bearer=None, timeout=30.0):
        parsed = urllib.parse.urlsplit(base_url)
        self.base_url = base_url
        self.host = parsed.hostname
        self.port = parsed.port
        self.timeout = timeout
        self.bearer = bearer
        self.cookies = {}
        self.conn = None
        self.last_request_id = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def _store_cookies(self, headers):
        for raw in headers.get_all("Set-Cookie") or []:
            first, _, attributes = raw.partition(";")
            name, _, value = first.strip().partition("=")
            expired = re.search(r"(?i)max-age\s*=\s*0\b", attributes) is not None
            if expired or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value

    @property
    def csrf(self):
        return self.cookies.get("tp_csrf")

    def request(self, method, path, body=None, raw=None, headers=None, csrf=True, content_type="application/json",
                request_id=None, cookies=True):
        """body: JSON-encoded; raw: bytes sent as they are. Returns a Response."""
        hdrs = {}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
        elif raw is not None:
            payload = raw if isinstance(raw, bytes) else raw.encode()
        if payload is not None and content_type:
            hdrs["Content-Type"] = content_type
        if self.bearer:
            hdrs["Authorization"] = "Bearer " + self.bearer
        if cookies and self.cookies:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
            if csrf and method not in ("GET", "HEAD", "OPTIONS") and self.csrf:
                hdrs["X-CSRF-Token"] = self.csrf
        if request_id:
            hdrs["X-Request-Id"] = request_id
        hdrs.update(headers or {})
        attempts = 2 if method in ("GET", "HEAD") else 1
        for attempt in range(attempts):
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt + 1 < attempts:
                    continue
                raise
            except Exception:
                self.close()
                raise
            if resp.will_close:
                self.close()
            self._store_cookies(resp.headers)
            self.last_request_id = resp.headers.get("X-Request-Id")
            return Response(resp.status, resp.reason, resp.headers, data)
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def login(self, tenant, email, password):
        return self.post("/api/v1/auth/login", {"tenant": tenant, "email": email, "password": password})


class WriterThreads:
    """Background writers for durability tests: a subclass's _writer(index) loops until self._stop is
    set, appending what the server acknowledged to self.acked under self.lock."""

    def __init__(self, threads):
        self.acked = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self.threads = [threading.Thread(target=self._writer, args=(i,), daemon=True) for i in range(threads)]

    def _writer(self, index):
        raise NotImplementedError

    def start(self):
        for th in self.threads:
            th.start()

    def stop(self, timeout):
        """Stops the writers; False when some did not finish within `timeout` seconds."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for th in self.threads:
            th.join(max(0.1, deadline - time.monotonic()))
        return not any(th.is_alive() for th in self.threads)

    def count(self):
        with self.lock:
            return len(self.acked)


def run_node_checks(t, cmd, what, timeout, env=None):
    """Runs a Node.js test script that logs its checks on stderr and prints a JSON summary ({"ok": …}) as
    its last line of stdout; logs the checks, records one check that all passed, returns the summary
    ({} when there is none)."""
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                              cwd=t.tmp, env=child_env(dict({"NODE_NO_WARNINGS": "1", "HOME": t.tmp}, **(env or {}))))
    except subprocess.TimeoutExpired as e:
        t.check(False, "%s finishes within %d s" % (what, timeout), e)
        return {}
    for line in done.stderr.splitlines():
        log("   | " + line)
    summary = {}
    for line in reversed(done.stdout.splitlines()):
        try:
            summary = json.loads(line)
            break
        except ValueError:
            continue
    t.check(done.returncode == 0 and summary.get("ok"), "%s passes all its checks" % what,
            "exit %d\nstdout: %s" % (done.returncode, done.stdout.strip()[-3000:]))
    return summary


# ---- the web application's browser tests (web/tests/*.mjs, playwright-core driving Debian's chromium)

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "web")
DEMO_USER_RE = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+password: (\S+)\s*$", re.M)
DEMO_TENANT_RE = re.compile(r"sign in with tenant '([^']+)'")


def require_browser_test_tools(t):
    """Chromium, the built app, node and playwright-core, all of which `make web` and the deps provide;
    returns node's path."""
    t.require(os.path.exists("/usr/bin/chromium"), "Debian's chromium is installed (scripts/install-deps.sh installs it)")
    t.require(os.path.isfile(os.path.join(WEB_DIR, "dist", "app", "index.html")), "the web app is built (web/dist/app: `make web`)")
    node = shutil.which("node")
    t.require(node is not None, "node is installed (scripts/install-deps.sh installs nodejs)")
    t.require(os.path.isfile(os.path.join(WEB_DIR, "node_modules", "playwright-core", "package.json")),
              "web/node_modules holds playwright-core (`make web` runs `npm ci` there)")
    return node


def demo_tenant_and_users(t, db, roles, *size_args):
    """`touchpoint demo-data` into db; returns the tenant's slug and {role: (email, password)}, requiring
    the given roles' passwords among what it prints."""
    demo = t.cli("demo-data", "--db", db, *size_args, timeout=240)
    t.require(demo.returncode == 0, "`touchpoint demo-data` exits 0", demo.stdout + demo.stderr)
    users = {role: (email, password) for role, email, password in DEMO_USER_RE.findall(demo.stdout)}
    tenant = DEMO_TENANT_RE.search(demo.stdout)
    t.require(tenant and all(role in users for role in roles),
              "demo-data prints the tenant and the passwords of: %s" % ", ".join(roles), demo.stdout)
    return tenant.group(1), users


def browser_output_dir(name):
    """Beside the test in the build tree when CTest runs it (its working directory), kept after the run."""
    return os.path.abspath(os.environ.get("TP_E2E_OUTPUT_DIR") or os.path.join(os.getcwd(), name + "-output"))


def run_browser_test(t, node, script, options, timeout):
    """Runs web/tests/SCRIPT with OPTIONS (a dict) as "--name=value" (a generated password may start with
    "-", which would otherwise read as an option of its own); returns its summary."""
    cmd = [node, os.path.join(WEB_DIR, "tests", script)] + ["--%s=%s" % item for item in options.items()]
    log("   $ node web/tests/%s --url=%s ..." % (script, options.get("url")))
    return run_node_checks(t, cmd, script, timeout)


def raw_exchange(host, port, data, timeout=15.0, chunks=None):
    """Sends `data` (then each of `chunks`, ignoring a peer that stops reading) on a new connection and
    reads until the peer closes or a whole response has arrived. Returns (status, headers dict with
    lower-case names, body bytes); status is None when nothing parsable came back."""
    sock = socket.create_connection((host, port), timeout=timeout)
    received = b""
    try:
        sock.sendall(data)
        for chunk in chunks or []:
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                break
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                part = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not part:
                break
            received += part
            parsed = _parse_raw_response(received)
            if parsed is not None and parsed[3]:
                return parsed[:3]
    finally:
        sock.close()
    parsed = _parse_raw_response(received)
    return parsed[:3] if parsed else (None, {}, received)


def _parse_raw_response(data):
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    complete = len(rest) >= length
    return int(parts[1]), headers, rest[:length], complete


# --------------------------------------------------------------------------------------------------
# Processes


class Server:
    """A running `touchpoint serve`. stdout and stderr are collected line by line in the background."""

    def __init__(self, run, args, env, cwd, name):
        self.run = run
        self.args = args
        self.name = name
        self.stdout_lines = []
        self.stderr_lines = []
        self._lock = threading.Lock()
        self._serving = threading.Event()
        self.url = None
        self.host = None
        self.port = None
        self.store = None
        self.serving_line_index = None
        cmd = list(args)
        if run.setpriv:
            cmd = [run.setpriv, "--pdeathsig", "KILL", "--"] + cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd)
        self.pid = self.proc.pid
        self._threads = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout_lines, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr_lines, False), daemon=True),
        ]
        for th in self._threads:
            th.start()

    def _pump(self, stream, lines, is_stdout):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                lines.append(line)
                if is_stdout and self.url is None:
                    m = SERVING_RE.search(line)
                    if m:
                        self.url = m.group(2)
                        self.host = m.group(3).strip("[]")
                        self.port = int(m.group(4))
                        self.store = m.group(5)
                        self.serving_line_index = len(lines) - 1
                        self._serving.set()
        stream.close()

    def wait_serving(self, timeout=60.0):
        """Waits for the "is serving" line; False if the process exited or the time ran out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._serving.wait(0.05):
                return True
            if self.proc.poll() is not None:
                for th in self._threads:
                    th.join(2)
                return self._serving.is_set()
        return False

    def alive(self):
        return self.proc.poll() is None

    def client(self, **kw):
        return Client(self.url, **kw)

    def signal(self, sig):
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        """Exit status, or None if still running after `timeout` seconds."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        for th in self._threads:
            th.join(5)
        return rc

    def stop(self, timeout=30.0):
        """SIGTERM and wait; SIGKILL if it does not exit. Returns (exit status, seconds taken)."""
        started = time.monotonic()
        if self.proc.poll() is not None:
            return self.wait(5), 0.0
        self.signal(signal.SIGTERM)
        rc = self.wait(timeout)
        elapsed = time.monotonic() - started
        if rc is None:
            self.kill()
        return rc, elapsed

    def kill(self):
        self.signal(signal.SIGKILL)
        return self.wait(10)

    def output(self):
        with self._lock:
            return list(self.stdout_lines), list(self.stderr_lines)

    def dump(self, tail=40):
        out, err = self.output()
        log("---- %s (pid %d) %s" % (self.name, self.pid, " ".join(self.args)))
        log("---- stdout, last %d of %d lines:" % (min(tail, len(out)), len(out)))
        for line in out[-tail:]:
            log("   | " + line)
        log("---- stderr, last %d of %d lines:" % (min(tail, len(err)), len(err)))
        for line in err[-tail:]:
            log("   | " + line)


def wait_for(what, predicate, timeout=30.0, interval=0.1):
    """predicate()'s first truthy value within `timeout` seconds, or None. `what` names it in logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    log("   (gave up waiting for %s after %.0f s)" % (what, timeout))
    return None


class SmtpServer:
    """A real SMTP server for a run: Debian's aiosmtpd (smtp_server.py) on a loopback port, STARTTLS with a
    self-signed certificate that touchpoint is told to trust, AUTH with one user; every accepted message
    lands in `maildir` as NNN.eml. `serve_args` are the `touchpoint serve` flags that send mail there."""

    DEBIAN_PYTHON = "/usr/bin/python3"  # has python3-aiosmtpd; the python3 on PATH may be another one

    def __init__(self, t, mail_from):
        self.cert, tls_key, self.maildir = t.path("smtp.crt"), t.path("smtp.key"), t.path("mail")
        os.makedirs(self.maildir)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", tls_key,
                        "-out", self.cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        self.port = free_port()
        self.process = subprocess.Popen(
            [self.DEBIAN_PYTHON, os.path.join(os.path.dirname(os.path.abspath(__file__)), "smtp_server.py"),
             str(self.port), self.cert, tls_key, "mailer", "s3cret-pass", self.maildir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        t.cleanups.append(lambda: (self.process.terminate(), self.process.wait(10)))
        t.require(self.process.stdout.readline().strip() == "ready", "aiosmtpd listens with STARTTLS and AUTH")
        password_file = t.path("smtp.password")
        with open(password_file, "w") as f:
            f.write("s3cret-pass\n")
        self.serve_args = ["--allow-outbound", "127.0.0.1:%d" % self.port, "--outbound-ca-file", self.cert,
                           "--smtp-url", "smtp://127.0.0.1:%d" % self.port, "--smtp-user", "mailer",
                           "--smtp-password-file", password_file, "--mail-from", mail_from]

    def log(self):
        """What the server printed, once it has exited."""
        return [line for line in self.process.stdout] if self.process.poll() is not None else []

    def messages(self):
        """The names of the received messages, in arrival order."""
        return sorted(f for f in os.listdir(self.maildir) if f.endswith(".eml"))

    def read(self, name):
        with open(os.path.join(self.maildir, name), "rb") as f:
            return f.read()


class TestRun:
    def __init__(self, binary, name, keep=False):
        self.binary = os.path.abspath(binary)
        self.name = name
        self.keep = keep
        self.failures = []
        self.passes = 0
        self.servers = []
        self.setpriv = _setpriv()
        # Under /tmp so that paths stay short (and a PostgreSQL user could enter it if ever needed).
        self.tmp = tempfile.mkdtemp(prefix="tp-e2e-%s-" % name)
        self.cleanups = []  # callables run (last first) before the temp dir is removed

    # ---- checks

    def check(self, condition, what, detail=None):
        if condition:
            self.passes += 1
            log("ok   - " + what)
        else:
            self.failures.append(what)
            log("FAIL - " + what + ("" if detail is None else "\n       " + str(detail).replace("\n", "\n       ")))
        return bool(condition)

    def require(self, condition, what, detail=None):
        """A check whose failure makes the rest of the test meaningless."""
        if not self.check(condition, what, detail):
            raise AssertionError("required check failed: " + what)

    def skip(self, why):
        raise Skip(why)

    def note(self, message):
        log("note - " + message)

    # ---- files and databases

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def sqlite_db(self, name=None):
        name = name or "db-%s" % secrets.token_hex(4)
        directory = self.path(name)
        os.makedirs(directory, exist_ok=True)
        return "sqlite:" + os.path.join(directory, "touchpoint.db")

    # ---- the binary

    def cli(self, *args, input=None, env=None, timeout=120, show=True):
        """Runs `touchpoint ARGS` to completion; returns the CompletedProcess (text)."""
        cmd = [self.binary] + [str(a) for a in args]
        started = time.monotonic()
        try:
            done = subprocess.run(cmd, input=input, stdin=None if input is not None else subprocess.DEVNULL,
                                  capture_output=True, text=True, env=child_env(env), cwd=self.tmp, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            self.check(False, "`%s` finished within %ds" % (" ".join(cmd[1:]), timeout), e)
            raise AssertionError("command timed out")
        if show:
            log("   $ touchpoint %s  -> exit %d (%.1fs)" % (" ".join(_quote(a) for a in cmd[1:]), done.returncode,
                                                          time.monotonic() - started))
        return done

    def cli_ok(self, *args, **kw):
        """Runs a command that must succeed; fails the test (required) otherwise."""
        done = self.cli(*args, **kw)
        self.require(done.returncode == 0, "`touchpoint %s` exits 0" % " ".join(str(a) for a in args[:3]),
                     "exit %d\nstdout: %s\nstderr: %s" % (done.returncode, done.stdout.strip(), done.stderr.strip()))
        return done

    def start_server(self, args, env=None, wait=True, timeout=60.0, name="server", pre_args=()):
        """Starts `touchpoint [PRE_ARGS] serve ARGS`. With wait, returns once it prints its URL (required)."""
        cmd = [self.binary] + list(pre_args) + ["serve"] + [str(a) for a in args]
        server = Server(self, cmd, child_env(env), self.tmp, name)
        self.servers.append(server)
        log("   $ touchpoint %s  (pid %d)" % (" ".join(_quote(a) for a in cmd[1:]), server.pid))
        if wait:
            ok = server.wait_serving(timeout)
            if not ok:
                server.dump()
            self.require(ok, "%s prints 'touchpoint X is serving http://HOST:PORT (store: ...)'" % name,
                         "exit status %s" % server.proc.poll())
        return server

    def serve(self, db, *args, env=None, name="server", timeout=60.0):
        """A server on a free loopback port (--listen 127.0.0.1:0) for `db`."""
        return self.start_server(["--listen", "127.0.0.1:0", "--db", db] + list(args), env=env, name=name,
                                 timeout=timeout)

    # ---- life cycle

    def cleanup(self):
        for server in self.servers:
            if server.alive():
                server.signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for server in self.servers:
            if server.alive() and server.wait(max(0.1, deadline - time.monotonic())) is None:
                log("note - %s (pid %d) ignored SIGTERM during cleanup; killing it" % (server.name, server.pid))
                server.kill()
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # cleanup must go on
                log("note - cleanup step failed: %r" % (e,))
        if self.keep:
            log("note - keeping " + self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @staticmethod
    def main(body, timeout=120, name=None):
        parser = argparse.ArgumentParser()
        parser.add_argument("--binary", required=True, help="path of the touchpoint binary")
        parser.add_argument("--timeout", type=int, default=timeout, help="watchdog in seconds")
        parser.add_argument("--keep", action="store_true", help="keep the temp dir")
        opts = parser.parse_args()
        name = name or os.path.splitext(os.path.basename(sys.argv[0]))[0]
        if not (os.path.isfile(opts.binary) and os.access(opts.binary, os.X_OK)):
            log("FAIL - the binary %s does not exist or is not executable" % opts.binary)
            sys.exit(2)

        def abort(signum, _frame):
            raise Abort("watchdog: the test ran out of time (%ds)" % opts.timeout if signum == signal.SIGALRM
                        else "interrupted by signal %d" % signum)

        signal.signal(signal.SIGALRM, abort)
        signal.signal(signal.SIGTERM, abort)
        signal.signal(signal.SIGINT, abort)
        signal.signal(signal.SIGHUP, abort)
        signal.alarm(opts.timeout)
        run = TestRun(opts.binary, name, keep=opts.keep)
        log("== e2e %s: binary %s, temp dir %s" % (name, run.binary, run.tmp))
        started = time.monotonic()
        status = 0
        try:
            try:
                body(run)
            except Skip as e:
                log("SKIP - %s" % e)
                status = SKIP
            except AssertionError as e:
                log("FAIL - stopped: %s" % e)
                if not run.failures:
                    run.failures.append(str(e))
            except Abort as e:
                log("FAIL - %s" % e)
                run.failures.append(str(e))
            except Exception:
                import traceback
                traceback.print_exc()
                run.failures.append("unexpected exception")
            if run.failures and status != SKIP:
                for server in run.servers:
                    server.dump()
        finally:
            signal.alarm(0)
            # A second signal during cleanup must not stop the cleanup.
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            run.cleanup()
        elapsed = time.monotonic() - started
        if status == SKIP:
            sys.exit(SKIP)
        if run.failures:
            log("== e2e %s: FAILED (%d failed, %d passed, %.1fs):" % (name, len(run.failures), run.passes, elapsed))
            for failure in run.failures:
                log("   - " + failure)
            sys.exit(1)
        log("== e2e %s: passed (%d checks, %.1fs)" % (name, run.passes, elapsed))
        sys.exit(0)


def _quote(arg):
    arg = str(arg)
    return arg if re.match(r"^[A-Za-z0-9_@%+=:,./-]+$", arg) else "'" + arg.replace("'", "'\\''") + "'"
