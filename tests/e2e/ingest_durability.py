#!/usr/bin/env python3
"""E2E: event ingestion survives kill -9 without losing or doubling an acknowledged message.

A /v1/batch answered 200 has been committed (one transaction per batch; SQLite's group commit returns
only after the fsync, PostgreSQL after its commit), and events are deduplicated by messageId.

  1. tenant + admin + an ingest and a full API key with the CLI; serve (--rate-limit 0);
  2. THREADS clients POST /v1/batch (BATCH messages each, unique messageIds, write key as HTTP Basic)
     on keep-alive connections, recording every batch answered 200; SIGKILL in the middle;
  3. restart on the same database: every acknowledged messageId is listed by GET /api/v1/events exactly
     once, and no messageId at all is listed twice;
  4. every batch sent (acknowledged or cut off by the kill) is sent again, as an SDK retries: each is
     answered 200 with accepted + duplicates = BATCH, the acknowledged ones entirely as duplicates; then
     every messageId sent is stored exactly once.

Runs on SQLite, and on PostgreSQL too when TP_TEST_POSTGRES_URL is set.
"""
import base64
import http.client
import json
import os
import signal
import sys
import time
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import WriterThreads, TestRun, log  # noqa: E402
from segment_client import postgres_db, set_up  # noqa: E402

THREADS = 6
BATCH = 40
BURST_SECONDS = 1.5
MIN_ACKED_BATCHES = 20
KILL_AT_BATCHES = 250  # kill once this many are acknowledged (or after BURST_SECONDS), well before MAX_BATCHES
MAX_BATCHES = 1000  # bounds the events to read back


