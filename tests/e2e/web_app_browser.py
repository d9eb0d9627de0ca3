#!/usr/bin/env python3
"""E2E: the web application at /app in Debian's Chromium driven by playwright-core (web/, pinned in
web/package-lock.json; `make web` runs `npm ci` and builds web/dist/app, never at test time).

  1. `touchpoint demo-data` and a real `touchpoint serve` on a loopback port; as the demo admin, through
     the API: a customer whose name holds <img onerror> and <script>, a case for them in the agent's team
     and assigned to the agent whose subject holds both too, a customer message in HTML with a script and
     an onerror image (the server stores it as given, renders it sanitised), and a macro;
  2. here, over raw sockets: / redirects to /app, /app and a hashed asset carry the CSP and the cache
     headers, paths that try to leave the app (.., %2e%2e, %2f, %5c) are 404;
  3. node web/tests/web_app_test.mjs: the demo agent signs in (a wrong password first), works the inbox,
     opens the case, keeps a draft across an expired session, applies the macro, sends the draft,
     switches to Czech, looks at the inbox at phone width and signs out; then the demo manager, whose
     account has TOTP (enrolled here over the API), signs in with a wrong code and then the right one,
     computed in the browser test; no dialog, no CSP violation;
     screenshots of every screen are written to the output directory printed below;
  4. here, through the API: the macro's reply and the draft are in the case's conversation, written by
     the agent, and the case has the macro's status.
"""
import base64
import hashlib
import hmac
import os
import re
import shutil
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (WEB_DIR, TestRun, browser_output_dir, demo_tenant_and_users, log, raw_exchange,  # noqa: E402
                     require_browser_test_tools, run_browser_test)

CUSTOMER = "<img src=x onerror=alert('name')> Jana <script>alert('name')</script> Nováková"
SUBJECT = "Poškozený balík <script>alert('subject')</script> <img src=x onerror=alert('subject')>"
MESSAGE = ("<p>Balík přišel <b>rozbitý</b>.</p><script>alert('message')</script>"
           "<img src=x onerror=\"alert('message')\"><a href=\"javascript:alert('message')\">odkaz</a>")
MACRO = "Nový balík na cestě"
DRAFT = "Dobrý den, ještě posíláme dobropis na dopravu."


