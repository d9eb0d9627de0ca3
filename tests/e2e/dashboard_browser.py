#!/usr/bin/env python3
"""E2E: the CX dashboard of the web app (/app/dashboard) in Debian's Chromium driven by playwright-core.

  1. `touchpoint demo-data` (its feedback responses over the last 180 days, at six touchpoints) and a real
     `touchpoint serve` of this checkout's web/ on a loopback port; here, over the API: the analytics
     engine has loaded, the demo manager may query it and the demo agent may not;
  2. node web/tests/dashboard_test.mjs: the manager opens a shared dashboard URL through sign-in; the NPS
     value, interval and n (overall, per touchpoint, against the previous period) are those the API
     answers the test for the same query; reloads keep the view; a filter, the metric, the window and the
     bucket chosen on the screen go into the URL; a drill-down lists exactly the n responses behind a
     number, and says when the response list cannot filter that way; the CSV download is the API's
     answer; Czech replaces every text and formats the numbers the Czech way; the agent has no link and
     no numbers; no CSP violation; screenshots in the output directory printed below.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (WEB_DIR, TestRun, browser_output_dir, demo_tenant_and_users, log,  # noqa: E402
                     require_browser_test_tools, run_browser_test, wait_for)


def main(t):
    node = require_browser_test_tools(t)
    db = t.sqlite_db("dashboard")
    tenant, users = demo_tenant_and_users(t, db, ["manager", "agent"], "--customers", "60", "--cases", "4",
                                          "--feedback", "400")
    server = t.serve(db, "--web-root", WEB_DIR, timeout=120)  # this checkout's app, whichever binary runs it

    manager = server.client(timeout=60)
    t.require(manager.login(tenant, *users["manager"]).status == 200, "the demo manager signs in over the API")
    # The engine loads in the background after start-up (503 until then); the browser test starts after.
    ready = wait_for("the analytics engine", lambda: manager.post("/api/v1/analytics/query", {"metric": "nps"}).status == 200,
                     timeout=120, interval=0.5)
    t.require(ready, "the analytics engine has loaded the demo responses")
    r = manager.post("/api/v1/analytics/query", {"metric": "nps", "time": {"last_days": 365}})
    t.require(r.status == 200 and r.json()["total"]["n"] > 0, "the demo data has NPS responses in the last year", r)
    agent = server.client(timeout=60)
    t.require(agent.login(tenant, *users["agent"]).status == 200, "the demo agent signs in over the API")
    t.check(agent.post("/api/v1/analytics/query", {"metric": "nps"}).status == 403,
            "the agent may not query analytics (no analytics:read)")

    out = browser_output_dir("dashboard_browser")
    shutil.rmtree(out, ignore_errors=True)
    options = {"url": server.url, "tenant": tenant, "email": users["manager"][0], "password": users["manager"][1],
               "agent-email": users["agent"][0], "agent-password": users["agent"][1], "out": out}
    summary = run_browser_test(t, node, "dashboard_test.mjs", options,
                               300 if os.environ.get("TP_E2E_SANITIZED") == "1" else 200)
    log("   screenshots: %s (%d files)" % (out, len(summary.get("screenshots") or [])))

    rc, took = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
