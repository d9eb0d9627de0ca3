#!/usr/bin/env python3
"""E2E: no acknowledged write is lost, whether the server is stopped gracefully or killed.

docs/architecture.md: SQLite group commit returns to a caller only after the commit ("an acknowledged
write is durable"); http/server.h: Stop() (SIGTERM) stops accepting, lets in-flight requests finish
and answer, then the process exits.

  1. tenant + admin + an ingest and a full API key with the CLI; serve (--rate-limit 0);
  2. 8 threads POST /api/v1/feedback on keep-alive connections as fast as they can, recording the id
     of every 201; once 50 are acknowledged, SIGTERM; the process must exit 0 within 30 s;
  3. restart on the same database: every acknowledged id must be readable (GET /api/v1/feedback/{id}
     with the full key, same score);
  4. the same burst, but SIGKILL in the middle; restart; zero acknowledged writes may be missing;
  5. a POST whose body is only half sent when SIGTERM arrives is still read, answered 201 with
     Connection: close, and durable; then the process exits 0.
"""
import http.client
import json
import os
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import WriterThreads, TestRun, parse_password, parse_token, log  # noqa: E402

THREADS = 8
EXIT_LIMIT = 30.0
MIN_ACKED = 50  # writes acknowledged before the signal, at least
WAIT_LIMIT = 60.0  # for a condition that a loaded machine (CTest -j, ASan) is slow to reach


def wait_until(condition, timeout=WAIT_LIMIT):
    """Polls `condition` until it holds (True) or `timeout` seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def unread_bytes(server_port, client_port):
    """Bytes the server has not yet read from the connection whose client end is `client_port`, from the
    kernel's table of TCP sockets (None while no such connection exists)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if local_port == server_port and remote_port == client_port:
                    return int(fields[4].split(":")[1], 16)
    return None


