#!/usr/bin/env python3
"""E2E: the rules screens (/app/rules, /app/rules/{id}) in Debian's Chromium driven by playwright-core
(web/node_modules), against a real `touchpoint serve`.

  1. `touchpoint demo-data` and `touchpoint serve --web-root <this checkout's web/>`; as the demo
     manager, through the API: 23 detractors' NPS answers for a known customer, so that the demo's
     detractor rule runs and has more executions in the log than the screen shows on one page;
  2. node web/tests/rules_test.mjs: the manager finds the demo rules listed as the API lists them, with the
     latest execution's outcome; creates a rule through the form (a condition that does not parse first:
     the server's message with its position beside the field, nothing saved), which the API then returns
     with the same fields; switches it on in the list; dry-runs it as the API does; reads the detractor
     rule's executions as the API lists them; sees the screens in Czech; deletes the rule; then the demo
     agent (no rules:write) has no link and is told so at the URL; no dialog, no CSP violation;
     screenshots in the output directory printed below;
  3. here, through the API: the rule made in the browser is gone, the demo rules are unchanged.
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (WEB_DIR, TestRun, browser_output_dir, demo_tenant_and_users, log,  # noqa: E402
                     require_browser_test_tools, run_browser_test, wait_for)

RULE_NAME = "VIP <b>case</b>: tag and raise"  # markup in the name, to be shown as text
DETRACTORS = 23  # executions of the demo detractor rule: more than the screen's page of 20


def detractor_executions(t, manager):
    """Detractors' answers for a known customer, more than the screen's page of executions; returns the
    demo rule that matched them, once all its executions are in the log."""
    customer = manager.get("/api/v1/customers?limit=1").json()["items"][0]
    recorded = [manager.post("/api/v1/feedback", {"survey": "rules-e2e", "metric": "nps", "score": number % 7,
                                                  "touchpoint": "delivery", "comment": "Late again (%d)" % number,
                                                  "customer_id": customer["id"]}) for number in range(DETRACTORS)]
    t.require(all(r.status == 201 for r in recorded), "%d detractors' NPS answers are recorded" % DETRACTORS,
              [r.status for r in recorded])
    answers = {r.json()["id"] for r in recorded}

    def executions():
        items, cursor = [], ""
        while True:
            page = manager.get("/api/v1/rule-executions?limit=200" + ("&cursor=" + cursor if cursor else "")).json()
            items += [e for e in page["items"] if e["subject_id"] in answers]
            cursor = page["next_cursor"]
            if not cursor:
                return items if len(items) >= DETRACTORS else None
    ran = wait_for("the detractor rule's executions", executions, timeout=90, interval=0.5)
    t.require(ran and len({e["rule_id"] for e in ran}) == 1, "the rules engine ran one demo rule on each detractor's answer", ran)
    return ran[0]["rule_id"]


def main(t):
    node = require_browser_test_tools(t)
    db = t.sqlite_db("rules")
    tenant, users = demo_tenant_and_users(t, db, ["manager", "agent"], "--customers", "10", "--cases", "4",
                                          "--feedback", "4")
    server = t.serve(db, "--web-root", WEB_DIR, timeout=120)  # this checkout's app, whichever binary runs it
    manager = server.client(timeout=60)
    t.require(manager.login(tenant, *users["manager"]).status == 200, "the demo manager signs in over the API")
    demo_rules = manager.get("/api/v1/rules").json()["items"]
    t.require(len(demo_rules) >= 2, "demo-data made its starter rules", demo_rules)
    executed_rule = detractor_executions(t, manager)

    agent = server.client(timeout=60)
    t.require(agent.login(tenant, *users["agent"]).status == 200, "the demo agent signs in over the API")
    t.require(agent.get("/api/v1/rules").status == 403, "the API refuses the rules to the agent")

    out = browser_output_dir("rules_browser")
    shutil.rmtree(out, ignore_errors=True)
    options = {"url": server.url, "tenant": tenant, "manager-email": users["manager"][0],
               "manager-password": users["manager"][1], "agent-email": users["agent"][0],
               "agent-password": users["agent"][1], "executed-rule": executed_rule, "rule-name": RULE_NAME, "out": out}
    summary = run_browser_test(t, node, "rules_test.mjs", options,
                               300 if os.environ.get("TP_E2E_SANITIZED") == "1" else 200)
    log("   screenshots: %s (%d files)" % (out, len(summary.get("screenshots") or [])))

    after = manager.get("/api/v1/rules").json()["items"]
    t.check(not any(rule["name"] == RULE_NAME for rule in after), "the rule made and deleted in the browser is gone", after)
    t.check([(r["id"], r["enabled"], r["condition"]) for r in after] == [(r["id"], r["enabled"], r["condition"]) for r in demo_rules],
            "the demo rules are as they were", after)

    rc, took = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
