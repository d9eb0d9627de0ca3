#include "calendars/calendars.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace tp::calendars {
namespace {

using LocalMicros = date::local_time<std::chrono::microseconds>;
using SysMicros = date::sys_time<std::chrono::microseconds>;

constexpr int kMinutesPerDay = 24 * 60;
constexpr std::int64_t kSearchDays = kSearchYears * 366;
// 1900-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: far inside what the date library handles.
constexpr Micros kMinInstant = -2'208'988'800LL * 1'000'000;
constexpr Micros kMaxInstant = 253'402'300'800LL * 1'000'000 - 1;
constexpr std::array<std::string_view, 7> kDayKeys = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::int64_t FloorDiv(std::int64_t numerator, std::int64_t denominator) {
  std::int64_t quotient = numerator / denominator;
  if (numerator % denominator != 0 && (numerator < 0) != (denominator < 0)) --quotient;
  return quotient;
}

// 0 = Monday ... 6 = Sunday, for a day number counted from 1970-01-01 (a Thursday).
std::size_t WeekdayIndex(std::int64_t day) { return static_cast<std::size_t>(((day % 7) + 7 + 3) % 7); }

Micros ToMicros(date::sys_seconds instant) {
  return std::chrono::duration_cast<std::chrono::microseconds>(instant.time_since_epoch()).count();
}

// Local wall-clock time of one zone (nullptr: UTC) <-> instants, both in microseconds since the epoch.
class ZoneClock {
 public:
  explicit ZoneClock(const date::time_zone* zone) : zone_(zone) {}

  Micros ToLocal(Micros instant) const {
    if (zone_ == nullptr) return instant;
    return zone_->to_local(SysMicros{std::chrono::microseconds{instant}}).time_since_epoch().count();
  }

  // A local time in a gap maps to the instant the gap ends (the date library does that for either
  // choice); an ambiguous one to its first (earliest) or second (latest) occurrence.
  Micros ToInstant(Micros local, date::choose choose) const {
    if (zone_ == nullptr) return local;
    return zone_->to_sys(LocalMicros{std::chrono::microseconds{local}}, choose).time_since_epoch().count();
  }

  // Whether every local time in [local_begin, local_end] has exactly one instant, at one UTC offset:
  // then wall-clock lengths there are elapsed lengths. The margin keeps clear of the neighbouring
  // periods, into which a local time near a transition could also map (offsets change by less than it).
  bool OffsetConstant(Micros local_begin, Micros local_end) const {
    if (zone_ == nullptr) return true;
    constexpr Micros kMargin = 2 * kMicrosPerDay;
    const date::sys_info info =
        zone_->get_info(SysMicros{std::chrono::microseconds{ToInstant(local_begin, date::choose::earliest)}});
    const Micros offset = std::chrono::duration_cast<std::chrono::microseconds>(info.offset).count();
    return local_begin - offset >= ToMicros(info.begin) + kMargin && local_end - offset < ToMicros(info.end) - kMargin;
  }

 private:
  const date::time_zone* zone_;
};

struct Walk {
  Micros counted = 0;
  std::optional<Micros> reached_at;  // when `counted` reached the target
};

// Counts the open time of [from, until), day by local day, and stops at the instant the count reaches
// `target`. `cursor` (the end of what is counted) keeps windows that touch across midnight, or overlap
// in a repeated fall-back hour, from being counted twice. A week without holidays whose offset is
// constant is skipped in one step, so long durations cost a few steps per week.
Walk WalkOpenTime(const ZoneClock& clock, const WeeklyHours& weekly_hours,
                  const std::vector<std::int64_t>& holiday_days, Micros weekly_open_time, Micros from, Micros until,
                  Micros target) {
  Walk walk;
  Micros cursor = from;
  // From the day before: with a transition at midnight, that day's last window can reach past it.
  const std::int64_t first_day = FloorDiv(clock.ToLocal(from), kMicrosPerDay) - 1;
  const std::int64_t last_day = FloorDiv(clock.ToLocal(until), kMicrosPerDay) + 1;
  auto holiday = std::lower_bound(holiday_days.begin(), holiday_days.end(), first_day);
  for (std::int64_t day = first_day; day <= last_day; ++day) {
    while (holiday != holiday_days.end() && *holiday < day) ++holiday;
    const Micros day_local = day * kMicrosPerDay;
    const bool week_without_holidays = holiday == holiday_days.end() || *holiday >= day + 7;
    if (week_without_holidays && target - walk.counted > weekly_open_time &&
        clock.OffsetConstant(day_local, day_local + 7 * kMicrosPerDay)) {
      const Micros week_start = clock.ToInstant(day_local, date::choose::earliest);
      const Micros week_end = week_start + 7 * kMicrosPerDay;
      if (cursor <= week_start && week_end <= until) {
        walk.counted += weekly_open_time;
        cursor = week_end;
        day += 6;
        continue;
      }
    }
    if (holiday != holiday_days.end() && *holiday == day) continue;
    for (const OpeningInterval& interval : weekly_hours[WeekdayIndex(day)]) {
      const Micros open = std::max(
          cursor, clock.ToInstant(day_local + interval.start_minute * kMicrosPerMinute, date::choose::earliest));
      const Micros close =
          std::min(until, clock.ToInstant(day_local + interval.end_minute * kMicrosPerMinute, date::choose::latest));
      if (close <= open) continue;
      const Micros needed = target - walk.counted;
      if (close - open >= needed) {
        walk.counted = target;
        walk.reached_at = open + needed;
        return walk;
      }
      walk.counted += close - open;
      cursor = close;
    }
  }
  return walk;
}

bool IsDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view digits) {
  int value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return value;
}

