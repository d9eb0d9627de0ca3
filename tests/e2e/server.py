#!/usr/bin/env python3
"""E2E: a served demo database over real sockets (docs/architecture.md "A request", docs/security.md).

demo-data (admin e-mail and password printed once) -> serve -> health, sign-in, populated CX data,
request ids, body limit (413), malformed JSON (400 malformed_json), CSRF (403), /metrics, the JSON
access log (one line per request, with its request id) and the header deadline for a stalled client.
"""
import json
import os
import re
import secrets
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, Client, raw_exchange, REQUEST_ID_RE  # noqa: E402

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _password_on(line, email):
    """A password on a line of the demo summary: after "password:" or a long random-looking token."""
    m = re.search(r"(?i)password[^:=\n]*[:=]\s*`?([^\s`'\",;|]+)", line)
    if m:
        return m.group(1)
    rest = line.replace(email, " ") if email else line
    tokens = [tok.strip("`'\",;:|()[]<>") for tok in rest.split()]
    tokens = [tok for tok in tokens if len(tok) >= 10 and "@" not in tok and not tok.isalpha()
              and re.fullmatch(r"[A-Za-z0-9_\-+/=.!#$%&*?~^]+", tok)]
    return tokens[-1] if tokens else None


def parse_demo_output(stdout):
    """(tenant candidates, admin e-mail, admin password) from what `demo-data` prints.

    The output lists a user per role with a generated password each; the admin's is the one on the
    admin's line (or the first password after it)."""
    emails = EMAIL_RE.findall(stdout)
    admin = next((e for e in emails if e.lower().startswith("admin")), None) or (emails[0] if emails else None)
    password = None
    lines = stdout.splitlines()
    if admin:
        for index, line in enumerate(lines):
            if admin in line:
                for candidate in lines[index:index + 3]:
                    if candidate is not line and EMAIL_RE.search(candidate):
                        break  # the next user's line
                    password = _password_on(candidate, admin)
                    if password:
                        break
                break
    if password is None:
        m = re.search(r"(?i)password[^:=\n]*[:=]\s*`?([^\s`'\",;|]+)", stdout)
        password = m.group(1) if m else None
    tenants = []
    for m in re.finditer(r"(?i)tenant\W{1,3}([a-z0-9][a-z0-9-]*)", stdout):
        if m.group(1) not in tenants and m.group(1) not in ("with", "slug", "is", "the"):
            tenants.append(m.group(1))
    if admin and "@" in admin:
        # admin@demo.touchpoint.local -> "demo"
        tenants.append(admin.split("@", 1)[1].split(".", 1)[0])
    tenants.append("demo")
    return list(dict.fromkeys(tenants)), admin, password


def rid(label):
    return "e2e-%s-%s" % (label, secrets.token_hex(6))


