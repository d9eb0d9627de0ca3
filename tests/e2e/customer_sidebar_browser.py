#!/usr/bin/env python3
"""E2E: the customer sidebar of the case view (/app/cases/{id}) in Debian's Chromium driven by
playwright-core (web/node_modules), against a real `touchpoint serve`.

  1. `touchpoint demo-data` and `touchpoint serve --web-root <this checkout's web/>`; as the demo admin,
     through the API: customer S (a name with <script> and <img onerror>, e-mail, phone, a trait whose
     value is markup), an identify adding a user id, an anonymous id and a trait, eight product views
     (more timeline than the sidebar shows), an NPS score (a passive's: a detractor's would open a case
     by the demo's rule) and a CSAT score; four cases of S: the one viewed and another open one in the
     demo agent's team, a solved one in that team, and an open one in another team, which the agent may
     not see;
  2. node web/tests/customer_sidebar_test.mjs: the admin's sidebar equals what the API answers for S
     (name as text, contact data, last NPS and CSAT, identities, traits, the open cases as links, the
     newest timeline entries), follows the case's status, links to the other case and to the 360; Czech;
     at phone width it is folded and fits; the demo agent's sidebar lists only its team's open cases and
     says how many others there are, and the other team's case is refused as such; the demo analyst (no
     cases:read) is refused the case view, without a sidebar or contact data; no dialog, no CSP
     violation; screenshots in the output directory printed below;
  3. here, through the API: the viewed case is open again, as the browser left it.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (WEB_DIR, TestRun, browser_output_dir, demo_tenant_and_users, log,  # noqa: E402
                     require_browser_test_tools, run_browser_test)

NAME = "<img src=x onerror=alert('side')> Petra <script>alert('side')</script> Postranní"
TRAIT = "<img src=x onerror=alert('trait')><b>VIP</b>"
VIEWED_EVENTS = 8  # with the scores and cases, more than the sidebar's five entries


def created(t, response, what):
    t.require(response.status == 201, what, response)
    return response.json()


def set_up(t, admin, agent_id):
    teams = admin.get("/api/v1/teams?limit=200").json()["items"]
    own = [team["id"] for team in teams if agent_id in (team.get("member_ids") or [])]
    other = [team["id"] for team in teams if agent_id not in (team.get("member_ids") or [])]
    t.require(own and other, "the demo agent is in a team and another team exists", teams)

    s = created(t, admin.post("/api/v1/customers", {"name": NAME, "email": "petra.side@example.cz",
                                                     "phone": "+420777654321", "traits": {"poznámka": TRAIT}}),
                "customer S is created")
    events = [{"id": "side-identify", "type": "identify", "occurred_at": "2026-11-01T09:00:00Z",
               "customer": {"email": "petra.side@example.cz", "user_id": "side-user", "anonymous_id": "side-anon"},
               "traits": {"plan": "gold"}, "channel": "web"}]
    events += [{"id": "side-view-%d" % i, "type": "track", "name": "Product Viewed",
                "occurred_at": "2026-11-03T10:%02d:00Z" % i, "customer": {"user_id": "side-user"}, "channel": "web",
                "properties": {"sku": "SIDE-%d" % i}} for i in range(VIEWED_EVENTS)]
    r = admin.post("/api/v1/events", {"events": events})
    t.require(r.status in (200, 202), "the identify and the events are ingested", r)
    created(t, admin.post("/api/v1/feedback", {"survey": "po-nakupu", "metric": "nps", "score": 8,
                                               "comment": "Celkem dobré", "customer_id": s["id"]}), "an NPS score of S")
    created(t, admin.post("/api/v1/feedback", {"survey": "po-hovoru", "metric": "csat", "score": 4,
                                               "customer_id": s["id"]}), "a CSAT score of S")

    def new_case(subject, team):
        case = created(t, admin.post("/api/v1/cases", {"customer_id": s["id"], "subject": subject, "channel": "email",
                                                       "team_id": team}), "case %r is created" % subject)
        if case.get("team_id") != team:  # a routing rule of the demo may have moved it
            r = admin.patch("/api/v1/cases/%s" % case["id"], {"team_id": team})
            t.require(r.status == 200, "case %r is put in its team" % subject, r)
        return case["id"]

    viewed = new_case("Reklamace <script>alert('case')</script> boty", own[0])
    other_open = new_case("Dotaz na doručení", own[0])
    solved = new_case("Vyřešená výměna", own[0])
    r = admin.patch("/api/v1/cases/%s" % solved, {"status": "solved"})
    t.require(r.status == 200, "the third case is solved", r)
    foreign = new_case("Případ jiného týmu", other[0])

    profile = admin.get("/api/v1/customers/%s" % s["id"]).json()
    t.require(profile["computed"]["open_cases"] == 3 and profile["computed"]["last_nps"]["score"] == 8
              and profile["computed"]["last_csat"]["score"] == 4,
              "the API counts S's three open cases and its NPS and CSAT", profile["computed"])
    return s["id"], viewed, other_open, solved, foreign


def main(t):
    node = require_browser_test_tools(t)
    db = t.sqlite_db("customer_sidebar")
    tenant, users = demo_tenant_and_users(t, db, ["admin", "agent", "analyst"], "--customers", "10", "--cases", "4",
                                          "--feedback", "4")
    server = t.serve(db, "--web-root", WEB_DIR, timeout=120)  # this checkout's app, whichever binary runs it
    admin = server.client(timeout=60)
    t.require(admin.login(tenant, *users["admin"]).status == 200, "the demo admin signs in over the API")
    agent = server.client(timeout=60)
    t.require(agent.login(tenant, *users["agent"]).status == 200, "the demo agent signs in over the API")
    agent_id = agent.get("/api/v1/auth/session").json()["user"]["id"]
    customer, viewed, other_open, solved, foreign = set_up(t, admin, agent_id)

    seen = [case["id"] for case in agent.get("/api/v1/cases?customer_id=%s&limit=200" % customer).json()["items"]]
    t.require(viewed in seen and foreign not in seen, "the API lists the agent only its team's cases of S", seen)
    t.require(agent.get("/api/v1/cases/%s" % foreign).status == 404, "the API refuses the agent the other team's case")

    out = browser_output_dir("customer_sidebar_browser")
    shutil.rmtree(out, ignore_errors=True)
    options = {"url": server.url, "tenant": tenant, "out": out, "customer": customer, "case-id": viewed,
               "other-case": other_open, "solved-case": solved, "foreign-case": foreign}
    for role in ("admin", "agent", "analyst"):
        options["%s-email" % role], options["%s-password" % role] = users[role]
    summary = run_browser_test(t, node, "customer_sidebar_test.mjs", options,
                               300 if os.environ.get("TP_E2E_SANITIZED") == "1" else 200)
    log("   screenshots: %s (%d files)" % (out, len(summary.get("screenshots") or [])))

    case = admin.get("/api/v1/cases/%s" % viewed).json()
    t.check(case.get("status") == "open", "the viewed case is open again, as the browser left it", case.get("status"))
    rc, took = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
