// The embedded backend: one SQLite 3 database file in WAL mode.
//
// Writes: one writer thread owns the only read-write connection. Callers queue their write functions;
// the writer takes every queued function (up to `max_group`), runs each inside its own SAVEPOINT of one
// BEGIN IMMEDIATE transaction, and commits them together (group commit) with synchronous=NORMAL; a sync
// thread fdatasyncs the WAL and only then answers the group's writes, so one sync acknowledges many
// writes, and a failing function rolls back only its own savepoint. Write() returns after that sync. Reads use a pool of read-only connections that run in parallel
// with the writer (WAL snapshot isolation).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "store/store.h"

namespace tp::store {

struct SqliteOptions {
  std::string path;  // a file path, or ":memory:"-style paths are refused (readers need a shared file)
  int read_connections = 4;
  std::chrono::milliseconds busy_timeout{5000};
  int max_group = 512;
};

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

// Write functions waiting for the writer of a store OpenSqliteStore opened (0 for any other store); lets
// tests wait until writes have queued up instead of sleeping.
std::size_t QueuedSqliteWrites(Store& store);

}  // namespace tp::store
