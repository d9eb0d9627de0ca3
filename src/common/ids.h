// Identifiers. Every stored object gets a time-ordered id: 48 bits of milliseconds then 80 random bits,
// Crockford base32 (26 characters, like ULID), behind a short type prefix ("usr_", "key_"...). Sorting ids
// sorts by creation time, which is what cursor pagination relies on, and ids from two server processes
// never collide.
#pragma once

#include <string>
#include <string_view>

namespace tp {

std::string NewId(std::string_view prefix);

// True when `id` has the shape NewId(prefix) produces; used to reject hostile path parameters early.
bool LooksLikeId(std::string_view id, std::string_view prefix);

}  // namespace tp
