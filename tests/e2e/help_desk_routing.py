#!/usr/bin/env python3
"""Routing and auto-assignment through the real server and its change feed: a `case.created` rule routes
refund cases to the returns team, the team hands them out round-robin to the agents who are online, an
agent going offline stops getting cases, a full agent gets none, and a solved case frees room for the
one waiting in the queue. Also: the inbox in SLA order for an agent."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, parse_password, parse_token, wait_for  # noqa: E402


def main(t):
    db = t.sqlite_db()
    t.cli_ok("tenant", "add", "--db", db, "--slug", "acme", "--name", "Acme")
    t.cli_ok("user", "add", "--db", db, "--tenant", "acme", "--email", "admin@acme.example", "--name", "Ada",
             "--role", "admin")
    key = parse_token(t.cli_ok("apikey", "create", "--db", db, "--tenant", "acme", "--user", "admin@acme.example",
                               "--name", "ops", "--scope", "full").stdout)
    t.require(key, "a full API key was created")
    passwords = {}
    for name in ("eva", "petr"):
        created = t.cli_ok("user", "add", "--db", db, "--tenant", "acme", "--email", name + "@acme.example",
                           "--name", name.title(), "--role", "agent")
        passwords[name] = parse_password(created.stdout)
        t.require(passwords[name], "agent %s was created" % name)

    server = t.serve(db, "--rate-limit", "0")
    api = server.client(bearer=key)
    team = api.post("/api/v1/teams", {"name": "Returns", "kind": "service"})
    t.require(team.status == 201, "the returns team is created", team.text)
    team_id = team.json()["id"]
    users = {u["email"].split("@")[0]: u["id"] for u in api.get("/api/v1/users?limit=200").json()["items"]}
    agents = {}
    for name in ("eva", "petr"):
        t.require(api.request("PUT", "/api/v1/teams/%s/members/%s" % (team_id, users[name])).status in (200, 204),
                  "%s joins the team" % name)
        client = server.client()
        t.require(client.login("acme", name + "@acme.example", passwords[name]).status == 200, "%s signs in" % name)
        agents[name] = client

    rule = api.post("/api/v1/rules", {
        "name": "Refunds to the returns desk", "trigger": "case.created",
        "condition": 'case.team_id == null and case.subject contains "refund"',
        "actions": [{"type": "assign", "team_id": team_id}]})
    t.require(rule.status == 201, "the routing rule is created", rule.text)
    method = api.request("PUT", "/api/v1/teams/%s/assignment" % team_id, {"method": "round_robin"})
    t.require(method.status == 200 and method.json()["method"] == "round_robin", "the team assigns round-robin",
              method.text)
    for name in ("eva", "petr"):
        online = agents[name].request("PUT", "/api/v1/me/availability", {"status": "online"})
        t.require(online.status == 200, "%s goes online" % name, online.text)
    t.check(api.request("PUT", "/api/v1/users/%s/availability" % users["petr"], {"capacity": 2}).status == 200,
            "a manager sets petr's capacity to 2")

    customer_id = api.post("/api/v1/customers", {"name": "Jana Nová", "email": "jana@example.cz"}).json()["id"]

    def open_case(subject):
        created = api.post("/api/v1/cases", {"customer_id": customer_id, "subject": subject, "channel": "email"})
        t.require(created.status == 201, "case %r is opened" % subject, created.text)
        return created.json()["id"]

    def settled(case_id):
        item = api.get("/api/v1/cases/" + case_id).json()
        return item if item.get("team_id") == team_id and item.get("assignee_id") else None

    first = [open_case("Refund for order 1001"), open_case("Refund for order 1002")]
    got = [wait_for("routed and assigned", lambda c=c: settled(c), timeout=20) for c in first]
    t.require(all(got), "both refund cases were routed to the returns team and assigned",
              [api.get("/api/v1/cases/" + c).text for c in first])
    assignees = sorted(item["assignee_id"] for item in got)
    t.check(assignees == sorted([users["eva"], users["petr"]]), "round-robin gave one case to each agent", assignees)
    other = open_case("Invoice address")

    # Eva goes offline: the next two go to petr, who is then full (capacity 2), so the fourth waits.
    t.check(agents["eva"].request("PUT", "/api/v1/me/availability", {"status": "offline"}).status == 200,
            "eva goes offline")
    third = open_case("Refund please")
    got_third = wait_for("third assigned", lambda: settled(third), timeout=20)
    t.check(got_third and got_third["assignee_id"] == users["petr"], "with eva offline, petr gets the case")
    # The rules saw the invoice case before the third one, which they routed.
    t.check(api.get("/api/v1/cases/" + other).json().get("team_id") is None, "a case the rule does not match stays unrouted")
    waiting = open_case("Refund not received")
    wait_for("waiting case routed", lambda: api.get("/api/v1/cases/" + waiting).json().get("team_id") == team_id,
             timeout=20)
    state = wait_for("queue counted",
                     lambda: (lambda s: s if s["queued"] == 1 else None)(
                         agents["petr"].get("/api/v1/teams/%s/assignment" % team_id).json()), timeout=20)
    t.check(state and api.get("/api/v1/cases/" + waiting).json().get("assignee_id") is None,
            "petr is at capacity, so the fourth case waits unassigned in the queue", state)

    # Petr solves one of his: the waiting case goes to him.
    mine = agents["petr"].get("/api/v1/cases?view=mine&sort=sla_due")
    t.require(mine.status == 200 and len(mine.json()["items"]) == 2, "petr's inbox in SLA order holds his two cases",
              mine.text)
    solved = agents["petr"].patch("/api/v1/cases/" + mine.json()["items"][0]["id"], {"status": "solved"})
    t.check(solved.status == 200, "petr solves a case", solved.text)
    got_waiting = wait_for("waiting assigned", lambda: settled(waiting), timeout=20)
    t.check(got_waiting and got_waiting["assignee_id"] == users["petr"], "the waiting case goes to petr once he has room")
    history = api.get("/api/v1/cases/%s/conversation" % waiting).json()["entries"]
    assigned = [entry["change"] for entry in history if entry["type"] == "change"
                and entry["change"]["actor"] == {"type": "system", "id": "assignment"}]
    t.check(len(assigned) == 1 and assigned[0]["after"].get("assignee_id") == users["petr"],
            "the assignment is in the case's history, by the system's assignment", history)


TestRun.main(main, timeout=180)
