#include "common/clock.h"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace tp {

Micros NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string FormatTimestamp(Micros micros) {
  std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  int millis = static_cast<int>((micros % 1'000'000) / 1000);
  if (micros < 0 && micros % 1'000'000 != 0) {
    seconds -= 1;
    millis = static_cast<int>(((micros % 1'000'000) + 1'000'000) / 1000);
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return buffer;
}

namespace {
bool ReadDigits(std::string_view text, size_t& pos, int count, int& out) {
  out = 0;
  for (int digit_idx = 0; digit_idx < count; ++digit_idx) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') return false;
    out = out * 10 + (text[pos++] - '0');
  }
  return true;
}
bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}
}  // namespace

std::optional<Micros> ParseTimestamp(std::string_view text) {
  size_t pos = 0;
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, month) ||
      !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, day)) {
    return std::nullopt;
  }
  Micros fraction = 0;
  int offset_minutes = 0;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
    ++pos;
    if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, minute) ||
        !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, second)) {
      return std::nullopt;
    }
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      Micros scale = 100000;
      size_t digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        fraction += (text[pos++] - '0') * scale;
        scale /= 10;
        ++digits;
      }
      if (digits == 0) return std::nullopt;
    }
    if (pos >= text.size()) return std::nullopt;  // a time without a zone is ambiguous
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int sign = text[pos++] == '-' ? -1 : 1;
      int offset_hours, offset_mins;
      if (!ReadDigits(text, pos, 2, offset_hours)) return std::nullopt;
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!ReadDigits(text, pos, 2, offset_mins)) return std::nullopt;
      offset_minutes = sign * (offset_hours * 60 + offset_mins);
    } else {
      return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm utc{};
  utc.tm_year = year - 1900;
  utc.tm_mon = month - 1;
  utc.tm_mday = day;
  utc.tm_hour = hour;
  utc.tm_min = minute;
  utc.tm_sec = second;
  std::time_t seconds = timegm(&utc);
  return (static_cast<Micros>(seconds) - offset_minutes * 60LL) * 1'000'000 + fraction;
}

}  // namespace tp
