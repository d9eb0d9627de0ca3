#include "store/sql_text.h"

#include <algorithm>

namespace tp::store {
namespace {

bool IsIdentifierChar(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
         byte == '_' || byte == '$' || byte >= 0x80;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

namespace {

// Calls visit(parameter) for each $n parameter in order until it returns false.
template <typename Visit>
void VisitParameters(std::string_view sql, Visit&& visit) {
  size_t pos = 0;
  const auto skip_to = [&](size_t end, size_t past) {
    pos = end == std::string_view::npos ? sql.size() : end + past;
  };
  while (pos < sql.size()) {
    const char c = sql[pos];
    if (c == '\'' || c == '"') {
      // A doubled quote ('it''s') ends one quoted run and starts the next, which is equivalent.
      skip_to(sql.find(c, pos + 1), 1);
    } else if (sql.substr(pos, 2) == "--") {
      skip_to(sql.find('\n', pos), 0);
    } else if (sql.substr(pos, 2) == "/*") {
      skip_to(sql.find("*/", pos + 2), 2);
    } else if (c == '$' && pos + 1 < sql.size() && IsDigit(sql[pos + 1]) &&
               (pos == 0 || !IsIdentifierChar(sql[pos - 1]))) {
      size_t end = pos + 1;
      int number = 0;
      while (end < sql.size() && IsDigit(sql[end])) number = number * 10 + (sql[end++] - '0');
      if (!visit(SqlParameter{pos, end - pos, number})) return;
      pos = end;
    } else {
      ++pos;
    }
  }
}

}  // namespace

std::vector<SqlParameter> FindParameters(std::string_view sql) {
  std::vector<SqlParameter> parameters;
  VisitParameters(sql, [&](const SqlParameter& parameter) {
    parameters.push_back(parameter);
    return true;
  });
  return parameters;
}

bool ReferencesParameter(std::string_view sql, int number) {
  bool found = false;
  VisitParameters(sql, [&](const SqlParameter& parameter) {
    found = parameter.number == number;
    return !found;
  });
  return found;
}

std::string RewriteParameters(std::string_view sql, char marker) {
  std::string out;
  out.reserve(sql.size());
  size_t copied = 0;
  for (const SqlParameter& parameter : FindParameters(sql)) {
    out.append(sql.substr(copied, parameter.position - copied));
    out += marker;
    out += std::to_string(parameter.number);
    copied = parameter.position + parameter.length;
  }
  out.append(sql.substr(copied));
  return out;
}

}  // namespace tp::store