void AppendPadded(std::string& out, int value, int width) {
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) out.append(static_cast<std::size_t>(width) - digits.size(), '0');
  out += digits;
}

// "HH:MM", 00:00 to 24:00, as minutes after midnight.
std::optional<int> ParseTime(std::string_view text) {
  if (text.size() != 5 || text[2] != ':' || !IsDigits(text.substr(0, 2)) || !IsDigits(text.substr(3, 2))) {
    return std::nullopt;
  }
  const int hours = ToInt(text.substr(0, 2));
  const int minutes = ToInt(text.substr(3, 2));
  if (minutes > 59 || hours > 24 || (hours == 24 && minutes != 0)) return std::nullopt;
  return hours * 60 + minutes;
}

std::string FormatTime(int minute_of_day) {
  std::string text;
  AppendPadded(text, minute_of_day / 60, 2);
  text += ':';
  AppendPadded(text, minute_of_day % 60, 2);
  return text;
}

// "YYYY-MM-DD" as days since 1970-01-01.
std::optional<std::int64_t> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !IsDigits(text.substr(0, 4)) ||
      !IsDigits(text.substr(5, 2)) || !IsDigits(text.substr(8, 2))) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{ToInt(text.substr(0, 4))},
                                 date::month{static_cast<unsigned>(ToInt(text.substr(5, 2)))},
                                 date::day{static_cast<unsigned>(ToInt(text.substr(8, 2)))}};
  if (!ymd.ok()) return std::nullopt;
  return date::sys_days{ymd}.time_since_epoch().count();
}

std::string FormatDate(std::int64_t day) {
  const date::year_month_day ymd{date::sys_days{date::days{day}}};
  std::string text;
  AppendPadded(text, static_cast<int>(ymd.year()), 4);
  text += '-';
  AppendPadded(text, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  text += '-';
  AppendPadded(text, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  return text;
}

Result<const date::time_zone*> LocateZone(const std::string& name) {
  try {
    (void)date::get_tzdb();
  } catch (const std::exception& error) {
    return Internal(std::string("the time zone database cannot be read: ") + error.what());
  }
  try {
    const date::time_zone* zone = date::locate_zone(name);
    // Zone files are read on first use: read it now, so that a broken one is refused here rather
    // than throwing from AddBusinessTime.
    (void)zone->get_info(date::sys_seconds{});
    return zone;
  } catch (const std::exception&) {
    return InvalidArgument("unknown time zone '" + name + "' (use an IANA name such as Europe/Prague)", "time_zone");
  }
}

Result<std::vector<OpeningInterval>> ParseDayHours(const nlohmann::json& json, const std::string& field) {
  const std::string pair_shape = " must be a list of [\"HH:MM\", \"HH:MM\"] pairs";
  if (!json.is_array()) return InvalidArgument(field + pair_shape, field);
  if (json.size() > kMaxIntervalsPerDay) {
    return InvalidArgument(field + " has more than " + std::to_string(kMaxIntervalsPerDay) + " intervals", field);
  }
  std::vector<OpeningInterval> intervals;
  for (const nlohmann::json& pair : json) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      return InvalidArgument(field + pair_shape, field);
    }
    const auto& start_text = pair[0].get_ref<const std::string&>();
    const auto& end_text = pair[1].get_ref<const std::string&>();
    const std::optional<int> start = ParseTime(start_text);
    const std::optional<int> end = ParseTime(end_text);
    if (!start || !end) {
      return InvalidArgument(field + ": '" + (start ? end_text : start_text) + "' is not a time HH:MM (00:00-24:00)",
                             field);
    }
    if (*start >= *end) {
      return InvalidArgument(field + ": " + start_text + "-" + end_text + " does not start before it ends", field);
    }
    intervals.push_back({*start, *end});
  }
  std::sort(intervals.begin(), intervals.end(),
            [](const OpeningInterval& a, const OpeningInterval& b) { return a.start_minute < b.start_minute; });
  for (std::size_t interval_idx = 1; interval_idx < intervals.size(); ++interval_idx) {
    const OpeningInterval& previous = intervals[interval_idx - 1];
    const OpeningInterval& current = intervals[interval_idx];
    if (current.start_minute < previous.end_minute) {
      return InvalidArgument(field + ": " + FormatTime(previous.start_minute) + "-" + FormatTime(previous.end_minute) +
                                 " overlaps " + FormatTime(current.start_minute) + "-" + FormatTime(current.end_minute),
                             field);
    }
  }
  return intervals;
}

