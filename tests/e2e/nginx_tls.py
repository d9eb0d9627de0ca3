#!/usr/bin/env python3
"""E2E: touchpoint behind Debian's nginx with TLS, using the server block operators install
(deploy/nginx-touchpoint.conf, docs/operations.md "Behind a TLS reverse proxy").

  1. a self-signed certificate for 127.0.0.1 (openssl req -x509) in the temp dir;
  2. demo data in a fresh SQLite database; `touchpoint serve --secure-cookies` on a free loopback port;
  3. nginx in the foreground (its own nginx.conf, pid file, temp paths and logs in the temp dir) running
     deploy/nginx-touchpoint.conf with only its ports, certificate, upstream port and log paths
     replaced; `nginx -t` accepts it;
  4. over HTTPS (a client trusting only the generated certificate): plain HTTP is redirected; sign-in
     sets tp_session (Secure, HttpOnly, SameSite=Strict) and tp_csrf (Secure, readable); the cookie reads
     customers (200); a cookie write without X-CSRF-Token is 403, with it 201;
  5. what touchpoint does with the proxy's headers today: it adopts nginx's X-Request-Id (the same id
     in nginx's access log, touchpoint's access log and the audit entry), and it records the TCP peer
     (the proxy, 127.0.0.1) as the client address, whatever X-Forwarded-For says, also for the per-IP
     sign-in limit;
  6. /metrics and /readyz through the proxy are allowed from loopback; nginx and touchpoint stop cleanly;
  7. docs/operations.md shows the deploy files (nginx block, systemd unit and drop-in) as they are.

Skipped (exit 77) when nginx or openssl is not installed (scripts/install-deps.sh installs both).
"""
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, Client, child_env, free_port, log  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVER_BLOCK = os.path.join(REPO, "deploy", "nginx-touchpoint.conf")
DEMO_ADMIN_RE = re.compile(r"^\s*admin\s+(\S+@\S+)\s+password:\s*(\S+)\s*$", re.MULTILINE)
DEMO_TENANT_RE = re.compile(r"created demo tenant '([^']+)'")


class HttpsClient(Client):
    """The harness client (cookie jar, X-CSRF-Token from tp_csrf) over TLS with the given context."""

    def __init__(self, base_url, context, **kw):
        super().__init__(base_url, **kw)
        self.context = context

    def _connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        return self.conn


def make_certificate(t, openssl):
    cert, key = t.path("tls", "cert.pem"), t.path("tls", "key.pem")
    os.makedirs(t.path("tls"), exist_ok=True)
    done = subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, cwd=t.tmp)
    t.require(done.returncode == 0 and os.path.isfile(cert), "openssl req -x509 makes a self-signed certificate",
              done.stderr)
    return cert, key


def substitute(t, text, pattern, replacement, what, count=None):
    """re.subn that must match (count times, when given): a changed deploy file fails here, loudly,
    instead of the test quietly running something else."""
    new, n = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    t.require(n > 0 and (count is None or n == count), "deploy/nginx-touchpoint.conf: %s (%d found)" % (what, n))
    return new


def check_docs_show_deploy_files(t):
    """docs/operations.md shows the deploy files as they are (after their leading comment lines)."""
    with open(os.path.join(REPO, "docs", "operations.md")) as f:
        doc = f.read()
    for name in ("nginx-touchpoint.conf", "touchpoint.service", "touchpoint-postgresql.conf"):
        with open(os.path.join(REPO, "deploy", name)) as f:
            lines = f.read().splitlines()
        while lines and (lines[0].startswith("#") or not lines[0].strip()):
            lines.pop(0)
        t.check("\n".join(lines).strip() in doc, "docs/operations.md shows deploy/%s as it is" % name)


