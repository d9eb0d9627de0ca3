#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace tp::store {

Result<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  if (url.starts_with("sqlite:")) {
    SqliteOptions options;
    options.path = std::string(url.substr(7));
    if (options.path.starts_with("//")) options.path = options.path.substr(2);
    if (options.path.empty()) return InvalidArgument("sqlite: needs a file path", "db");
    return OpenSqliteStore(options);
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    PostgresOptions options;
    options.conninfo = std::string(url);
    return OpenPostgresStore(options);
  }
  return InvalidArgument("database URL must start with sqlite: or postgresql://", "db");
}

}  // namespace tp::store
