#!/usr/bin/env python3
"""E2E: the Customer 360 screen (/app/customers/{id}) and the customer list and search (/app/customers)
in Debian's Chromium driven by playwright-core (web/node_modules), against a real `touchpoint serve`.

  1. `touchpoint demo-data` and `touchpoint serve --web-root <this checkout's web/>`; as the demo admin,
     through the API: customer A (a name with <script> and <img onerror>, e-mail, phone, traits), an
     identify that adds a user id, an anonymous id and traits, an order and enough events to need a second
     timeline page, a case and an NPS score; customer B (the duplicate to merge, with its own anonymous
     id); customer C (to erase);
  2. node web/tests/customer360_test.mjs: the admin searches, opens A and finds the profile, identities,
     traits, computed attributes and timeline equal to what the API returns, filters and pages the
     timeline, adds a note, merges B into A and undoes it, downloads the export, goes from the case view
     to the 360, sees the screen in Czech, erases C through the typed confirmation; then the demo analyst
     (no contact data) sees A's contact data withheld and none of the admin's buttons; no dialog, no CSP
     violation; screenshots in the output directory printed below;
  3. here, through the API: the note is A's, the merge is undone (B has its anonymous id again), C is gone.
"""
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, log, run_node_checks  # noqa: E402

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "web")
DEMO_USER_RE = re.compile(r"^\s+(\w+)\s+(\S+@\S+)\s+password: (\S+)\s*$", re.M)
DEMO_TENANT_RE = re.compile(r"sign in with tenant '([^']+)'")

SEARCH = "Zákaznice360"
NAME_A = "<img src=x onerror=alert('c360')> Jana <script>alert('c360')</script> Zákaznice360"
NAME_B = "Jana Zákaznice360 duplicitní"
NAME_C = "Ema Zákaznice360 smazat"
NOTE = "Volala kvůli <b>reklamaci</b>; preferuje e-mail."
VIEWED_EVENTS = 24  # with the note and the rest, more than the screen's page of 20


def output_dir():
    return os.path.abspath(os.environ.get("TP_E2E_OUTPUT_DIR") or os.path.join(os.getcwd(), "customer360_browser-output"))


def created(t, response, what):
    t.require(response.status == 201, what, response)
    return response.json()


def set_up(t, admin):
    a = created(t, admin.post("/api/v1/customers", {"name": NAME_A, "email": "jana.c360@example.cz",
                                                     "phone": "+420777123456", "traits": {"city": "Brno"}}),
                "customer A is created")
    events = [{"id": "c360-identify", "type": "identify", "occurred_at": "2026-11-01T09:00:00Z",
               "customer": {"email": "jana.c360@example.cz", "user_id": "c360-user-a", "anonymous_id": "c360-anon-a"},
               "traits": {"plan": "gold", "employees": 12}, "channel": "web"},
              {"id": "c360-order", "type": "track", "name": "Order Completed", "occurred_at": "2026-11-02T10:00:00Z",
               "customer": {"user_id": "c360-user-a"}, "channel": "web",
               "properties": {"order_id": "C360-1", "revenue": "1249.50", "currency": "CZK"}}]
    events += [{"id": "c360-view-%d" % i, "type": "track", "name": "Product Viewed",
                "occurred_at": "2026-11-03T10:%02d:00Z" % i, "customer": {"user_id": "c360-user-a"}, "channel": "web",
                "properties": {"sku": "SKU-%d" % i}} for i in range(VIEWED_EVENTS)]
    r = admin.post("/api/v1/events", {"events": events})
    t.require(r.status in (200, 202), "the identify and the events are ingested", r)
    case = created(t, admin.post("/api/v1/cases", {"customer_id": a["id"], "subject": "Reklamace objednávky C360-1",
                                                   "channel": "email"}), "a case for A is created")
    created(t, admin.post("/api/v1/feedback", {"survey": "po-nakupu", "metric": "nps", "score": 9,
                                               "comment": "Rychlé doručení", "customer_id": a["id"]}),
            "an NPS score of A is recorded")
    b = created(t, admin.post("/api/v1/customers", {"name": NAME_B, "email": "jana.dup.c360@example.cz"}),
                "customer B is created")
    r = admin.post("/api/v1/events", {"type": "identify", "customer": {"email": "jana.dup.c360@example.cz",
                                                                      "anonymous_id": "c360-anon-b"}})
    t.require(r.status in (200, 202), "B gets an anonymous id", r)
    c = created(t, admin.post("/api/v1/customers", {"name": NAME_C}), "customer C is created")

    profile = admin.get("/api/v1/customers/%s" % a["id"]).json()
    kinds = {(i["kind"], i["value"]) for i in profile.get("identifiers", [])}
    t.require(("user_id", "c360-user-a") in kinds and ("anonymous_id", "c360-anon-a") in kinds,
              "the identify joined A (user id and anonymous id are A's)", profile)
    t.require(profile["traits"].get("plan") == "gold" and profile["computed"]["orders_count"] == 1,
              "A has the identify's traits and one order", profile)
    return a["id"], b["id"], c["id"], case["id"]


