// The production backend: PostgreSQL 15 through libpq. A fixed pool of connections; each SQL text is
// prepared once per connection and reused (the statement cache is keyed by the SQL text). Writes run
// in READ COMMITTED transactions; a serialization failure or deadlock is retried. Migrate() holds a
// transaction-level advisory lock so that several processes starting at once apply migrations once.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "store/store.h"

namespace tp::store {

struct PostgresOptions {
  std::string conninfo;  // a postgresql:// URL or a libpq keyword string
  int pool_size = 8;
  std::chrono::milliseconds acquire_timeout{5000};
};

Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options);

}  // namespace tp::store
