// Identifiers. Every stored object gets a time-ordered id: 48 bits of milliseconds then 80 random bits,
// Crockford base32 (26 characters, like ULID), behind a short type prefix ("usr_", "key_"...). Sorting ids
// sorts by creation time, which is what cursor pagination relies on, and ids from two server processes
// never collide.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tp {

std::string NewId(std::string_view prefix);

// An id of NewId's shape derived from what it names instead of the clock and chance: the time part is
// `at` (microseconds, truncated to milliseconds; before the epoch counts as 0) and the 80 other bits
// come from SHA-256 of `content`. The same content and time always give the same id (an import that
// runs twice finds its rows), and rows imported in time order get ascending ids, which keeps index
// inserts at the end of the B-tree as NewId's do.
std::string DerivedId(std::string_view prefix, std::int64_t at, std::string_view content);

// True when `id` has the shape NewId(prefix) produces; used to reject hostile path parameters early.
bool LooksLikeId(std::string_view id, std::string_view prefix);

}  // namespace tp
