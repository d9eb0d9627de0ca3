// Time as microseconds since the Unix epoch (UTC): the one representation stored in every backend,
// so that SQLite and PostgreSQL compare and sort timestamps the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tp {

using Micros = std::int64_t;

inline constexpr Micros kMicrosPerSecond = 1'000'000;
inline constexpr Micros kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr Micros kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr Micros kMicrosPerDay = 24 * kMicrosPerHour;

Micros NowMicros();
// RFC 3339 in UTC with millisecond precision, e.g. "2026-11-25T18:20:00.123Z".
std::string FormatTimestamp(Micros micros);
// Accepts RFC 3339 / ISO 8601 with 'Z' or a ±hh:mm offset and optional fractional seconds.
std::optional<Micros> ParseTimestamp(std::string_view text);

}  // namespace tp
