#!/usr/bin/env python3
"""E2E: an online backup of the SQLite database while the server ingests events
(docs/operations.md, "Backups").

  1. tenant + admin + an ingest and a full API key with the CLI; serve (--rate-limit 0);
  2. THREADS clients POST /v1/batch (a short pause between batches), recording every batch answered 200;
  3. while they go on: `VACUUM INTO` through python3's sqlite3 module (a read-only connection), the
     sqlite3 backup API in one step, and deploy/touchpoint-backup.sh (the sqlite3 shell's VACUUM INTO,
     integrity check, rename; when the sqlite3 shell is installed); batches are acknowledged while each
     backup runs;
  4. each backup passes PRAGMA integrity_check and foreign_key_check and holds every message that was
     acknowledged before that backup started;
  5. the script keeps only the newest TOUCHPOINT_BACKUP_KEEP backups;
  6. restore: a server started on a copy of the first backup is ready, lists the backed-up events and
     takes new ones.
"""
import base64
import http.client
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import WriterThreads, TestRun, log  # noqa: E402
from segment_client import set_up  # noqa: E402

BACKUP_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                             "deploy", "touchpoint-backup.sh")

THREADS = 4
BATCH = 50
WARM_UP_BATCHES = 300  # 15,000 events in the database before the first backup
PAUSE = 0.02  # seconds between a writer's batches: at most THREADS * BATCH / PAUSE = 10,000 events/s
MAX_BATCHES = 3000  # bounds the events written (150,000)
ATTEMPTS = 3  # a backup that happened to see no acknowledgement while it ran is taken again