def test_server_block(t, http_port, https_port, upstream_port, cert, key):
    """deploy/nginx-touchpoint.conf with the test's ports, certificate and log files."""
    with open(SERVER_BLOCK) as f:
        text = f.read()
    text = substitute(t, text, r"^\s*listen \[::\]:\d+.*\n", "", "IPv6 listen lines dropped", 2)
    text = substitute(t, text, r"^(\s*)listen 80;", r"\g<1>listen 127.0.0.1:%d;" % http_port, "listen 80", 1)
    text = substitute(t, text, r"^(\s*)listen 443 ", r"\g<1>listen 127.0.0.1:%d " % https_port, "listen 443", 1)
    text = substitute(t, text, r"^(\s*)server 127\.0\.0\.1:8080;", r"\g<1>server 127.0.0.1:%d;" % upstream_port,
                      "upstream 127.0.0.1:8080", 1)
    text = substitute(t, text, r"^(\s*)ssl_certificate\s+\S+;", r"\g<1>ssl_certificate %s;" % cert, "ssl_certificate", 1)
    text = substitute(t, text, r"^(\s*)ssl_certificate_key\s+\S+;", r"\g<1>ssl_certificate_key %s;" % key,
                      "ssl_certificate_key", 1)
    text = substitute(t, text, r"^(\s*)access_log\s+/var/log/nginx/\S+", r"\g<1>access_log %s" % t.path("nginx", "access.log"),
                      "access_log", 1)
    text = substitute(t, text, r"^(\s*)error_log\s+/var/log/nginx/\S+;", r"\g<1>error_log %s info;" % t.path("nginx", "error.log"),
                      "error_log", 1)
    text = re.sub(r"#.*", "", text)  # comments (no directive of the file has a # in it)
    t.check("/var/" not in text and "/etc/" not in text, "the test's server block uses no system paths", text)
    return text


