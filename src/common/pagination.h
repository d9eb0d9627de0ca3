// Cursor pagination shared by every list endpoint. Lists are ordered by id (ids are time-ordered, see
// ids.h); a cursor is the opaque, base64url-encoded id of the last item of the previous page, so a page
// stays stable while rows are inserted concurrently. Lists in time order use "<micros>:<id>" as the
// position instead (events, the timeline).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tp {

struct PageRequest {
  static constexpr int kDefaultLimit = 50;
  static constexpr int kMaxLimit = 200;

  std::string after_id;  // empty: the first page
  int limit = kDefaultLimit;

  // Validates `limit` (1..kMaxLimit) and decodes `cursor`; errors name the field.
  static Result<PageRequest> Parse(std::optional<std::string_view> cursor, std::optional<std::string_view> limit);
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;  // empty on the last page
};

std::string EncodeCursor(std::string_view last_id);

// Fetch limit+1 rows and call this: it trims the extra row and sets next_cursor when there was one.
template <typename T, typename IdOf>
Page<T> MakePage(std::vector<T> items, int limit, IdOf id_of) {
  Page<T> page;
  if (static_cast<int>(items.size()) > limit) {
    items.resize(static_cast<size_t>(limit));
    page.next_cursor = EncodeCursor(id_of(items.back()));
  }
  page.items = std::move(items);
  return page;
}

}  // namespace tp