class Burst(WriterThreads):
    """THREADS writers on their own keep-alive connections until stop()."""

    def __init__(self, host, port, token):
        super().__init__(THREADS)  # self.acked: (id, score) of every 201
        self.host, self.port, self.token = host, port, token
        self.statuses = Counter()  # non-201 answers
        self.errors = Counter()  # transport errors by kind
        self.refused = 0
        self.bad_bodies = []  # bodies of non-201 answers (a few)
        self.no_id = []  # 201 answers without an id

    def _writer(self, index):
        rng = random.Random(index * 7919 + int(time.time()))
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + self.token}
        conn = None
        while not self._stop.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=20)
                try:
                    conn.connect()
                except ConnectionRefusedError:
                    with self.lock:
                        self.refused += 1
                    conn = None
                    time.sleep(0.02)
                    continue
                except OSError as e:
                    with self.lock:
                        self.errors["connect " + type(e).__name__] += 1
                    conn = None
                    time.sleep(0.02)
                    continue
            score = rng.randint(0, 10)
            payload = json.dumps({"survey": "s", "metric": "nps", "score": score})
            try:
                conn.request("POST", "/api/v1/feedback", body=payload, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.errors[type(e).__name__] += 1
                conn.close()
                conn = None
                continue
            if resp.status == 201:
                try:
                    fid = json.loads(data)["id"]
                except (ValueError, KeyError, TypeError):
                    fid = None
                with self.lock:
                    if isinstance(fid, str) and fid:
                        self.acked.append((fid, score))
                    else:
                        self.no_id.append(data[:200])
            else:
                with self.lock:
                    self.statuses[resp.status] += 1
                    if len(self.bad_bodies) < 5:
                        self.bad_bodies.append(data[:200])
            if resp.will_close:
                conn.close()
                conn = None
        if conn is not None:
            conn.close()

    def report(self):
        return ("%d acknowledged (201), non-201 answers %s, transport errors %s, refused connects %d"
                % (len(self.acked), dict(self.statuses) or "none", dict(self.errors) or "none", self.refused))


def verify(t, server, token, acked, label):
    """Reads every acknowledged id back with `THREADS` readers; returns the list of problems."""
    problems = []
    lock = threading.Lock()
    chunks = [acked[i::THREADS] for i in range(THREADS)]

    def reader(chunk):
        client = server.client(bearer=token)
        for fid, score in chunk:
            try:
                r = client.get("/api/v1/feedback/%s" % fid)
            except (OSError, http.client.HTTPException) as e:
                client.close()
                r = None
                err = e
            with lock:
                if r is None:
                    problems.append("%s: %r" % (fid, err))
                elif r.status != 200:
                    problems.append("%s: %r" % (fid, r))
                else:
                    body = r.json() or {}
                    if body.get("id") != fid or body.get("score") != score or body.get("metric") != "nps" \
                            or body.get("survey") != "s":
                        problems.append("%s: content differs, sent score %d, got %s" % (fid, score, body))
        client.close()

    threads = [threading.Thread(target=reader, args=(c,), daemon=True) for c in chunks]
    started = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    if any(th.is_alive() for th in threads):
        problems.append("reading back did not finish within 120 s")
    log("   read back %d ids in %.1fs (%s)" % (len(acked), time.monotonic() - started, label))
    return problems


def run_burst(t, server, ingest_token, sig, label):
    burst = Burst(server.host, server.port, ingest_token)
    burst.start()
    wait_until(lambda: burst.count() >= MIN_ACKED or not server.alive())
    before = burst.count()
    t.check(before >= MIN_ACKED, "%s: %d writes are acknowledged before the signal" % (label, MIN_ACKED),
            burst.report())
    sent_at = time.monotonic()
    server.signal(sig)
    rc = server.wait(EXIT_LIMIT)
    took = time.monotonic() - sent_at
    if rc is None:
        server.kill()
    stopped = burst.stop(15.0)
    t.check(stopped, "%s: the writer threads stop" % label)
    log("   %s: %s; %d acknowledged before the signal; exit %s after %.2fs"
        % (label, burst.report(), before, rc, took))
    return burst, rc, took


def main(t):
    db = t.sqlite_db("shutdown")
    t.cli_ok("tenant", "add", "--db", db, "--slug", "durable", "--name", "Durable Inc")
    admin = t.cli_ok("user", "add", "--db", db, "--tenant", "durable", "--email", "admin@durable.example",
                     "--name", "Admin", "--role", "admin")
    t.require(parse_password(admin.stdout) is not None, "`user add` prints a password", admin.stdout)
    ingest = parse_token(t.cli_ok("apikey", "create", "--db", db, "--tenant", "durable", "--user",
                                  "admin@durable.example", "--name", "ingest", "--scope", "ingest").stdout)
    full = parse_token(t.cli_ok("apikey", "create", "--db", db, "--tenant", "durable", "--user",
                                "admin@durable.example", "--name", "reader", "--scope", "full").stdout)
    t.require(ingest and full, "`apikey create` prints the ingest and the full token")

    # ---- graceful: SIGTERM in the middle of the burst
    first = t.serve(db, "--rate-limit", "0", name="server-1")
    probe = first.client(bearer=ingest).post("/api/v1/feedback", {"survey": "s", "metric": "nps", "score": 9})
    t.require(probe.status == 201 and (probe.json() or {}).get("id"), "the ingest key can POST /api/v1/feedback (201)",
              probe)
    probe_id = (probe.json()["id"], 9)
    r = first.client(bearer=ingest).get("/api/v1/feedback/%s" % probe_id[0])
    t.check(r.status == 403, "the ingest key cannot read feedback (403)", r)

    burst, rc, took = run_burst(t, first, ingest, signal.SIGTERM, "SIGTERM")
    t.check(rc == 0, "SIGTERM: the server exits 0 within %ds" % EXIT_LIMIT, "exit %s after %.1fs" % (rc, took))
    t.check(not burst.statuses, "SIGTERM: every answered write was 201 (none refused while draining)",
            "%s %s" % (dict(burst.statuses), burst.bad_bodies[:3]))
    t.check(not burst.no_id, "SIGTERM: every 201 carried an id", burst.no_id[:3])
    out, _ = first.output()
    t.check(any("stopped cleanly" in line for line in out + first.stderr_lines), "SIGTERM: the log says it stopped cleanly",
            "\n".join((out + first.stderr_lines)[-5:]))
    graceful = [probe_id] + burst.acked

    second = t.serve(db, "--rate-limit", "0", name="server-2 (after SIGTERM)")
    problems = verify(t, second, full, graceful, "after SIGTERM")
    t.check(not problems, "after SIGTERM: all %d acknowledged writes are readable after a restart" % len(graceful),
            "%d missing or wrong, e.g.\n%s" % (len(problems), "\n".join(problems[:10])))

    # ---- crash: SIGKILL in the middle of the burst
    burst2, rc2, took2 = run_burst(t, second, ingest, signal.SIGKILL, "SIGKILL")
    t.check(rc2 == -signal.SIGKILL, "SIGKILL: the server died of SIGKILL", "exit %s" % rc2)
    t.check(not burst2.statuses, "SIGKILL: every answered write before the kill was 201",
            "%s %s" % (dict(burst2.statuses), burst2.bad_bodies[:3]))
    t.check(not burst2.no_id, "SIGKILL: every 201 carried an id", burst2.no_id[:3])
    crashed = burst2.acked

    third = t.serve(db, "--rate-limit", "0", name="server-3 (after SIGKILL)")
    problems = verify(t, third, full, crashed, "after SIGKILL")
    t.check(not problems, "after SIGKILL: all %d acknowledged writes are readable after a restart" % len(crashed),
            "%d missing or wrong, e.g.\n%s" % (len(problems), "\n".join(problems[:10])))
    problems = verify(t, third, full, graceful, "SIGTERM set again")
    t.check(not problems, "after SIGKILL: the %d writes acknowledged before the SIGTERM are still there" % len(graceful),
            "%d missing, e.g.\n%s" % (len(problems), "\n".join(problems[:10])))
    r = third.client(bearer=full).get("/api/v1/analytics/summary?survey=s")
    nps = ((r.json() or {}).get("nps") or {}).get("count")
    total = len(graceful) + len(crashed)
    t.check(r.status == 200 and isinstance(nps, int) and nps >= total,
            "the NPS count of survey s (%s) is at least the %d acknowledged responses" % (nps, total), r)

    # ---- a request whose body is still arriving when SIGTERM comes is finished and answered
    body = json.dumps({"survey": "s", "metric": "nps", "score": 7}).encode()
    head = ("POST /api/v1/feedback HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
            "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (third.host, third.port, ingest, len(body)))
    sock = socket.create_connection((third.host, third.port), timeout=20)
    sock.sendall(head.encode() + body[:10])
    # The signal must find the request being read, not still in the kernel's queues.
    t.check(wait_until(lambda: unread_bytes(third.port, sock.getsockname()[1]) == 0),
            "the server reads the header and the first part of the body")
    third.signal(signal.SIGTERM)
    t.check(wait_until(lambda: any("received signal" in line for line in sum(third.output(), []))),
            "the server logs the signal")
    t.check(third.alive(), "SIGTERM with a request body half sent: the server waits for it")
    sock.sendall(body[10:])
    data = b""
    try:
        while True:
            part = sock.recv(65536)
            if not part:
                break
            data += part
    except (OSError, socket.timeout) as e:
        data += ("<%r>" % e).encode()
    sock.close()
    status_line = data.split(b"\r\n", 1)[0]
    answer = data.partition(b"\r\n\r\n")[2]
    try:
        late_id = json.loads(answer).get("id")
    except (ValueError, AttributeError):
        late_id = None
    t.check(status_line.startswith(b"HTTP/1.1 201") and late_id,
            "the request in flight during SIGTERM is answered 201", data[:400])
    t.check(b"connection: close" in data.lower().split(b"\r\n\r\n")[0],
            "its answer says Connection: close", data[:400])
    rc3 = third.wait(EXIT_LIMIT)
    t.check(rc3 == 0, "the last server then exits 0", "exit %s" % rc3)
    if late_id:
        fourth = t.serve(db, "--rate-limit", "0", name="server-4")
        problems = verify(t, fourth, full, [(late_id, 7)], "late write")
        t.check(not problems, "the write answered during shutdown is there after a restart", problems)
        rc4, took4 = fourth.stop()
        t.check(rc4 == 0, "server-4 exits 0 on SIGTERM", "exit %s after %.1fs" % (rc4, took4))
    log("   counts: SIGTERM run %d acknowledged (+1 probe), SIGKILL run %d acknowledged; lost: %s"
        % (len(burst.acked), len(crashed), "none" if not t.failures else "see failures"))


if __name__ == "__main__":
    TestRun.main(main, timeout=300)
