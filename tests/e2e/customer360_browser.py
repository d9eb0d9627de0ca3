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
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (WEB_DIR, TestRun, browser_output_dir, demo_tenant_and_users, log,  # noqa: E402
                     require_browser_test_tools, run_browser_test)

SEARCH = "Zákaznice360"
NAME_A = "<img src=x onerror=alert('c360')> Jana <script>alert('c360')</script> Zákaznice360"
NAME_B = "Jana Zákaznice360 duplicitní"
NAME_C = "Ema Zákaznice360 smazat"
NOTE = "Volala kvůli <b>reklamaci</b>; preferuje e-mail."
VIEWED_EVENTS = 24  # with the note and the rest, more than the screen's page of 20


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
    node = require_browser_test_tools(t)
    db = t.sqlite_db("customer360")
    tenant, users = demo_tenant_and_users(t, db, ["admin", "analyst"], "--customers", "10", "--cases", "4",
                                          "--feedback", "4")
    server = t.serve(db, "--web-root", WEB_DIR, timeout=120)  # this checkout's app, whichever binary runs it
    admin = server.client(timeout=60)
    t.require(admin.login(tenant, *users["admin"]).status == 200, "the demo admin signs in over the API")
    a_id, b_id, c_id, case_id = set_up(t, admin)

    analyst = server.client(timeout=60)
    t.require(analyst.login(tenant, *users["analyst"]).status == 200, "the demo analyst signs in over the API")
    seen = analyst.get("/api/v1/customers/%s" % a_id).json()
    t.require(seen.get("contact_data_redacted") is True and seen.get("email") is None,
              "the API withholds A's contact data from the analyst", seen)

    out = browser_output_dir("customer360_browser")
    shutil.rmtree(out, ignore_errors=True)
    options = {"url": server.url, "tenant": tenant, "admin-email": users["admin"][0], "admin-password": users["admin"][1],
               "analyst-email": users["analyst"][0], "analyst-password": users["analyst"][1], "customer-a": a_id,
               "customer-b": b_id, "customer-c": c_id, "case-id": case_id, "search": SEARCH, "name-b-word": "duplicitní",
               "note": NOTE, "out": out}
    summary = run_browser_test(t, node, "customer360_test.mjs", options,
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