def write_nginx_conf(t, server_block):
    """A whole nginx.conf around the server block: foreground, one process, everything in the temp dir."""
    d = t.path("nginx")
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(d, "temp", sub), exist_ok=True)
    conf = """# written by tests/e2e/nginx_tls.py
daemon off;
# One process: no worker processes switching to another user (the temp dir is private to this user).
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {d}/temp/client_body;
    proxy_temp_path {d}/temp/proxy;
    fastcgi_temp_path {d}/temp/fastcgi;
    uwsgi_temp_path {d}/temp/uwsgi;
    scgi_temp_path {d}/temp/scgi;
    access_log off;
    default_type application/octet-stream;
{block}
}}
""".format(d=d, block=server_block)
    path = os.path.join(d, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


class Nginx:
    def __init__(self, t, nginx, conf):
        self.t = t
        d = os.path.dirname(conf)
        self.base = [nginx, "-p", d + "/", "-c", conf, "-e", os.path.join(d, "error.log")]
        self.proc = None
        self.output = os.path.join(d, "stdio.log")

    def config_test(self):
        return subprocess.run(self.base + ["-t"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=30, cwd=self.t.tmp, env=child_env())

    def start(self):
        cmd = list(self.base)
        if self.t.setpriv:
            cmd = [self.t.setpriv, "--pdeathsig", "KILL", "--"] + cmd
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                         cwd=self.t.tmp, env=child_env())
        log("   $ %s  (pid %d)" % (" ".join(self.base), self.proc.pid))
        self.t.cleanups.append(self.stop)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGQUIT (graceful shutdown), then SIGKILL. Exit status, or None if it had to be killed."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("note - nginx (pid %d) ignored SIGQUIT; killing it" % self.proc.pid)
                self.proc.kill()
                self.proc.wait(10)
                return None
        return self.proc.returncode

    def logs(self):
        text = ""
        for name in ("stdio.log", "error.log"):
            path = os.path.join(os.path.dirname(self.output), name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    text += "---- nginx %s:\n%s" % (name, f.read()[-3000:])
        return text


def access_log_entries(server):
    entries = []
    out, _ = server.output()
    for line in out:
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                pass
    return entries


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wait_for(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def cookie_attributes(headers, name):
    """The attribute names (lower case) of the Set-Cookie header for `name`, or None."""
    for raw in headers.get_all("Set-Cookie") or []:
        first, _, rest = raw.partition(";")
        if first.strip().startswith(name + "="):
            attributes = {}
            for part in rest.split(";"):
                key, _, value = part.strip().partition("=")
                if key:
                    attributes[key.lower()] = value
            return attributes
    return None


def main(t):
    nginx_bin = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    openssl = shutil.which("openssl")
    if not nginx_bin or not openssl:
        t.skip("nginx or openssl is not installed (scripts/install-deps.sh installs them)")

    check_docs_show_deploy_files(t)
    cert, key = make_certificate(t, openssl)
    context = ssl.create_default_context(cafile=cert)  # verifies the chain and that 127.0.0.1 is in the SAN

    db = t.sqlite_db("nginx")
    demo = t.cli("demo-data", "--db", db, "--customers", "20", "--cases", "5", "--feedback", "5", timeout=180)
    t.require(demo.returncode == 0, "`touchpoint demo-data` exits 0", demo.stdout + demo.stderr)
    admin = DEMO_ADMIN_RE.search(demo.stdout)
    tenant = DEMO_TENANT_RE.search(demo.stdout)
    t.require(admin is not None and tenant is not None, "`demo-data` prints the tenant and the admin's password",
              demo.stdout)
    email, password, slug = admin.group(1), admin.group(2), tenant.group(1)

    server = t.serve(db, "--secure-cookies")
    http_port, https_port = free_port(), free_port()
    while https_port == http_port:
        https_port = free_port()
    conf = write_nginx_conf(t, test_server_block(t, http_port, https_port, server.port, cert, key))
    nginx = Nginx(t, nginx_bin, conf)
    tested = nginx.config_test()
    t.require(tested.returncode == 0, "`nginx -t` accepts the configuration", tested.stdout + tested.stderr)

    nginx.start()
    try:
        https = HttpsClient("https://127.0.0.1:%d" % https_port, context, timeout=15)

        def ready():
            if not nginx.alive():
                return "exited"
            try:
                return https.get("/healthz")
            except (OSError, http.client.HTTPException):
                https.close()
                return None

        first = wait_for(ready, 20, 0.1)
        t.require(first is not None and first != "exited" and first.status == 200,
                  "GET https://127.0.0.1:%d/healthz through nginx is 200" % https_port,
                  "%r\n%s" % (first, nginx.logs()))
        t.check(first.header("Strict-Transport-Security") == "max-age=31536000", "nginx adds Strict-Transport-Security",
                first.header("Strict-Transport-Security"))

        plain = Client("http://127.0.0.1:%d" % http_port, timeout=15)
        r = plain.get("/api/v1/customers")
        plain.close()
        t.check(r.status == 301 and (r.header("Location") or "").startswith("https://"),
                "plain HTTP is redirected to https://", "%r Location: %s" % (r, r.header("Location")))

        # A client that does not trust the certificate is refused: TLS really is verified.
        untrusting = HttpsClient("https://127.0.0.1:%d" % https_port, ssl.create_default_context(), timeout=15)
        try:
            untrusting.get("/healthz")
            refused = False
        except ssl.SSLCertVerificationError:
            refused = True
        finally:
            untrusting.close()
        t.check(refused, "a client with only the system CAs rejects the self-signed certificate")

        # Sign-in over HTTPS.
        r = https.login(slug, email, password)
        t.require(r.status == 200, "sign-in through nginx over HTTPS is 200", r)
        session = cookie_attributes(r.headers, "tp_session")
        csrf = cookie_attributes(r.headers, "tp_csrf")
        t.require(session is not None and csrf is not None, "sign-in sets tp_session and tp_csrf",
                  r.headers.get_all("Set-Cookie"))
        t.check("secure" in session and "httponly" in session, "tp_session is Secure and HttpOnly", session)
        t.check(session.get("samesite", "").lower() == "strict", "tp_session is SameSite=Strict", session)
        t.check("secure" in csrf and "httponly" not in csrf, "tp_csrf is Secure and readable by scripts", csrf)

        r = https.get("/api/v1/customers?limit=5")
        items = (r.json() or {}).get("items") if r.status == 200 else None
        t.check(r.status == 200 and isinstance(items, list) and len(items) > 0,
                "GET /api/v1/customers with the session cookie is 200 with the demo customers", r)
        r = https.get("/api/v1/auth/session")
        t.check(r.status == 200, "GET /api/v1/auth/session with the cookie is 200", r)

        customer = {"name": "Proxy Test", "email": "proxy.test@example.com"}
        r = https.post("/api/v1/customers", customer, csrf=False)
        t.check(r.status == 403, "a cookie-authenticated write without X-CSRF-Token is 403", r)
        r = https.post("/api/v1/customers", customer, headers={"X-Forwarded-For": "203.0.113.7",
                                                                "X-Request-Id": "client-chosen-id"})
        created = r.json() or {}
        t.require(r.status == 201 and created.get("id"), "the same write with X-CSRF-Token is 201", r)
        write_id = r.header("X-Request-Id") or ""
        t.check(re.fullmatch(r"[0-9a-f]{32}", write_id) is not None,
                "the request id touchpoint answers with is nginx's $request_id (32 hex digits), not the client's",
                write_id)
        r = https.get("/api/v1/customers/" + created["id"])
        t.check(r.status == 200 and (r.json() or {}).get("name") == "Proxy Test",
                "the created customer reads back through the proxy", r)

        # What touchpoint records as the client: the proxy (TCP peer), not X-Forwarded-For.
        entry = wait_for(lambda: next((e for e in access_log_entries(server) if e.get("request_id") == write_id), None), 5)
        t.check(entry is not None and entry.get("remote_ip") == "127.0.0.1",
                "touchpoint's access log has nginx's request id and the proxy's address as remote_ip", entry)
        r = https.get("/api/v1/audit?target_id=" + created["id"])
        audit = [e for e in ((r.json() or {}).get("items") or []) if e.get("request_id") == write_id]
        t.check(r.status == 200 and len(audit) == 1 and audit[0].get("ip") == "127.0.0.1"
                and audit[0].get("target_id") == created["id"],
                "the audit entry of the write has the same request id and the proxy's address", r)
        line = wait_for(lambda: next((l for l in read_text(t.path("nginx", "access.log")).splitlines()
                                      if l.endswith("request_id=" + write_id)), None), 5)
        t.check(line is not None and line.startswith("127.0.0.1 "),
                "nginx's access log has the same request id and the real client address", line)

        direct = server.client()
        r = direct.get("/healthz", headers={"X-Forwarded-For": "198.51.100.23", "X-Request-Id": "direct-xff-check"})
        direct.close()
        entry = wait_for(lambda: next((e for e in access_log_entries(server)
                                       if e.get("request_id") == "direct-xff-check"), None), 5)
        t.check(r.status == 200 and entry is not None and entry.get("remote_ip") == "127.0.0.1",
                "X-Forwarded-For sent straight to touchpoint is ignored too (remote_ip is the TCP peer)", entry)

        r = https.get("/metrics")
        t.check(r.status == 200 and "touchpoint_http_requests_total" in r.text,
                "GET /metrics through nginx from loopback is 200 (the server block allows loopback)", r)
        r = https.get("/readyz")
        t.check(r.status == 200, "GET /readyz through nginx from loopback is 200", r)
        r = https.post("/api/v1/auth/logout", None)
        t.check(r.status in (200, 204), "sign-out through the proxy", r)
        https.close()

        # The per-IP sign-in limit (1/s, burst 10) keys on the TCP peer too: attempts that each claim
        # another X-Forwarded-For still share one budget, as all users behind one proxy do. The limit is
        # taken before the body is read, so empty bodies (400, no password hashing) use it up quickly.
        direct = server.client()
        statuses = []
        for i in range(30):
            r = direct.post("/api/v1/auth/login", {}, headers={"X-Forwarded-For": "198.51.100.%d" % (i + 1)})
            statuses.append(r.status)
            if r.status == 429:
                break
        direct.close()
        t.check(statuses[-1] == 429 and r.header("Retry-After") and set(statuses[:-1]) <= {400},
                "sign-in attempts claiming different X-Forwarded-For addresses share one per-IP limit (429 after %d)"
                % (len(statuses) - 1), statuses)
    finally:
        rc = nginx.stop()
    t.check(rc == 0, "nginx exits 0 on SIGQUIT", "exit %s\n%s" % (rc, nginx.logs()))
    rc, took = server.stop()
    t.check(rc == 0, "touchpoint exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=150)
