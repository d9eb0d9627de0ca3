#!/usr/bin/env python3
"""E2E: after an erasure nothing of the person is left anywhere touchpoint writes (docs/security.md, Erasure).

  1. tenant + admin + a full API key with the CLI; serve with its access log on (stdout);
  2. the person arrives in every way that leaves a trace: a profile created with an Idempotency-Key
     (whose replayable response holds them), Segment events, a search for their e-mail and a search
     whose query does not parse (which the access log once wrote down with its raw target);
  3. erase them over the API; stop the server (the last connection checkpoints and removes the WAL);
  4. none of their markers is in the SQLite files (the store runs with secure_delete), in the server's
     output, or in customer and event exports made afterwards.
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun, parse_token  # noqa: E402

EMAIL = "erase.me@example.cz"
# Lower case: files are searched case-insensitively (search terms are stored in lower case).
MARKERS = ["erase.me", "zdenka", "smazatelna", "602555444", "user-erase-me", "device-erase-1", "198.51.100.77"]


def markers_in(data):
    lowered = data.lower()
    return [marker for marker in MARKERS if marker.encode() in lowered]


def main(t):
    db = t.sqlite_db("erasure")
    db_dir = os.path.dirname(db[len("sqlite:"):])
    t.cli_ok("tenant", "add", "--db", db, "--slug", "gdpr", "--name", "GDPR Inc")
    t.cli_ok("user", "add", "--db", db, "--tenant", "gdpr", "--email", "admin@gdpr.example", "--name", "Admin",
             "--role", "admin")
    key = parse_token(t.cli_ok("apikey", "create", "--db", db, "--tenant", "gdpr", "--user", "admin@gdpr.example",
                               "--name", "privacy", "--scope", "full").stdout)
    t.require(key, "`apikey create` prints the token")

    server = t.serve(db, "--rate-limit", "0", name="server")
    client = server.client(bearer=key)
    created = client.post("/api/v1/customers", {"name": "Zdenka Smazatelna", "email": EMAIL, "phone": "+420 602 555 444"},
                          headers={"Idempotency-Key": "create-person-1"})
    t.require(created.status == 201, "the person is created with an Idempotency-Key (201)", created)
    person = created.json()["id"]
    replayed = client.post("/api/v1/customers", {"name": "Zdenka Smazatelna", "email": EMAIL, "phone": "+420 602 555 444"},
                           headers={"Idempotency-Key": "create-person-1"})
    t.check(replayed.status == 201 and replayed.json().get("id") == person,
            "the same request again is answered from the idempotency cache", replayed)
    batch = {"batch": [
        {"type": "identify", "messageId": "erase-m1", "userId": "user-erase-me", "anonymousId": "device-erase-1",
         "traits": {"email": EMAIL, "name": "Zdenka Smazatelna"}},
        {"type": "track", "messageId": "erase-m2", "userId": "user-erase-me", "event": "Order Completed",
         "properties": {"revenue": 99, "shipping_address": "Smazatelna 12, Brno"}, "context": {"ip": "198.51.100.77"}},
    ]}
    ingested = client.post("/v1/batch", batch)
    t.require(ingested.status == 200 and ingested.json().get("accepted") == 2, "the person's events are ingested",
              ingested)
    found = client.get("/api/v1/customers?q=" + EMAIL)
    t.check(found.status == 200 and [c["id"] for c in found.json().get("items", [])] == [person],
            "a search for the e-mail finds the one profile", found)
    unparsable = client.get("/api/v1/customers?q=erase.me%ZZ@example.cz")
    t.check(unparsable.status == 400, "a search whose query does not parse is 400", unparsable)

    erased = client.post("/api/v1/customers/%s/erase" % person)
    t.require(erased.status == 200, "the person is erased (200)", erased)
    gone = client.get("/api/v1/customers?q=" + EMAIL)
    t.check(gone.status == 200 and gone.json().get("items") == [], "the e-mail finds nobody any more", gone)
    client.close()
    rc, took = server.stop()
    t.require(rc == 0, "the server stops cleanly", "exit %s after %.1fs" % (rc, took))

    for name in sorted(os.listdir(db_dir)):
        with open(os.path.join(db_dir, name), "rb") as f:
            left = markers_in(f.read())
        t.check(not left, "the database file %s holds nothing of the person" % name, left)
    out, err = server.output()
    log_text = "\n".join(out + err).encode()
    t.check(b"/api/v1/customers" in log_text, "the access log recorded the requests", "\n".join(out[-5:]))
    t.check(not markers_in(log_text), "the server's log holds nothing of the person",
            [line for line in out + err if markers_in(line.encode())][:5])

    for kind in ("customers", "events"):
        for fmt in ("csv", "jsonl"):
            exported = t.path("%s.%s" % (kind, fmt))
            t.cli_ok("export", kind, "--db", db, "--tenant", "gdpr", "--format", fmt, "--out", exported)
            with open(exported, "rb") as f:
                left = markers_in(f.read())
            t.check(not left, "an export of %s (%s) made after the erasure holds nothing of the person" % (kind, fmt),
                    left)


if __name__ == "__main__":
    TestRun.main(main, timeout=200)