Result<WeeklyHours> ParseWeeklyHours(const nlohmann::json& json) {
  if (!json.is_object()) return InvalidArgument("hours must be an object of days (mon ... sun)", "hours");
  WeeklyHours weekly_hours;
  for (const auto& [key, value] : json.items()) {
    const auto day_key = std::find(kDayKeys.begin(), kDayKeys.end(), key);
    if (day_key == kDayKeys.end()) {
      return InvalidArgument("unknown day '" + key + "' (use mon, tue, wed, thu, fri, sat, sun)", "hours." + key);
    }
    TP_ASSIGN_OR_RETURN(weekly_hours[static_cast<std::size_t>(day_key - kDayKeys.begin())],
                        ParseDayHours(value, "hours." + key));
  }
  const bool has_opening = std::any_of(weekly_hours.begin(), weekly_hours.end(),
                                       [](const std::vector<OpeningInterval>& day) { return !day.empty(); });
  if (!has_opening) return InvalidArgument("a calendar needs opening hours on at least one day", "hours");
  return weekly_hours;
}

Result<std::vector<std::int64_t>> ParseHolidays(const nlohmann::json& json) {
  if (!json.is_array()) return InvalidArgument("holidays must be a list of dates YYYY-MM-DD", "holidays");
  if (json.size() > kMaxHolidays) {
    return InvalidArgument("more than " + std::to_string(kMaxHolidays) + " holidays", "holidays");
  }
  std::vector<std::int64_t> days;
  for (const nlohmann::json& entry : json) {
    const std::optional<std::int64_t> day =
        entry.is_string() ? ParseDate(entry.get_ref<const std::string&>()) : std::nullopt;
    if (!day) return InvalidArgument("holidays: " + entry.dump() + " is not a date YYYY-MM-DD", "holidays");
    days.push_back(*day);
  }
  std::sort(days.begin(), days.end());
  if (const auto duplicate = std::adjacent_find(days.begin(), days.end()); duplicate != days.end()) {
    return InvalidArgument("holidays: " + FormatDate(*duplicate) + " is listed twice", "holidays");
  }
  return days;
}

}  // namespace

BusinessCalendar::BusinessCalendar(std::string time_zone, const date::time_zone* zone, WeeklyHours weekly_hours,
                                   std::vector<std::int64_t> holiday_days)
    : time_zone_(std::move(time_zone)),
      zone_(zone),
      weekly_hours_(std::move(weekly_hours)),
      holiday_days_(std::move(holiday_days)) {
  bool every_day_whole = true;
  for (const std::vector<OpeningInterval>& day : weekly_hours_) {
    for (const OpeningInterval& interval : day) {
      weekly_open_time_ += (interval.end_minute - interval.start_minute) * kMicrosPerMinute;
    }
    every_day_whole =
        every_day_whole && day.size() == 1 && day[0].start_minute == 0 && day[0].end_minute == kMinutesPerDay;
  }
  always_open_ = every_day_whole && holiday_days_.empty();
}

