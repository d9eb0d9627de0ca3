#!/usr/bin/env python3
"""E2E: Snowplow's Node.js tracker (@snowplow/node-tracker, pinned in tests/segment/package-lock.json and
installed by `npm ci` in the Makefile's set-up, never at test time) sends page views, a self-describing
event with a context entity and a structured event to the real binary, with an ingest key in its
endpoint URL (/snowplow/KEY), in four ways: POST and GET, each with encodeBase64 on (ue_px, cx) and off
(ue_pr, co). tests/segment/snowplow_tracker_test.mjs checks through the REST API that they are events of
one profile with their data. Here again:

  1. a retried event (same eid) is stored once;
  2. hostile input (bad base64, a malformed schema, a wrong payload envelope, an oversized URL and body,
     keys that are unknown, not ingest keys or missing) is refused with {"error": {code, message, field}}
     and the right status, and a batch keeps its good events;
  3. nothing acknowledged is lost: the events listed are exactly those the answers accepted;
  4. the per-caller rate limit holds for a key in the URL (429 with Retry-After).

Runs on SQLite, and on PostgreSQL too when TP_TEST_POSTGRES_URL is set (a fresh database, dropped at
the end).
"""
import base64
import json
import os
import sys
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun  # noqa: E402
from segment_client import SEGMENT_DIR, node_with, on_each_backend, run_client, set_up  # noqa: E402

SCRIPT = os.path.join(SEGMENT_DIR, "snowplow_tracker_test.mjs")
POST_PATH = "/com.snowplowanalytics.snowplow/tp2"
PAYLOAD_SCHEMA = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
EVENT_SCHEMA = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0"


def payload(*events):
    return {"schema": PAYLOAD_SCHEMA, "data": list(events)}


def structured(eid, user):
    return {"e": "se", "eid": eid, "uid": user, "se_ca": "hostile", "se_ac": "probe", "p": "srv"}


def is_error(response, status, field=None):
    body = response.json() or {}
    error = body.get("error") or {}
    return (response.status == status and set(error) >= {"code", "message", "field"} and
            (field is None or error.get("field") == field))


def run_trackers(t, node, server, ingest_key, read_key, label):
    """The four tracker modes; returns the message ids they stored."""
    stored = set()
    for method in ("post", "get"):
        for plain in (False, True):
            mode = "%s, %s %s" % (label, method, "plain" if plain else "base64")
            summary = run_client(t, node, server, ingest_key, read_key, mode, script=SCRIPT,
                                 extra_args=["--method", method] + (["--plain"] if plain else []))
            if summary:
                stored.update(summary.get("message_ids") or [])
    return stored


