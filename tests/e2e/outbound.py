#!/usr/bin/env python3
"""E2E: the change feed, durable jobs and outbound delivery of the real binary (docs/webhooks.md).

* Mail: a real SMTP server (Debian's aiosmtpd, tests/e2e/smtp_server.py) on a loopback port with
  STARTTLS and AUTH; POST /api/v1/mail/test arrives with its headers, over TLS, authenticated.
* Webhooks: a local receiver that verifies the HMAC signature. While it is down the delivery is
  retried (state and last error visible through the API); once it is up the delivery arrives.
* A webhook to a loopback address that is not allowed fails for good, with the reason.
* kill -9 in the middle of a delivery: after a restart the job's lease runs out and the call is
  made again (same Touchpoint-Delivery id), nothing lost.
* kill -9 right after a commit: the change is delivered after the restart (the feed resumes from its
  stored cursor).
"""
import hashlib
import hmac
import http.server
import json
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SmtpServer, TestRun, free_port, parse_password, parse_token, wait_for  # noqa: E402



class Receiver:
    """A webhook receiver on a loopback port: verifies signatures, records calls, can hang or fail."""

    def __init__(self, port):
        self.port = port
        self.secret = None
        self.calls = []  # (headers dict, body bytes, signature_ok)
        self.mode = "ok"  # ok | hang | fail
        self.lock = threading.Lock()
        self.hung = threading.Event()
        self.release = threading.Event()
        self.server = None

    def start(self):
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signature = self.headers.get("Touchpoint-Signature", "")
                parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
                expected = hmac.new((receiver.secret or "").encode(), parts.get("t", "").encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, parts.get("v1", "")) and abs(time.time() - int(parts.get("t", 0))) < 300
                with receiver.lock:
                    receiver.calls.append((dict(self.headers), body, ok))
                    mode = receiver.mode
                if mode == "hang":
                    receiver.hung.set()
                    receiver.release.wait(60)
                    return
                self.send_response(500 if mode == "fail" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server:
            self.release.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def calls_for(self, predicate):
        with self.lock:
            return [c for c in self.calls if predicate(c)]


def main(t):
    db = t.sqlite_db()
    t.cli_ok("tenant", "add", "--db", db, "--slug", "acme", "--name", "Acme")
    admin = t.cli_ok("user", "add", "--db", db, "--tenant", "acme", "--email", "admin@acme.example",
                     "--name", "Ada", "--role", "admin")
    t.require(parse_password(admin.stdout), "an admin was created")
    key = parse_token(t.cli_ok("apikey", "create", "--db", db, "--tenant", "acme", "--user", "admin@acme.example",
                               "--name", "ops", "--scope", "full").stdout)
    t.require(key, "a full API key was created")

    smtp = SmtpServer(t, "support@acme.example")
    maildir = smtp.maildir
    smtp_log = smtp.log

    hook_port = free_port()
    receiver = Receiver(hook_port)
    t.cleanups.append(receiver.stop)
    server_args = ["--rate-limit", "0", "--allow-outbound", "127.0.0.1:%d" % hook_port] + smtp.serve_args + [
                   "--job-retry-base-ms", "300", "--job-lease-seconds", "3"]
    server = t.serve(db, *server_args)
    api = server.client(bearer=key)

    # --- mail through STARTTLS + AUTH
    sent = api.post("/api/v1/mail/test", {"to": "jana.novakova@example.cz"})
    t.require(sent.status == 202, "POST /api/v1/mail/test is 202", sent.text)
    delivery_id = sent.json()["id"]
    mail = wait_for("mail", lambda: sorted(f for f in os.listdir(maildir) if f.endswith(".eml")))
    t.require(mail, "the SMTP server received the test message",
              api.get("/api/v1/deliveries/" + delivery_id).text + "\n" + "".join(smtp_log()))
    with open(os.path.join(maildir, mail[0]), "rb") as f:
        message = f.read().decode()
    headers = message.split("\r\n\r\n", 1)[0]
    t.check("X-Tls: yes" in headers and "X-Auth: mailer" in headers, "the message came over STARTTLS, authenticated",
            headers)
    t.check("X-Envelope-To: jana.novakova@example.cz" in headers, "the envelope recipient is the address asked for")
    t.check("\nFrom: touchpoint <support@acme.example>" in headers, "From is the configured sender", headers)
    t.check("\nTo: jana.novakova@example.cz" in headers, "To is the recipient", headers)
    t.check("\nMessage-Id: <" in headers and "\nDate: " in headers, "Message-Id and Date are set", headers)
    t.check("Auto-Submitted: auto-generated" in headers, "Auto-Submitted marks it as machine-made")
    state = wait_for("delivered", lambda: api.get("/api/v1/deliveries/" + delivery_id).json()["state"] == "delivered")
    t.check(state, "the mail delivery is 'delivered' in the API")

    # --- a webhook while the receiver is down: retried, visible, then delivered and verified
    created = api.post("/api/v1/webhooks", {"url": "http://127.0.0.1:%d/hooks" % hook_port, "kinds": ["customer.*"],
                                            "description": "CRM"})
    t.require(created.status == 201 and created.json()["secret"].startswith("whsec_"),
              "POST /api/v1/webhooks returns the secret once", created.text)
    receiver.secret = created.json()["secret"]
    t.check("secret" not in api.get("/api/v1/webhooks/" + created.json()["id"]).json(), "the secret is not shown again")
    customer = api.post("/api/v1/customers", {"name": "Jana Nováková", "email": "jana@example.cz"})
    t.require(customer.status == 201, "a customer is created", customer.text)
    customer_id = customer.json()["id"]

    def retrying():
        items = api.get("/api/v1/deliveries?state=retrying").json()["items"]
        return [d for d in items if d["channel"] == "webhook" and d["customer_id"] == customer_id]
    pending = wait_for("retrying", retrying)
    t.require(pending, "while the receiver is down the delivery is 'retrying'")
    t.check(pending[0]["last_error"] and pending[0]["attempts"] >= 1, "with its attempts and last error",
            pending[0])
    receiver.start()
    got = wait_for("webhook", lambda: receiver.calls_for(
        lambda c: json.loads(c[1])["data"].get("customer_id") == customer_id), timeout=30)
    t.require(got, "the webhook arrives once the receiver is up")
    call_headers, body, signature_ok = got[0]
    event = json.loads(body)
    t.check(signature_ok, "the Touchpoint-Signature verifies with the secret (HMAC-SHA256 over t.body)")
    t.check(event["kind"] == "customer.created" and call_headers.get("Touchpoint-Event") == "customer.created",
            "the body and Touchpoint-Event name the change", event)
    t.check("jana" not in body.decode().lower(), "the webhook body carries ids, not personal data", body)
    t.check(wait_for("delivered", lambda: api.get("/api/v1/deliveries/" + pending[0]["id"]).json()["state"]
                     == "delivered"), "the delivery is then 'delivered'")

    # --- an internal address that is not allowed: refused, for good
    internal = api.post("/api/v1/webhooks", {"url": "http://127.0.0.2:%d/x" % hook_port, "kinds": ["case.*"]})
    t.require(internal.status == 201, "a webhook to an internal address can be registered")
    case = api.post("/api/v1/cases", {"customer_id": customer_id, "subject": "Parcel late", "channel": "email"})
    t.require(case.status == 201, "a case is created", case.text)
    failed = wait_for("failed", lambda: [d for d in api.get("/api/v1/deliveries?state=failed").json()["items"]
                                         if d["destination"].startswith("http://127.0.0.2")])
    t.check(failed and "loopback" in (failed[0]["last_error"] or ""),
            "the delivery to 127.0.0.2 fails at once, saying why", failed)

    # --- kill -9 in the middle of a call: the job is taken over after its lease, nothing lost
    receiver.mode = "hang"
    second = api.post("/api/v1/customers", {"name": "Petr", "email": "petr@example.cz"}).json()["id"]
    t.require(receiver.hung.wait(30), "the receiver holds the call open")
    server.kill()
    server.wait(10)
    receiver.mode = "ok"
    receiver.release.set()
    server = t.serve(db, *server_args, name="restarted")
    api = server.client(bearer=key)
    calls = wait_for("retried", lambda: len(receiver.calls_for(
        lambda c: json.loads(c[1])["data"].get("customer_id") == second)) >= 2 and receiver.calls_for(
        lambda c: json.loads(c[1])["data"].get("customer_id") == second), timeout=40)
    t.require(calls, "after kill -9 mid-call the call is made again once the lease ran out")
    ids = {c[0].get("Touchpoint-Delivery") for c in calls}
    t.check(len(ids) == 1, "with the same Touchpoint-Delivery id (receivers deduplicate by it)", ids)

    # --- kill -9 right after the commit: the feed resumes from its cursor
    third = api.post("/api/v1/customers", {"name": "Eva"})
    t.require(third.status == 201, "a third customer is created")
    server.kill()
    server.wait(10)
    server = t.serve(db, *server_args, name="restarted again")
    t.check(wait_for("resumed", lambda: receiver.calls_for(
        lambda c: json.loads(c[1])["data"].get("customer_id") == third.json()["id"]), timeout=40),
        "a change committed just before kill -9 is still delivered after the restart")
    server.stop()


TestRun.main(main, timeout=180)
