// The schema, as an ordered list of migrations. A migration is never edited once released: a change is
// a new entry at the end. Every table holding tenant data has `tenant_id` first in its primary key, so
// rows of one tenant sit together and the table can be sharded (or partitioned) by tenant later.
#pragma once

#include <span>
#include <string_view>

namespace tp::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // portable SQL, several statements separated by ';'
  // Then, on one backend only, what has no portable form (full-text indexes: store/text_index.h).
  std::string_view sqlite_sql = {};
  std::string_view postgres_sql = {};
};

std::span<const Migration> AllMigrations();

}  // namespace tp::store