def batch_body(thread, seq):
    messages = []
    for i in range(BATCH):
        messages.append({"type": "track" if i % 4 else "identify", "messageId": "dur-%d-%d-%d" % (thread, seq, i),
                         "userId": "dur-user-%d" % (seq % 7), "event": "Item Added",  # shared: concurrent batches race for the same profiles
                         "properties": {"seq": seq, "i": i}, "traits": {"plan": "p%d" % (seq % 3)}})
    return {"batch": messages, "sentAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}


def message_ids(body):
    return [message["messageId"] for message in body["batch"]]


class Burst(WriterThreads):
    def __init__(self, host, port, write_key):
        super().__init__(THREADS)  # self.acked: batch bodies answered 200 with every message accepted
        self.host, self.port = host, port
        self.headers = {"Content-Type": "application/json",
                        "Authorization": "Basic " + base64.b64encode((write_key + ":").encode()).decode()}
        self.sent = []  # every batch body attempted
        self.statuses = Counter()
        self.errors = Counter()
        self.bad = []

    def _writer(self, thread):
        conn = None
        seq = 0
        while not self._stop.is_set():
            with self.lock:
                if len(self.sent) >= MAX_BATCHES:
                    break
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
            body = batch_body(thread, seq)
            seq += 1
            with self.lock:
                self.sent.append(body)
            try:
                conn.request("POST", "/v1/batch", body=json.dumps(body), headers=self.headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.errors[type(e).__name__] += 1
                conn.close()
                conn = None
                time.sleep(0.02)
                continue
            try:
                answer = json.loads(data)
            except ValueError:
                answer = None
            with self.lock:
                if resp.status == 200 and isinstance(answer, dict) and answer.get("accepted") == BATCH \
                        and answer.get("rejected") == []:
                    self.acked.append(body)
                else:
                    self.statuses[resp.status] += 1
                    if len(self.bad) < 3:
                        self.bad.append(data[:300])
            if resp.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def report(self):
        return ("%d batches sent, %d acknowledged (200, all accepted), other answers %s, transport errors %s"
                % (len(self.sent), len(self.acked), dict(self.statuses) or "none", dict(self.errors) or "none"))


def stored_message_ids(t, server, read_key):
    """Every messageId listed by GET /api/v1/events (all pages), as a Counter."""
    client = server.client(bearer=read_key)
    counts = Counter()
    cursor = None
    for _ in range(10000):
        r = client.get("/api/v1/events?limit=200" + ("&cursor=" + cursor if cursor else ""))
        if r.status != 200:
            t.check(False, "GET /api/v1/events pages are 200", r)
            break
        body = r.json() or {}
        for event in body.get("items") or []:
            counts[event.get("message_id")] += 1
        cursor = body.get("next_cursor")
        if not cursor:
            break
    client.close()
    return counts


def run_backend(t, label, db):
    write_key, read_key = set_up(t, db, "durable")
    first = t.serve(db, "--rate-limit", "0", name="server-1 (%s)" % label)
    burst = Burst(first.host, first.port, write_key)
    burst.start()
    started = time.monotonic()
    while burst.count() < KILL_AT_BATCHES and time.monotonic() - started < BURST_SECONDS:
        time.sleep(0.01)
    deadline = time.monotonic() + 15  # a loaded machine (ASan, ctest -j) needs longer to get going
    while burst.count() < MIN_ACKED_BATCHES and time.monotonic() < deadline and first.alive():
        time.sleep(0.1)
    before = burst.count()
    with burst.lock:
        mid_burst = len(burst.sent) < MAX_BATCHES
    first.signal(signal.SIGKILL)
    rc = first.wait(30)
    t.check(burst.stop(20.0), "%s: the client threads stop" % label)
    log("   %s: %s; %d acknowledged before the kill" % (label, burst.report(), before))
    t.check(rc == -signal.SIGKILL, "%s: the server died of SIGKILL" % label, "exit %s" % rc)
    t.check(mid_burst, "%s: the kill came while the clients were still sending" % label, burst.report())
    t.check(before >= MIN_ACKED_BATCHES, "%s: at least %d batches were acknowledged before the kill" % (label, MIN_ACKED_BATCHES),
            burst.report())
    t.check(not burst.statuses, "%s: every answered batch was 200 with all messages accepted" % label,
            "%s %s" % (dict(burst.statuses), burst.bad))

    second = t.serve(db, "--rate-limit", "0", name="server-2 (%s, after SIGKILL)" % label)
    counts = stored_message_ids(t, second, read_key)
    acked_ids = [mid for body in burst.acked for mid in message_ids(body)]
    missing = [mid for mid in acked_ids if counts[mid] == 0]
    doubled = [mid for mid, n in counts.items() if n > 1]
    t.check(not missing, "%s: all %d acknowledged messages are stored after the restart" % (label, len(acked_ids)),
            "%d missing, e.g. %s" % (len(missing), missing[:10]))
    t.check(not doubled, "%s: no messageId is stored twice (%d events listed)" % (label, sum(counts.values())),
            doubled[:10])

    # Retry everything, as an SDK does for batches it got no answer for.
    acked_keys = {id(body) for body in burst.acked}
    client = second.client()
    wrong = []
    for body in burst.sent:
        r = client.post("/v1/batch", body, headers={"Authorization": burst.headers["Authorization"]})
        answer = r.json() or {}
        accepted, duplicates = answer.get("accepted"), answer.get("duplicates")
        ok = r.status == 200 and isinstance(accepted, int) and isinstance(duplicates, int) \
            and accepted + duplicates == BATCH and (id(body) not in acked_keys or duplicates == BATCH)
        if not ok:
            wrong.append(repr(r))
    client.close()
    t.check(not wrong, "%s: all %d batches sent again are 200; acknowledged ones count only duplicates"
            % (label, len(burst.sent)), "%d wrong, e.g. %s" % (len(wrong), wrong[:3]))
    counts = stored_message_ids(t, second, read_key)
    sent_ids = [mid for body in burst.sent for mid in message_ids(body)]
    not_once = [mid for mid in sent_ids if counts[mid] != 1]
    t.check(not not_once, "%s: after the retries each of the %d messages sent is stored exactly once" % (label, len(sent_ids)),
            "%d not exactly once, e.g. %s" % (len(not_once), [(mid, counts[mid]) for mid in not_once[:10]]))
    t.check(sum(counts.values()) == len(sent_ids), "%s: nothing else is stored (%d events)" % (label, sum(counts.values())))
    rc, took = second.stop()
    t.check(rc == 0, "%s: the restarted server exits 0 on SIGTERM" % label, "exit %s after %.1fs" % (rc, took))


def main(t):
    backends = [("sqlite", t.sqlite_db("durability"))]
    pg = postgres_db(t)
    if pg:
        backends.append(("postgresql", pg))
    else:
        t.note("TP_TEST_POSTGRES_URL is not set: SQLite only")
    for label, db in backends:
        run_backend(t, label, db)


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