def totp_code(secret, at):
    """RFC 6238 with touchpoint's parameters (identity/totp.h): HMAC-SHA-1, 6 digits, 30-second steps."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def check_serving(t, server):
    host, port = "127.0.0.1", server.port

    def get(path):
        request = "GET %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (path, host, port)
        return raw_exchange(host, port, request.encode("latin-1"))

    status, headers, _ = get("/")
    t.check(status == 302 and headers.get("location") == "/app", "/ redirects to the web app", (status, headers))
    status, headers, body = get("/app/inbox")
    csp = headers.get("content-security-policy", "")
    t.check(status == 200 and b'<div id="root">' in body and headers.get("content-type") == "text/html; charset=utf-8"
            and headers.get("cache-control") == "no-cache", "a screen's URL answers index.html, not cached",
            (status, headers))
    t.check("default-src 'self'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
            and "unsafe" not in csp and headers.get("x-content-type-options") == "nosniff",
            "index.html has the strict CSP and nosniff", headers)
    assets = re.findall(rb'(/app/assets/[A-Za-z0-9_.-]+\.js)', body)
    t.require(assets, "index.html names its hashed script", body[:2000])
    status, headers, _ = get(assets[0].decode())
    t.check(status == 200 and headers.get("cache-control") == "public, max-age=31536000, immutable"
            and headers.get("content-type") == "text/javascript; charset=utf-8",
            "the hashed script is served with a year's immutable cache", (status, headers))
    for path in ["/app/../../etc/passwd", "/app/..%2F..%2F..%2Fetc%2Fpasswd", "/app/%2e%2e/%2e%2e/etc/passwd",
                 "/app/assets/..%2f..%2f..%2fpackage.json", "/app/%2e%2e%5c%2e%2e%5cpackage.json",
                 "/app/%252e%252e/package.json", "/app/assets/%2e%2e/index.html", "/app/..%00/package.json"]:
        status, _, body = get(path)
        t.check(status in (400, 404) and b"root:" not in body and b"touchpoint-web" not in body,
                "%s is refused" % path, (status, body[:200]))


def main(t):
    node = require_browser_test_tools(t)
    db = t.sqlite_db("webapp")
    tenant, users = demo_tenant_and_users(t, db, ["admin", "agent", "manager"], "--customers", "30", "--cases", "12",
                                          "--feedback", "10")
    server = t.serve(db, "--web-root", WEB_DIR, timeout=120)  # this checkout's app, whichever binary runs it
    admin = server.client(timeout=60)
    t.require(admin.login(tenant, *users["admin"]).status == 200, "the demo admin signs in over the API")

    agent_list = admin.get("/api/v1/users?limit=200").json()["items"]
    agent = next(user for user in agent_list if user["email"] == users["agent"][0])
    teams = admin.get("/api/v1/teams").json()["items"]
    service = next((team for team in teams if team["name"] == "Service"), None)
    t.require(service is not None, "the demo tenant has the Service team (the demo agent's)", teams)
    r = admin.post("/api/v1/customers", {"name": CUSTOMER, "email": "jana.hostile@example.cz"})
    t.require(r.status == 201, "a customer with markup in the name is created", r)
    customer_id = r.json()["id"]
    r = admin.post("/api/v1/cases", {"customer_id": customer_id, "subject": SUBJECT, "team_id": service["id"],
                                     "assignee_id": agent["id"], "priority": "high", "channel": "email"})
    t.require(r.status == 201, "a case with markup in the subject is created for the agent", r)
    case_id = r.json()["id"]
    r = admin.post("/api/v1/cases/%s/messages" % case_id, {"kind": "customer", "format": "html", "body": MESSAGE})
    t.require(r.status == 201, "the customer's HTML message is added", r)
    t.check("<script" not in r.json()["html"] and "onerror" not in r.json()["html"] and "<b>" in r.json()["html"],
            "the server's rendering of it is sanitised", r.json()["html"])
    r = admin.post("/api/v1/macros", {"name": MACRO, "set": {"status": "pending"},
                                      "reply": {"body": "Dobrý den, k případu {{case.id}} posíláme nový balík."}})
    t.require(r.status == 201, "a macro is created", r)
    macro_text = "k případu %s posíláme nový balík" % case_id

    # The manager signs in with a second factor: enrolled here, the code typed in the browser.
    manager = server.client(timeout=60)
    t.require(manager.login(tenant, *users["manager"]).status == 200, "the demo manager signs in over the API")
    r = manager.post("/api/v1/auth/totp/setup")
    t.require(r.status == 200 and r.json().get("secret"), "the manager begins TOTP enrolment", r)
    totp_secret = r.json()["secret"]
    r = manager.post("/api/v1/auth/totp/confirm", {"totp_code": totp_code(totp_secret, time.time())})
    t.require(r.status == 204, "the manager's TOTP is confirmed", r)

    check_serving(t, server)

    wrong = server.client().login(tenant, users["agent"][0], users["agent"][1] + "-wrong")
    t.require(wrong.status == 401, "a wrong password is 401 over the API", wrong)
    out = browser_output_dir("web_app_browser")
    shutil.rmtree(out, ignore_errors=True)
    summary = run_browser_test(t, node, "web_app_test.mjs", {
        "url": server.url, "tenant": tenant, "email": users["agent"][0], "password": users["agent"][1],
        "wrong-message": wrong.json()["error"]["message"], "case-id": case_id, "subject": SUBJECT,
        "customer": CUSTOMER, "search": "Poškozený", "macro": MACRO, "macro-text": macro_text, "draft": DRAFT,
        "out": out, "totp-email": users["manager"][0], "totp-password": users["manager"][1],
        "totp-secret": totp_secret}, timeout=t_budget())
    log("   screenshots: %s (%d files)" % (out, len(summary.get("screenshots") or [])))

    r = admin.get("/api/v1/cases/%s/conversation" % case_id)
    messages = [entry["message"] for entry in r.json()["entries"] if entry["type"] == "message"]
    replies = [m for m in messages if m["kind"] == "reply" and m["author"]["id"] == agent["id"]]
    t.check(any(macro_text in m["body"] for m in replies), "the macro's reply is in the case, by the agent", messages)
    t.check(any(m["body"] == DRAFT for m in replies), "the draft kept across the expired session was sent", messages)
    t.check(r.json()["case"]["status"] == "pending" and r.json()["case"]["priority"] == "high",
            "the case has the macro's status; the write refused with the expired session changed nothing", r.json()["case"])

    rc, took = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


def t_budget():
    # The ASan build answers several times slower; the driver gets what the watchdog leaves.
    return 300 if os.environ.get("TP_E2E_SANITIZED") == "1" else 180


if __name__ == "__main__":
    TestRun.main(main, timeout=390)
