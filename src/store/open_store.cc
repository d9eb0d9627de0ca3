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

std::string DescribeStoreUrl(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (url.starts_with("sqlite:") || scheme_end == std::string_view::npos) return std::string(url);
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('?'));
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(url.substr(0, scheme_end + 3)) + std::string(rest);
}

}  // namespace tp::store
