#!/usr/bin/env python3
"""E2E: a survey as a respondent meets it, in Debian's Chromium driven by playwright-core (web/, pinned in
web/package-lock.json and installed by `npm ci` in the Makefile's set-up, never at test time).

  1. a tenant, an admin and a customer; a live NPS survey with Czech texts, a reason asked of detractors
     only (visibleIf) and attribute ratings, through the API; an e-mail invitation in Czech, which a real
     SMTP server (Debian's aiosmtpd) receives; a second invitation within the contact gap is skipped;
  2. node web/tests/survey_page_test.mjs: the customer opens the link from that e-mail in Chromium, answers NPS 3
     with a comment, completes it, and cannot answer the same link twice; no CSP violation, nothing
     loaded from elsewhere;
  3. here: the response is stored with its version, language and answers, its score is feedback of the
     customer with the comment, and a second submission of the invitation is 409;
  4. node web/tests/survey_semantics_test.mjs: survey-core in Node and the server agree on visibility,
     required answers and scales for the definition the server serves (on the public link).
"""
import email
import email.policy
import os
import re
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import SmtpServer, TestRun, parse_password, log, run_node_checks, wait_for  # noqa: E402

WEB_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "web")
COMMENT = "Kurýr přijel o dva dny později a balík byl <b>mokrý</b>."

SURVEY = {
    "name": "Po doručení",
    "touchpoint": "delivery",
    "stage": "fulfilment",
    "status": "live",
    "metrics": {"nps": {"question": "recommend", "comment": "reason"}},
    "definition": {
        "title": {"default": "How was your delivery?", "cs": "Jak proběhlo doručení?"},
        "completedHtml": {"default": "<h3>Thank you!</h3>", "cs": "<h3>Děkujeme za odpověď!</h3>"},
        "pages": [{"elements": [
            {"type": "rating", "name": "recommend", "isRequired": True, "rateMin": 0, "rateMax": 10,
             "displayMode": "buttons",
             "title": {"default": "How likely are you to recommend us?",
                       "cs": "Jak pravděpodobně byste nás doporučili?"}},
            {"type": "comment", "name": "reason", "visibleIf": "{recommend} <= 6",
             "title": {"default": "What went wrong?", "cs": "Co se pokazilo?"}},
            {"type": "matrix", "name": "attributes", "columns": [1, 2, 3, 4, 5],
             "title": {"default": "Rate us", "cs": "Ohodnoťte nás"},
             "rows": [{"value": "speed", "text": {"default": "Speed", "cs": "Rychlost"}},
                      {"value": "staff", "text": {"default": "Courier", "cs": "Kurýr"}}]},
        ]}],
    },
}


def run_node(t, script, *args):
    node = shutil.which("node")
    t.require(node is not None, "node is installed (scripts/install-deps.sh installs nodejs)")
    for package in ("playwright-core", "survey-core", "survey-js-ui"):
        t.require(os.path.isfile(os.path.join(WEB_DIR, "node_modules", package, "package.json")),
                  "web/node_modules holds %s (the Makefile runs `npm ci` there)" % package)
    cmd = [node, os.path.join(WEB_DIR, "tests", script)] + list(args)
    log("   $ node web/tests/%s %s" % (script, " ".join(args)))
    return run_node_checks(t, cmd, script, timeout=150)