def main(t):
    db = t.sqlite_db("demo")
    demo = t.cli("demo-data", "--db", db, timeout=180)
    t.require(demo.returncode == 0, "`touchpoint demo-data` exits 0",
              "exit %d\nstdout: %s\nstderr: %s" % (demo.returncode, demo.stdout, demo.stderr))
    tenants, admin_email, password = parse_demo_output(demo.stdout)
    t.require(admin_email is not None and password is not None,
              "`demo-data` prints the admin e-mail and a password", demo.stdout)
    t.note("demo admin %s, tenant candidates %s" % (admin_email, tenants))
    t.check(demo.stdout.count(password) == 1, "the demo password is printed exactly once", demo.stdout)
    again = t.cli("demo-data", "--db", db, "--if-empty")
    t.check(again.returncode == 0 and password not in again.stdout,
            "`demo-data --if-empty` on a filled database exits 0 and prints no password", again.stdout)

    server = t.serve(db, "--rate-limit", "0", name="demo-server")
    host, port = server.host, server.port
    out, _ = server.output()
    t.check(server.serving_line_index == 0, "the 'is serving' line is the first line on stdout",
            "it is line %s; lines before it: %s" % (server.serving_line_index, out[:server.serving_line_index or 0]))
    ids_sent = []  # request ids we sent, each must be in exactly one access-log line

    def req(client, method, path, label, **kw):
        request_id = rid(label)
        ids_sent.append(request_id)
        return client.request(method, path, request_id=request_id, **kw)

    anon = server.client()
    r = req(anon, "GET", "/healthz", "healthz")
    t.check(r.status == 200, "GET /healthz is 200", r)
    r = req(anon, "GET", "/readyz", "readyz")
    t.check(r.status == 200, "GET /readyz is 200", r)
    r = req(anon, "GET", "/api/v1/customers", "anon")
    t.check(r.status == 401 and r.error_code() == "unauthenticated", "GET /api/v1/customers without credentials is 401",
            r)

    # Request ids: generated when absent, echoed when valid, replaced when not.
    r = anon.get("/healthz")
    generated = r.header("X-Request-Id")
    t.check(generated is not None and REQUEST_ID_RE.match(generated), "a response carries a generated X-Request-Id",
            r.headers)
    mine = rid("echo")
    ids_sent.append(mine)
    r = anon.get("/healthz", request_id=mine)
    t.check(r.header("X-Request-Id") == mine, "a valid incoming X-Request-Id is echoed", r.headers)
    r = anon.get("/healthz", headers={"X-Request-Id": "bad id <script>"})
    t.check(r.header("X-Request-Id") not in (None, "bad id <script>") and REQUEST_ID_RE.match(r.header("X-Request-Id")),
            "an invalid incoming X-Request-Id is replaced", r.headers)

    # Sign in as the demo admin.
    c = server.client()
    signed_in = None
    for tenant in tenants:
        r = req(c, "POST", "/api/v1/auth/login", "login",
                body={"tenant": tenant, "email": admin_email, "password": password})
        if r.status == 200:
            signed_in = tenant
            break
    t.require(signed_in is not None, "sign-in as the demo admin with the printed password", r)
    t.check(c.csrf is not None and "tp_session" in c.cookies, "sign-in sets tp_session and tp_csrf")

    for path in ("/api/v1/customers", "/api/v1/cases", "/api/v1/feedback"):
        r = req(c, "GET", path + "?limit=5", "list")
        items = (r.json() or {}).get("items")
        t.check(r.status == 200 and isinstance(items, list) and len(items) > 0,
                "GET %s returns demo data" % path, r)
        if items:
            t.check(all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items),
                    "GET %s items have ids" % path, items[:2])
            one = req(c, "GET", "%s/%s" % (path, items[0]["id"]), "one")
            t.check(one.status == 200 and (one.json() or {}).get("id") == items[0]["id"],
                    "GET %s/{id} returns the listed item" % path, one)
    r = req(c, "GET", "/api/v1/analytics/summary", "summary")
    summary = r.json() or {}
    counts = {k: (v or {}).get("count") for k, v in summary.items() if isinstance(v, dict)}
    t.check(r.status == 200 and any(isinstance(n, int) and n > 0 for n in counts.values()),
            "GET /api/v1/analytics/summary has non-zero counts", r)
    t.check(all(k in summary for k in ("nps", "csat", "ces")), "the summary has nps, csat and ces", summary)

    # CSRF: a cookie-authenticated write needs X-CSRF-Token.
    customer = {"name": "E2E Customer", "email": "e2e.customer@example.com"}
    r = req(c, "POST", "/api/v1/customers", "nocsrf", body=customer, csrf=False)
    t.check(r.status == 403 and r.error_code() == "forbidden",
            "a cookie-authenticated POST without X-CSRF-Token is 403 forbidden", r)
    r = req(c, "POST", "/api/v1/customers", "badcsrf", body=customer, csrf=False, headers={"X-CSRF-Token": "nope"})
    t.check(r.status == 403, "a cookie-authenticated POST with a wrong X-CSRF-Token is 403", r)
    r = req(c, "POST", "/api/v1/customers", "csrf", body=customer)
    t.check(r.status == 201 and (r.json() or {}).get("name") == "E2E Customer",
            "the same POST with X-CSRF-Token creates the customer (201)", r)

    # Malformed JSON.
    r = req(c, "POST", "/api/v1/customers", "malformed", raw=b'{"name": "half')
    t.check(r.status == 400 and r.error_code() == "malformed_json", "malformed JSON is 400 malformed_json", r)
    r = req(c, "POST", "/api/v1/customers", "unknownfield", body={"name": "x", "nonsense": 1})
    t.check(r.status == 400 and (r.json() or {}).get("error", {}).get("field") == "nonsense",
            "an unknown field is 400 naming the field", r)

    # A 2 MiB body: 413 with a JSON error, without the server reading it all.
    big_id = rid("big")
    ids_sent.append(big_id)
    size = 2 * 1024 * 1024
    head = ("POST /api/v1/customers HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nX-Request-Id: %s\r\nCookie: %s\r\nX-CSRF-Token: %s\r\n\r\n"
            % (host, port, size, big_id, "; ".join("%s=%s" % kv for kv in c.cookies.items()), c.csrf)).encode()
    payload = b'{"name":"' + b"x" * (size - 11) + b'"}'
    chunks = [payload[i:i + 65536] for i in range(0, len(payload), 65536)]
    status, headers, body = raw_exchange(host, port, head, chunks=chunks, timeout=20)
    try:
        code = json.loads(body).get("error", {}).get("code")
    except (ValueError, AttributeError):
        code = None
    t.check(status == 413 and code == "payload_too_large" and "json" in headers.get("content-type", ""),
            "a 2 MiB body is 413 with a JSON error payload_too_large", (status, headers, body[:300]))
    t.check(headers.get("x-request-id") == big_id, "the 413 carries the request id", headers)
    chunked_id = rid("bigchunked")
    ids_sent.append(chunked_id)
    session = "Cookie: %s\r\nX-CSRF-Token: %s\r\n" % ("; ".join("%s=%s" % kv for kv in c.cookies.items()), c.csrf)
    head = ("POST /api/v1/customers HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nX-Request-Id: %s\r\n%s\r\n" % (host, port, chunked_id, session)).encode()
    chunks = [b"%x\r\n" % 65536 + b"x" * 65536 + b"\r\n" for _ in range(size // 65536)] + [b"0\r\n\r\n"]
    status, headers, body = raw_exchange(host, port, head, chunks=chunks, timeout=20)
    t.check(status == 413 and b"payload_too_large" in body,
            "a 2 MiB chunked body (no Content-Length) is 413 payload_too_large too", (status, headers, body[:300]))
    # Without a session the same upload is refused from its header, before any of the body is read.
    stranger_id = rid("stranger")
    ids_sent.append(stranger_id)
    head = ("POST /api/v1/customers HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nX-Request-Id: %s\r\n\r\n" % (host, port, stranger_id)).encode()
    status, headers, body = raw_exchange(host, port, head, chunks=chunks, timeout=20)
    t.check(status == 401 and b"unauthenticated" in body,
            "a body from a caller without credentials is 401 before it is read", (status, headers, body[:300]))
    r = req(server.client(), "GET", "/healthz", "after413")
    t.check(r.status == 200, "the server still answers after the 413", r)

    # Metrics.
    r = req(anon, "GET", "/metrics", "metrics")
    text = r.text
    t.check(r.status == 200 and "touchpoint_http_requests_total" in text, "/metrics has touchpoint_http_requests_total",
            text[:500])
    customer_lines = [line for line in text.splitlines()
                      if line.startswith("touchpoint_http_requests_total") and 'route="/api/v1/customers"' in line]
    t.check(len(customer_lines) > 0, "touchpoint_http_requests_total has the route /api/v1/customers",
            "\n".join(line for line in text.splitlines() if line.startswith("touchpoint_http_requests_total")))
    t.check(any('status="201"' in line or 'code="201"' in line for line in customer_lines)
            and any('status="403"' in line or 'code="403"' in line for line in customer_lines),
            "the customers route is counted by status (201 and 403 seen)", "\n".join(customer_lines))
    t.check(not any("e2e-" in line for line in text.splitlines() if line.startswith("touchpoint_http_requests_total")),
            "metric labels hold route patterns, not raw paths")

    # A client that sends half a request line and stalls must be disconnected (slowloris).
    if True:
        slow = t.serve(db, "--header-timeout-ms", "1000", name="short-header-timeout")
        limit = 1.0
        sock = socket.create_connection((slow.host, slow.port), timeout=limit + 15)
        started = time.monotonic()
        sock.sendall(b"GET /healthz HT")
        closed = False
        try:
            while True:  # whatever the server says (nothing, or a 408/400), it must then close
                if sock.recv(4096) == b"":
                    closed = True
                    break
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            closed = False
        elapsed = time.monotonic() - started
        sock.close()
        t.note("the stalled connection was closed after %.1fs" % elapsed)
        t.check(closed and elapsed < limit + 10,
                "a client that stalls in the request line is disconnected after the header timeout (%.0fs)" % limit,
                "closed=%s after %.1fs" % (closed, elapsed))

    for cl in (anon, c):
        cl.close()
    rc, elapsed = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, elapsed))

    # The access log: one JSON line per request carrying its request id.
    out, err = server.output()
    records = []
    for line in out + err:
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                pass
    by_id = {}
    for record in records:
        if isinstance(record, dict) and "request_id" in record:
            by_id.setdefault(record["request_id"], []).append(record)
    t.check(len(records) > 0, "the server writes JSON access-log lines", "\n".join((out + err)[-10:]))
    wrong = {i: len(by_id.get(i, [])) for i in ids_sent if len(by_id.get(i, [])) != 1}
    t.check(not wrong, "each of the %d requests sent with an X-Request-Id has exactly one access-log line" % len(ids_sent),
            "ids with 0 or >1 lines: %s" % wrong)
    sample = (by_id.get(ids_sent[0]) or [{}])[0]
    t.check(all(k in sample for k in ("method", "path", "status")), "an access-log line has method, path and status",
            sample)
    big = (by_id.get(big_id) or [{}])[0]
    t.check(big.get("status") == 413, "the 413 is in the access log with status 413", big)


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