bool operator==(const BusinessCalendar& a, const BusinessCalendar& b) {
  return a.time_zone_ == b.time_zone_ && a.weekly_hours_ == b.weekly_hours_ && a.holiday_days_ == b.holiday_days_;
}

Result<BusinessCalendar> ParseCalendar(const nlohmann::json& json) {
  if (!json.is_object()) return InvalidArgument("a calendar must be a JSON object");
  for (const auto& [key, value] : json.items()) {
    if (key != "time_zone" && key != "hours" && key != "holidays") {
      return InvalidArgument("unknown field '" + key + "'", key);
    }
  }
  const auto time_zone = json.find("time_zone");
  if (time_zone == json.end() || !time_zone->is_string()) {
    return InvalidArgument("time_zone must be an IANA time zone name such as Europe/Prague", "time_zone");
  }
  const auto& zone_name = time_zone->get_ref<const std::string&>();
  TP_ASSIGN_OR_RETURN(const date::time_zone* zone, LocateZone(zone_name));
  const auto hours = json.find("hours");
  if (hours == json.end()) return InvalidArgument("hours is required", "hours");
  TP_ASSIGN_OR_RETURN(WeeklyHours weekly_hours, ParseWeeklyHours(*hours));
  std::vector<std::int64_t> holiday_days;
  if (const auto holidays = json.find("holidays"); holidays != json.end()) {
    TP_ASSIGN_OR_RETURN(holiday_days, ParseHolidays(*holidays));
  }
  return BusinessCalendar(zone_name, zone, std::move(weekly_hours), std::move(holiday_days));
}

nlohmann::json CalendarJson(const BusinessCalendar& calendar) {
  nlohmann::json hours = nlohmann::json::object();
  for (std::size_t day_idx = 0; day_idx < kDayKeys.size(); ++day_idx) {
    const std::vector<OpeningInterval>& intervals = calendar.weekly_hours()[day_idx];
    if (intervals.empty()) continue;
    nlohmann::json pairs = nlohmann::json::array();
    for (const OpeningInterval& interval : intervals) {
      pairs.push_back(nlohmann::json::array({FormatTime(interval.start_minute), FormatTime(interval.end_minute)}));
    }
    hours[std::string(kDayKeys[day_idx])] = std::move(pairs);
  }
  nlohmann::json holidays = nlohmann::json::array();
  for (const std::int64_t day : calendar.holiday_days()) holidays.push_back(FormatDate(day));
  return {{"time_zone", calendar.time_zone()}, {"hours", std::move(hours)}, {"holidays", std::move(holidays)}};
}

BusinessCalendar AlwaysOpenCalendar() {
  WeeklyHours weekly_hours;
  for (std::vector<OpeningInterval>& day : weekly_hours) day.push_back({0, kMinutesPerDay});
  return BusinessCalendar("UTC", nullptr, std::move(weekly_hours), {});
}

Result<Micros> AddBusinessTime(const BusinessCalendar& calendar, Micros start, Micros business_duration) {
  if (business_duration < 0) {
    return InvalidArgument("business_duration must not be negative", "business_duration");
  }
  if (start < kMinInstant || start > kMaxInstant) {
    return InvalidArgument("start must lie in the years 1900-9999", "start");
  }
  if (business_duration == 0) return start;
  const Micros until = start + kSearchDays * kMicrosPerDay;
  if (calendar.always_open_ && business_duration <= until - start) return start + business_duration;
  if (!calendar.always_open_) {
    const Walk walk = WalkOpenTime(ZoneClock(calendar.zone_), calendar.weekly_hours_, calendar.holiday_days_,
                                   calendar.weekly_open_time_, start, until, business_duration);
    if (walk.reached_at) return *walk.reached_at;
  }
  return FailedPrecondition("the calendar does not have that much open time within " + std::to_string(kSearchYears) +
                            " years (are all its open days holidays?)");
}

Micros BusinessTimeBetween(const BusinessCalendar& calendar, Micros from, Micros to) {
  from = std::clamp(from, kMinInstant, kMaxInstant);
  to = std::clamp(to, kMinInstant, kMaxInstant);
  if (to <= from) return 0;
  if (calendar.always_open_) return to - from;
  return WalkOpenTime(ZoneClock(calendar.zone_), calendar.weekly_hours_, calendar.holiday_days_,
                      calendar.weekly_open_time_, from, to, std::numeric_limits<Micros>::max())
      .counted;
}

}  // namespace tp::calendars
