// Reading portable SQL text: where its $n parameters are. String literals, quoted identifiers and
// comments are skipped, and a '$' inside an identifier ("price$1") is not a parameter in either
// dialect. Used by TenantTx (does the statement bind the tenant as $1?) and by the SQLite backend
// (which rewrites $n as ?n).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tp::store {

struct SqlParameter {
  size_t position;  // of the '$'
  size_t length;    // '$' plus its digits
  int number;
};

std::vector<SqlParameter> FindParameters(std::string_view sql);
// Whether the statement binds $number; stops reading at the first occurrence.
bool ReferencesParameter(std::string_view sql, int number);

// The statement with every $n replaced by `marker` followed by n (SQLite: '?').
std::string RewriteParameters(std::string_view sql, char marker);

}  // namespace tp::store
