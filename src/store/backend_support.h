// What the SQLite and PostgreSQL backends share: the statements that end transactions and check a
// connection, and the hash that lets a statement cache be searched with a string_view.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace tp::store {

inline constexpr std::string_view kCommit = "COMMIT";
inline constexpr std::string_view kRollback = "ROLLBACK";
inline constexpr std::string_view kPing = "SELECT 1";

// Finds a std::string key from a string_view without building a std::string per call.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

}  // namespace tp::store