def batch_body(thread, seq):
    return {"batch": [{"type": "track", "messageId": "bk-%d-%d-%d" % (thread, seq, i), "userId": "bk-user-%d" % (seq % 50),
                       "event": "Order Completed", "properties": {"seq": seq, "i": i, "revenue": 10 + i}}
                      for i in range(BATCH)],
            "sentAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}


class Ingest(WriterThreads):
    """self.acked: the messageIds of each batch answered 200 with every message accepted."""

    def __init__(self, host, port, write_key):
        super().__init__(THREADS)
        self.host, self.port = host, port
        self.headers = {"Content-Type": "application/json",
                        "Authorization": "Basic " + base64.b64encode((write_key + ":").encode()).decode()}
        self.sent = 0
        self.other = Counter()

    def _writer(self, thread):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        seq = 0
        try:
            while not self._stop.is_set():
                with self.lock:
                    if self.sent >= MAX_BATCHES:
                        break
                    self.sent += 1
                body = batch_body(thread, seq)
                seq += 1
                try:
                    conn.request("POST", "/v1/batch", body=json.dumps(body), headers=self.headers)
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as e:
                    with self.lock:
                        self.other[type(e).__name__] += 1
                    conn.close()
                    conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                    continue
                try:
                    answer = json.loads(data)
                except ValueError:
                    answer = None
                with self.lock:
                    if resp.status == 200 and isinstance(answer, dict) and answer.get("accepted") == BATCH:
                        self.acked.append([m["messageId"] for m in body["batch"]])
                    else:
                        self.other["HTTP %d" % resp.status] += 1
                self._stop.wait(PAUSE)
        finally:
            conn.close()

    def acked_ids(self):
        with self.lock:
            return {mid for batch in self.acked for mid in batch}


def read_only(path):
    return sqlite3.connect("file:%s?mode=ro" % urllib.parse.quote(path), uri=True, timeout=10)


def vacuum_into(db_path, target):
    src = read_only(db_path)
    try:
        src.execute("VACUUM INTO ?", (target,))
    finally:
        src.close()


def backup_api(db_path, target):
    src = read_only(db_path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: the whole database in one step, so one read transaction, one snapshot
    finally:
        dst.close()
        src.close()


def backup_script(t):
    """deploy/touchpoint-backup.sh, as the systemd timer runs it (VACUUM INTO with the sqlite3 shell)."""
    directory = t.path("backups", "script")
    os.makedirs(directory, exist_ok=True)

    def run(db_path, target):
        env = dict(os.environ, TOUCHPOINT_SQLITE_PATH=db_path, TOUCHPOINT_BACKUP_DIR=directory,
                   TOUCHPOINT_BACKUP_KEEP="2")
        done = subprocess.run(["sh", BACKUP_SCRIPT], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=120, env=env)
        if done.returncode != 0:
            raise RuntimeError("touchpoint-backup.sh exited %d: %s" % (done.returncode, done.stderr.strip()))
        written = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
        if not os.path.isfile(written):
            raise RuntimeError("touchpoint-backup.sh printed no backup file: %r" % done.stdout)
        os.replace(written, target)  # each attempt under its own name (the script names by the second)
        return target
    return run


def check_pruning(t, source):
    """The script keeps the newest TOUCHPOINT_BACKUP_KEEP backups (2 here) and leaves other files alone."""
    directory = t.path("backups", "script")
    for name in ("touchpoint-20200101T000000Z.db", "touchpoint-20200102T000000Z.db", "notes.txt"):
        with open(os.path.join(directory, name), "w") as f:
            f.write("x")
    env = dict(os.environ, TOUCHPOINT_SQLITE_PATH=source, TOUCHPOINT_BACKUP_DIR=directory, TOUCHPOINT_BACKUP_KEEP="2")
    done = subprocess.run(["sh", BACKUP_SCRIPT], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120, env=env)
    left = sorted(os.listdir(directory))
    newest = os.path.basename(done.stdout.strip())
    t.check(done.returncode == 0 and left == sorted(["notes.txt", "touchpoint-20200102T000000Z.db", newest]),
            "touchpoint-backup.sh keeps the newest 2 backups and nothing else of its own", "%s %s" % (left, done.stderr))


def take_backup(t, ingest, label, method, db_path):
    """Runs method(db_path, target) while the writers go on; returns (target, ids acknowledged before it
    started) or (None, None)."""
    for attempt in range(1, ATTEMPTS + 1):
        target = t.path("backups", "%s-%d.db" % (re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-"), attempt))
        before_ids = ingest.acked_ids()
        before = ingest.count()
        started = time.monotonic()
        try:
            method(db_path, target)
        except (sqlite3.Error, RuntimeError, OSError, subprocess.SubprocessError) as e:
            t.check(False, "%s: the backup succeeds while the server writes" % label, repr(e))
            return None, None
        took = time.monotonic() - started
        during = ingest.count() - before
        log("   %s (attempt %d): %.3f s, %d batches acknowledged before, %d while it ran, %.1f MB"
            % (label, attempt, took, before, during, os.path.getsize(target) / 1e6))
        if during > 0:
            t.check(True, "%s: batches were acknowledged while the backup ran (%d)" % (label, during))
            return target, before_ids
        if attempt == ATTEMPTS:
            t.check(False, "%s: batches were acknowledged while the backup ran (%d attempts)" % (label, ATTEMPTS))
            return target, before_ids
        os.remove(target)
    return None, None


def check_backup(t, label, path, before_ids):
    conn = read_only(path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
        stored = {row[0] for row in conn.execute("SELECT message_id FROM events")}
    finally:
        conn.close()
    t.check(integrity == [("ok",)], "%s: PRAGMA integrity_check is ok" % label, integrity[:5])
    t.check(foreign == [], "%s: PRAGMA foreign_key_check finds nothing" % label, foreign[:5])
    missing = before_ids - stored
    t.check(not missing, "%s: all %d messages acknowledged before the backup started are in it (%d events)"
            % (label, len(before_ids), len(stored)), "%d missing, e.g. %s" % (len(missing), sorted(missing)[:5]))
    return stored


def main(t):
    db = t.sqlite_db("live")
    db_path = db[len("sqlite:"):]
    os.makedirs(t.path("backups"))
    write_key, read_key = set_up(t, db, "backup")
    server = t.serve(db, "--rate-limit", "0")
    ingest = Ingest(server.host, server.port, write_key)
    ingest.start()
    try:
        deadline = time.monotonic() + 60  # ASan and a busy machine are slow to get going
        while ingest.count() < WARM_UP_BATCHES and time.monotonic() < deadline and server.alive():
            time.sleep(0.05)
        t.require(ingest.count() >= WARM_UP_BATCHES, "%d batches acknowledged before the first backup" % WARM_UP_BATCHES,
                  "%d acknowledged, other answers %s" % (ingest.count(), dict(ingest.other)))

        methods = [("VACUUM INTO (python3 sqlite3)", vacuum_into), ("backup API (python3 sqlite3)", backup_api)]
        if shutil.which("sqlite3"):
            methods.append(("deploy/touchpoint-backup.sh", backup_script(t)))
        else:
            t.note("the sqlite3 shell is not installed (scripts/install-deps.sh installs it): "
                   "deploy/touchpoint-backup.sh is not run")
        backups = []
        for label, method in methods:
            if ingest.count() >= MAX_BATCHES - THREADS:
                t.check(False, "%s: the writers are still sending" % label)
                break
            target, before_ids = take_backup(t, ingest, label, method, db_path)
            if target:
                backups.append((label, target, check_backup(t, label, target, before_ids)))
    finally:
        stopped = ingest.stop(30.0)
    t.check(stopped, "the writer threads stop")
    t.check(not ingest.other, "every batch was answered 200 with all messages accepted", dict(ingest.other))
    log("   %d batches acknowledged in all" % ingest.count())
    rc, took = server.stop()
    t.check(rc == 0, "the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))
    t.require(backups, "at least one backup was taken")
    if shutil.which("sqlite3"):
        check_pruning(t, backups[0][1])

    # Restore: the first backup, copied into place, is a working database.
    label, path, stored = backups[0]
    restored = t.sqlite_db("restored")
    shutil.copyfile(path, restored[len("sqlite:"):])
    second = t.serve(restored, "--rate-limit", "0", name="server on the restored backup")
    client = second.client(bearer=read_key)
    r = client.get("/readyz")
    t.check(r.status == 200, "restored: /readyz is 200", r)
    r = client.get("/api/v1/events?limit=200")
    listed = [e.get("message_id") for e in ((r.json() or {}).get("items") or [])]
    t.check(r.status == 200 and len(listed) > 0 and all(mid in stored for mid in listed),
            "restored: GET /api/v1/events lists the backed-up events (read key from before the backup)", r)
    writer = second.client()
    r = writer.post("/v1/batch", batch_body(99, 0), headers={"Authorization": ingest.headers["Authorization"]})
    t.check(r.status == 200 and (r.json() or {}).get("accepted") == BATCH, "restored: a new batch is accepted", r)
    client.close()
    writer.close()
    rc, took = second.stop()
    t.check(rc == 0, "restored: the server exits 0 on SIGTERM", "exit %s after %.1fs" % (rc, took))


if __name__ == "__main__":
    TestRun.main(main, timeout=240)