def hostile(t, server, ingest_key, full_key, label):
    """Refusals and a partly bad batch; returns the message ids the answers acknowledged as new."""
    acknowledged = set()
    client = server.client()
    keyed = "/snowplow/%s" % ingest_key

    first = client.post(keyed + POST_PATH, payload(structured("retry-%s" % label, "sp-retry")))
    again = client.post(keyed + POST_PATH, payload(structured("retry-%s" % label, "sp-retry")))
    t.check(first.status == 200 and (first.json() or {}).get("accepted") == 1, "%s: a POST is accepted" % label, first)
    t.check(again.status == 200 and (again.json() or {}).get("duplicates") == 1 and (again.json() or {}).get("accepted") == 0,
            "%s: the same event id again is a duplicate" % label, again)
    acknowledged.add("retry-%s" % label)

    bad_schema = {"e": "ue", "eid": "bad-schema-%s" % label, "uid": "sp-hostile",
                  "ue_pr": json.dumps({"schema": EVENT_SCHEMA, "data": {"schema": "com.acme/x", "data": {}}})}
    mixed = client.post(keyed + POST_PATH, payload(structured("good-%s" % label, "sp-hostile"), bad_schema))
    rejected = (mixed.json() or {}).get("rejected") or []
    t.check(mixed.status == 200 and (mixed.json() or {}).get("accepted") == 1 and len(rejected) == 1 and
            rejected[0].get("index") == 1 and rejected[0].get("messageId") == bad_schema["eid"] and
            (rejected[0].get("error") or {}).get("field") == "ue_pr",
            "%s: a batch keeps its good event and names the bad one's malformed schema (ue_pr)" % label, mixed)
    acknowledged.add("good-%s" % label)

    bad_base64 = client.get(keyed + "/i?" + urllib.parse.urlencode({"e": "ue", "uid": "sp-hostile", "ue_px": "**not base64**"}))
    t.check(is_error(bad_base64, 400, "ue_px") and bad_base64.header("Content-Type") == "application/json",
            "%s: bad base64 in a GET is 400 in JSON naming ue_px, not a pixel" % label, bad_base64)
    wrong_envelope = client.post(keyed + POST_PATH, {"schema": "iglu:com.acme/payload_data/jsonschema/1-0-4", "data": []})
    t.check(is_error(wrong_envelope, 400, "schema"), "%s: a payload that is not payload_data is 400 naming schema" % label,
            wrong_envelope)
    not_json = client.post(keyed + POST_PATH, raw=b'{"schema": "' + PAYLOAD_SCHEMA.encode() + b'", "data": [',
                           content_type="application/json; charset=UTF-8")
    t.check(is_error(not_json, 400) and (not_json.json() or {})["error"]["code"] == "malformed_json",
            "%s: a truncated body is 400 malformed_json" % label, not_json)
    huge_url = client.get(keyed + "/i?" + urllib.parse.urlencode(
        {"e": "ue", "uid": "sp-hostile", "ue_px": base64.urlsafe_b64encode(b"x" * 30000).decode()}))
    t.check(huge_url.status == 431, "%s: a GET beyond 16 KiB of header is 431" % label, huge_url)
    huge_body = client.post(keyed + POST_PATH, raw=json.dumps(payload(structured("huge-%s" % label, "sp-hostile"))).encode()
                            + b" " * (2 << 20))
    t.check(is_error(huge_body, 413), "%s: a body over the body limit is 413" % label, huge_body)
    event = urllib.parse.urlencode(structured("auth-%s" % label, "sp-hostile"))
    t.check(is_error(client.get("/snowplow/tpk_unknown/i?" + event), 401), "%s: an unknown key in the URL is 401" % label)
    full = client.get("/snowplow/%s/i?%s" % (full_key, event))
    t.check(is_error(full, 403), "%s: a full key in the URL is 403 (a URL is public)" % label, full)
    anonymous = client.get("/i?" + event)
    t.check(is_error(anonymous, 401) and "/snowplow/<key>/i" in (anonymous.json() or {})["error"]["message"],
            "%s: no key at all is 401 saying where to put one" % label, anonymous)
    bearer = server.client(bearer=ingest_key).get("/i?" + event)
    t.check(bearer.status == 200 and bearer.header("Content-Type") == "image/gif",
            "%s: a Bearer key on the collector's own /i gets the pixel" % label, bearer)
    acknowledged.add("auth-%s" % label)
    return acknowledged


def main(t):
    node = node_with(t, "@snowplow/node-tracker")

    def run(server, ingest_key, full_key, label):
        expected = run_trackers(t, node, server, ingest_key, full_key, label)
        t.check(len(expected) == 16, "%s: four tracker runs stored four events each" % label, sorted(expected))
        expected |= hostile(t, server, ingest_key, full_key, label)

        listed, cursor = [], None
        reader = server.client(bearer=full_key)
        for _ in range(20):
            page = reader.get("/api/v1/events?limit=200" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")).json()
            listed += [event["message_id"] for event in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        t.check(sorted(listed) == sorted(expected),
                "%s: the events stored are exactly those acknowledged, each once" % label,
                {"missing": sorted(expected - set(listed)), "unexpected": sorted(set(listed) - expected)})

    on_each_backend(t, "snowplow", run)

    # The per-caller rate limit holds for a key in the URL, and its 429 is readable cross-origin.
    db = t.sqlite_db("snowplow-limit")
    ingest_key, _ = set_up(t, db, "limited")
    server = t.serve(db, "--rate-limit", "1", "--rate-burst", "2", name="server (rate limit)")
    client = server.client()
    answers = [client.get("/snowplow/%s/i?%s" % (ingest_key, urllib.parse.urlencode(structured("limit-%d" % i, "sp-limit"))))
               for i in range(5)]
    limited = [answer for answer in answers if answer.status == 429]
    t.check(limited and is_error(limited[0], 429) and limited[0].header("Retry-After") and
            limited[0].header("Access-Control-Allow-Origin") == "*",
            "the per-caller rate limit answers a URL key 429 with Retry-After, readable by any page",
            [answer.status for answer in answers])
    server.stop()


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
