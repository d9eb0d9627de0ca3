#!/usr/bin/env python3
"""Checks the module layering of src/ from #include lines.

A module may include only the modules it is allowed to depend on (docs/architecture.md); Boost.Beast
is confined to the HTTP server; SQL client headers to the store backends. Prints one line per
violation and exits 1 when there is any.
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"

# module -> the project modules it may include (besides itself)
ALLOWED = {
    "common": set(),
    "calendars": {"common"},
    "richtext": {"common"},
    "store": {"common"},
    "changes": {"common", "store"},
    "jobs": {"common", "store", "changes"},
    "identity": {"common", "store", "changes"},
    "outbound": {"common", "store", "changes", "jobs", "identity"},
    "profiles": {"common", "store", "changes", "identity"},
    "cases": {"common", "richtext", "store", "changes", "jobs", "identity", "outbound", "profiles", "feedback"},
    "feedback": {"common", "store", "changes", "identity", "profiles"},
    "analytics": {"common", "feedback"},
    "sla": {"common", "calendars", "store", "changes", "jobs", "identity", "profiles", "cases"},
    "assignment": {"common", "store", "changes", "identity", "profiles", "cases"},
    "events": {"common", "store", "changes", "identity", "profiles"},
    "surveys": {"common", "store", "changes", "jobs", "outbound", "identity", "profiles", "cases", "feedback"},
    "ingest": {"common", "store", "changes", "identity", "profiles", "cases", "feedback", "events"},
    "rules": {"common", "store", "changes", "jobs", "outbound", "identity", "profiles", "cases", "feedback",
              "events", "surveys"},
    "timeline": {"common", "store", "changes", "identity", "profiles", "cases", "feedback", "events", "ingest", "surveys"},
    "privacy": {"common", "store", "changes", "identity", "profiles", "cases", "feedback", "events", "ingest",
                "timeline"},
    "transfer": {"common", "store", "changes", "identity", "profiles", "feedback", "events", "ingest", "surveys"},
    # The engine's loader and feed subscriber; its tests make real identify calls, merges and erasures
    # (events, ingest, privacy).
    "analytics_source": {"common", "store", "changes", "identity", "profiles", "feedback", "analytics", "events",
                         "ingest", "privacy"},
    "demo": {"common", "store", "changes", "identity", "profiles", "cases", "feedback", "events", "ingest",
             "surveys", "rules"},
    "http": {"common"},
    "api": {"common", "store", "changes", "jobs", "outbound", "identity", "profiles", "cases", "feedback", "events",
            "ingest", "timeline", "privacy", "transfer", "surveys", "rules", "sla", "assignment", "analytics", "analytics_source",
            "http"},
    "app": {"common", "store", "changes", "jobs", "outbound", "identity", "profiles", "cases", "feedback", "events",
            "ingest", "timeline", "privacy", "transfer", "surveys", "rules", "sla", "assignment", "analytics", "analytics_source",
            "demo", "http", "api"},
}
# Only these files may include Boost (the server, and the tests that talk to it over sockets; Boost.Math's
# Student's t distribution in the feedback statistics).
BOOST_ALLOWED = {"http/server.cc", "http/server_test.cc", "feedback/statistics.cc"}
# Only the store backends (and the store's own test support) talk to the database libraries.
SQL_CLIENT_HEADERS = ("sqlite3.h", "libpq-fe.h")
SQL_CLIENT_ALLOWED_MODULE = "store"

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')


def main() -> int:
    problems = []
    modules = sorted(path.name for path in SRC.iterdir() if path.is_dir())
    for module in modules:
        if module not in ALLOWED:
            problems.append(f"src/{module}: a module the layering check does not know; add it to ALLOWED")
            continue
        for source in sorted((SRC / module).rglob("*")):
            if source.suffix not in (".h", ".cc", ".in"):
                continue
            relative = source.relative_to(SRC).as_posix()
            for line_number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match:
                    continue
                header = match.group(1)
                where = f"src/{relative}:{line_number}"
                top = header.split("/", 1)[0]
                if "/" in header and top in ALLOWED and top != module and top not in ALLOWED[module]:
                    problems.append(f"{where}: module {module} may not include {header}")
                if header.startswith("boost/") and relative not in BOOST_ALLOWED:
                    problems.append(f"{where}: Boost is confined to {sorted(BOOST_ALLOWED)}")
                if header in SQL_CLIENT_HEADERS and module != SQL_CLIENT_ALLOWED_MODULE:
                    problems.append(f"{where}: {header} belongs in the store backends")
    for problem in problems:
        print(problem)
    print(f"layering: {len(problems)} violations in {len(modules)} modules")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