def main(t):
    if not os.path.exists("/usr/bin/chromium"):
        t.require(False, "Debian's chromium is installed (scripts/install-deps.sh installs it)")
    t.require(os.path.isfile(os.path.join(WEB_DIR, "dist", "app", "index.html")),
              "the web app is built (web/dist/app: `make web`)")
    t.require(os.path.isfile(os.path.join(WEB_DIR, "node_modules", "playwright-core", "package.json")),
              "web/node_modules holds playwright-core (`make web` runs `npm ci` there)")
    node = shutil.which("node")
    t.require(node is not None, "node is installed")
    db = t.sqlite_db("customer360")
    demo = t.cli("demo-data", "--db", db, "--customers", "10", "--cases", "4", "--feedback", "4", timeout=240)
    t.require(demo.returncode == 0, "`touchpoint demo-data` exits 0", demo.stdout + demo.stderr)
    users = {role: (email, password) for role, email, password in DEMO_USER_RE.findall(demo.stdout)}
    tenant = DEMO_TENANT_RE.search(demo.stdout)
    t.require("admin" in users and "analyst" in users and tenant, "demo-data prints the admin's and the analyst's password",
              demo.stdout)
    tenant = tenant.group(1)
    server = t.serve(db, "--web-root", WEB_DIR, timeout=120)
    admin = server.client(timeout=60)
    t.require(admin.login(tenant, *users["admin"]).status == 200, "the demo admin signs in over the API")
    a_id, b_id, c_id, case_id = set_up(t, admin)

    analyst = server.client(timeout=60)
    t.require(analyst.login(tenant, *users["analyst"]).status == 200, "the demo analyst signs in over the API")
    seen = analyst.get("/api/v1/customers/%s" % a_id).json()
    t.require(seen.get("contact_data_redacted") is True and seen.get("email") is None,
              "the API withholds A's contact data from the analyst", seen)

    out = output_dir()
    shutil.rmtree(out, ignore_errors=True)
    args = {"url": server.url, "tenant": tenant, "admin-email": users["admin"][0], "admin-password": users["admin"][1],
            "analyst-email": users["analyst"][0], "analyst-password": users["analyst"][1], "customer-a": a_id,
            "customer-b": b_id, "customer-c": c_id, "case-id": case_id, "search": SEARCH, "name-b-word": "duplicitní",
            "note": NOTE, "out": out}
    # Every option as "--name=value": a generated password may start with "-".
    cmd = [node, os.path.join(WEB_DIR, "tests", "customer360_test.mjs")] + ["--%s=%s" % kv for kv in args.items()]
    log("   $ node web/tests/customer360_test.mjs --url=%s ..." % server.url)
    summary = run_node_checks(t, cmd, "customer360_test.mjs",
                              300 if os.environ.get("TP_E2E_SANITIZED") == "1" else 200)
    log("   screenshots: %s (%d files)" % (out, len(summary.get("screenshots") or [])))

    notes = admin.get("/api/v1/customers/%s/timeline?kind=note" % a_id).json()["items"]
    t.check(any(note["detail"]["body"] == NOTE for note in notes), "the note typed in the browser is A's", notes)
    merges = admin.get("/api/v1/customers/%s/merges" % a_id).json()["items"]
    t.check(len(merges) == 1 and merges[0]["merged_id"] == b_id and merges[0]["undone_at"],
            "B was merged into A by hand and the merge undone", merges)
    b = admin.get("/api/v1/customers/%s" % b_id).json()
    t.check(b.get("id") == b_id and ("anonymous_id", "c360-anon-b") in {(i["kind"], i["value"]) for i in b["identifiers"]},
            "after the undo B is its own profile with its anonymous id", b)
    t.check(admin.get("/api/v1/customers/%s" % c_id).status == 404, "C, erased in the browser, is gone")

    rc, took = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
