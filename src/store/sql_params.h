// Parameters for a tenant-scoped statement assembled from named SQL fragments. List endpoints filter
// on any combination of optional fields; one fixed statement with `($2 = '' OR status = $2)` terms
// would stop both backends from using an index for the filters that are set, which at a million rows is
// the difference between a range scan and a table scan. So the statement text grows one fragment per
// filter and this class numbers the parameters, starting at $2 ($1 is always the tenant, store.h).
//
//   SqlParams params;
//   std::string sql(kSelectCases);
//   if (query.status) sql += Sql({kAndStatusIs, params.Bind(*query.status)});
//   TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace tp::store {

class SqlParams {
 public:
  // Adds a parameter and returns its placeholder ("$2", "$3", ...).
  std::string Bind(Value value) {
    values_.push_back(std::move(value));
    // Appended rather than `"$" + std::to_string(…)`, which GCC 12 at -O3 flags with a false -Wrestrict.
    std::string placeholder = "$";
    placeholder += std::to_string(values_.size() + 1);
    return placeholder;
  }
  // Adds one parameter per element and returns "$n, $n+1, ..." for an IN list (non-empty `items`).
  // The list is padded to a power-of-two length by repeating its last element, which IN ignores, so
  // that lists of every length share a few statement texts: each distinct text is prepared (and, on
  // PostgreSQL, planned) per connection.
  std::string BindList(const std::vector<std::string>& items) {
    std::size_t padded = 1;
    while (padded < items.size()) padded *= 2;
    std::string placeholders;
    for (std::size_t i = 0; i < padded; ++i) {
      if (!placeholders.empty()) placeholders += ", ";
      placeholders += Bind(items[std::min(i, items.size() - 1)]);
    }
    return placeholders;
  }
  const std::vector<Value>& values() const { return values_; }

 private:
  std::vector<Value> values_;
};

// Concatenates fragments and placeholders. The elements of a braced list are evaluated left to right,
// unlike the operands of a chain of `+`, so several Bind() calls in one Sql({...}) number their
// parameters in the order they appear in the text.
inline std::string Sql(std::initializer_list<std::string_view> parts) {
  std::string sql;
  for (std::string_view part : parts) sql += part;
  return sql;
}

}  // namespace tp::store
