#!/usr/bin/env python3
"""E2E: RudderStack's Node.js SDK (@rudderstack/rudder-sdk-node, pinned in tests/segment/package-lock.json
and installed by `npm ci` in the Makefile's set-up, never at test time) sends identify, track and page
calls to the real binary, in both of its modes:

  - default: every batch gzipped, labelled Content-Type: application/x-www-form-urlencoded (what made
    touchpoint answer 415 and the SDK drop every event);
  - plain (gzip: false): JSON as application/json.

tests/segment/rudderstack_client_test.mjs sends the calls and checks them through the REST API (profile,
e-mail, revenue, the page's top-level category, the anonymous visitor linked by a later identify).

Runs on SQLite, and on PostgreSQL too when TP_TEST_POSTGRES_URL is set (a fresh database, dropped at
the end).
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import TestRun  # noqa: E402
from segment_client import SEGMENT_DIR, node_with, on_each_backend, run_client  # noqa: E402

SCRIPT = os.path.join(SEGMENT_DIR, "rudderstack_client_test.mjs")


def main(t):
    node = node_with(t, "@rudderstack/rudder-sdk-node")

    def run(server, write_key, read_key, label):
        customers = set()
        for mode, extra in (("gzip", []), ("plain", ["--plain"])):
            summary = run_client(t, node, server, write_key, read_key, "%s, %s" % (label, mode), script=SCRIPT,
                                 extra_args=extra)
            if summary:
                t.check(summary.get("mode") == mode and summary.get("events") == 5,
                        "%s, %s: the SDK ran in its %s mode and all five events arrived" % (label, mode, mode), summary)
                customers.add(summary.get("customer_id"))
        t.check(len(customers) == 2, "%s: the two runs' users are two profiles" % label, customers)

    on_each_backend(t, "rudderstack", run)


if __name__ == "__main__":
    TestRun.main(main, timeout=240)