def main(t):
    if not os.path.exists("/usr/bin/chromium"):
        t.require(False, "Debian's chromium is installed (scripts/install-deps.sh installs it)")
    db = t.sqlite_db("survey")
    t.cli_ok("migrate", "--db", db)
    t.cli_ok("tenant", "add", "--db", db, "--slug", "shop", "--name", "Shop")
    admin = t.cli_ok("user", "add", "--db", db, "--tenant", "shop", "--email", "admin@shop.example",
                     "--name", "Admin", "--role", "admin")
    password = parse_password(admin.stdout)
    smtp = SmtpServer(t, "cx@shop.example")
    server = t.serve(db, "--rate-limit", "0", "--public-url", "http://public.example", *smtp.serve_args)
    client = server.client()
    t.require(client.login("shop", "admin@shop.example", password).status == 200, "the admin signs in")

    # The closed loop: a detractor becomes a follow-up case for the team that owns the touchpoint.
    r = client.post("/api/v1/teams", {"name": "Doručení"})
    t.require(r.status == 201, "the delivery team is created", r)
    delivery_team = r.json()["id"]
    r = client.post("/api/v1/rules", {
        "name": "Detractor: follow-up within 24 h", "trigger": "feedback.submitted",
        "condition": "metric == \"nps\" and score <= 6 and customer_id != null",
        "actions": [{"type": "create_case", "team_by_touchpoint": {"delivery": delivery_team}, "priority": "high",
                     "subject": "Zavolat do 24 h: NPS {{score}}, {{customer.name}}: {{comment}}"}]})
    t.require(r.status == 201, "the detractor rule is created", r)

    r = client.post("/api/v1/customers", {"name": "Jana Nováková", "email": "jana@example.cz"})
    t.require(r.status == 201, "a customer is created", r)
    customer_id = r.json()["id"]
    r = client.post("/api/v1/surveys", SURVEY)
    t.require(r.status == 201, "POST /api/v1/surveys creates the live survey", r)
    survey = r.json()
    t.check(survey["languages"] == ["default", "cs"] and survey["version"] == 1,
            "the survey knows its languages and is version 1", survey)
    r = client.post("/api/v1/surveys/%s/invitations" % survey["id"],
                    {"customer_ids": [customer_id], "language": "cs", "reminder_after_hours": 72})
    t.require(r.status == 201 and r.json()["items"][0]["skipped"] is None, "an e-mail invitation in Czech is queued", r)
    invited = r.json()["items"][0]
    r = client.post("/api/v1/surveys/%s/invitations" % survey["id"], {"customer_ids": [customer_id]})
    t.check(r.status == 201 and r.json()["items"][0]["skipped"] == "contacted_recently",
            "a second invitation within the contact gap is skipped", r)
    mail = wait_for("the invitation e-mail", smtp.messages)
    t.require(mail, "the invitation reaches the SMTP server",
              client.get("/api/v1/deliveries/" + invited["delivery_id"]).text + "".join(smtp.log()))
    message = email.message_from_bytes(smtp.read(mail[0]), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    t.check(message["To"].addresses[0].addr_spec == "jana@example.cz" and message["Subject"] == "Jak jsme si vedli?"
            and message["Auto-Submitted"] == "auto-generated" and "Jana Nováková" in body,
            "the invitation is addressed to the customer, in Czech, marked auto-generated", str(message)[:2000])
    links = re.findall(r"http://public\.example/s/([A-Za-z0-9_-]+)(/opt-out)?", body)
    t.require(len(links) == 2 and links[1][1] == "/opt-out" and links[0][0] == links[1][0],
              "the e-mail holds the survey link on the public URL and its opt-out link", body)
    page_url = server.url + "/s/" + links[0][0]

    run_node(t, "survey_page_test.mjs", "--url", page_url, "--comment", COMMENT)

    r = client.get("/api/v1/survey-responses?survey_id=%s&status=complete" % survey["id"])
    items = (r.json() or {}).get("items") or []
    t.require(r.status == 200 and len(items) == 1, "the invitation's response is listed", r)
    response = items[0]
    t.check(response["customer_id"] == customer_id and response["version"] == 1 and response["language"] == "cs"
            and response["channel"] == "email" and response["touchpoint"] == "delivery",
            "the response links the customer, version, language, channel and touchpoint", response)
    t.check(response["answers"].get("recommend") == 3 and response["answers"].get("reason") == COMMENT,
            "the answers are stored as given (script and all)", response)
    r = client.get("/api/v1/feedback?customer_id=%s" % customer_id)
    scores = (r.json() or {}).get("items") or []
    t.check(len(scores) == 1 and scores[0]["score"] == 3 and scores[0]["comment"] == COMMENT
            and scores[0]["survey_response_id"] == response["id"] and scores[0]["metric"] == "nps",
            "its NPS answer is the customer's feedback with the comment", scores)
    r = client.get("/api/v1/customers/%s/timeline?kind=survey_response,feedback" % customer_id)
    entries = (r.json() or {}).get("items") or []
    t.check(len(entries) == 1 and entries[0]["kind"] == "survey_response"
            and entries[0]["detail"]["scores"] == [{"metric": "nps", "score": 3, "comment": COMMENT}],
            "the response is one entry on the customer's timeline, carrying its score and comment", r)
    cases = wait_for("the follow-up case", lambda: (client.get("/api/v1/cases?customer_id=" + customer_id).json()
                                                     or {}).get("items"))
    t.check(cases and len(cases) == 1 and cases[0]["team_id"] == delivery_team and cases[0]["priority"] == "high"
            and COMMENT in cases[0]["subject"] and "Jana Nováková" in cases[0]["subject"],
            "a follow-up case appears for the owning team with the customer and the comment", cases)
    again = server.client().post("/api/v1/respond/" + links[0][0], {"data": {"recommend": 10}}, csrf=False)
    t.check(again.status == 409 and again.error_code() == "conflict", "a second submission is 409", again)

    r = client.get("/api/v1/jobs?kind=surveys.remind")
    reminders = (r.json() or {}).get("items") or []
    t.check(len(reminders) == 1 and reminders[0]["state"] == "queued", "one reminder is scheduled", r)

    r = client.post("/api/v1/surveys/%s/links" % survey["id"], {"kind": "public"})
    t.require(r.status == 201, "a public link is created", r)
    t.check(r.json()["url"] == "http://public.example/s/" + r.json()["token"], "a link's URL is on the public URL", r)
    # "--token=…": a token may start with "-", which would read as an option on its own.
    run_node(t, "survey_semantics_test.mjs", "--url", server.url, "--token=" + r.json()["token"])

    # The e-mail's opt-out link: the page's button records it, and no survey is sent to them again.
    r = server.client().post("/api/v1/respond/%s/opt-out" % links[0][0], csrf=False)
    t.check(r.status == 204, "the opt-out is recorded", r)
    r = client.post("/api/v1/surveys/%s/invitations" % survey["id"], {"customer_ids": [customer_id]})
    t.check(r.status == 201 and r.json()["items"][0]["skipped"] == "opted_out", "an opted-out customer is not invited", r)

    rc, took = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=240)
