// Business calendars for SLA due times: when a team is open (weekly hours in a time zone, minus
// holidays), and how much open time lies between two instants.
//
//   TP_ASSIGN_OR_RETURN(auto calendar, calendars::ParseCalendar(nlohmann::json::parse(R"({
//       "time_zone": "Europe/Prague",
//       "hours": {"mon": [["09:00", "17:00"]], "tue": [["08:00", "12:00"], ["13:00", "17:00"]]},
//       "holidays": ["2026-12-24"]})")));
//   TP_ASSIGN_OR_RETURN(Micros due, calendars::AddBusinessTime(calendar, created_at, 8 * kMicrosPerHour));
//   Micros open_so_far = calendars::BusinessTimeBetween(calendar, created_at, NowMicros());
//
// Meaning. Opening intervals are local wall-clock times of one IANA time zone; an instant is open when
// its local date is not a holiday and its local time lies in an interval of that date's weekday. Open
// time is elapsed (real) time, so an ordinary 09:00-17:00 day is 8 h on DST change days too, while an
// interval that spans a change is shorter or longer (00:00-24:00 is 23 h on a spring-forward day, 25 h
// on a fall-back day). A local time that does not exist (in a spring-forward gap) stands for the
// instant the gap ends; an ambiguous one (repeated after a fall-back) opens at its first and closes at
// its second occurrence.
//
// Time zones come from the system tz database (/usr/share/zoneinfo, Debian's tzdata) through Howard
// Hinnant's date library. Its reader uses the explicit transitions of the zone files, which Debian
// ships up to 2037: later instants keep the zone's last offset (standard time, no DST).
//
// Values are immutable and safe to share between threads; the functions are pure (the tz database is
// loaded once, on the first ParseCalendar).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/clock.h"
#include "common/status.h"

namespace date {
class time_zone;
}  // namespace date

namespace tp::calendars {

// AddBusinessTime looks this far past its start for the open time it needs, then gives up.
inline constexpr int kSearchYears = 5;
// Bounds on what ParseCalendar accepts, so that a calendar stays small.
inline constexpr std::size_t kMaxIntervalsPerDay = 24;
inline constexpr std::size_t kMaxHolidays = 2000;

// One opening interval of a day, in minutes after local midnight: [start_minute, end_minute) with
// 0 <= start_minute < end_minute <= 1440 (1440 is "24:00", the end of the day).
struct OpeningInterval {
  int start_minute = 0;
  int end_minute = 0;
  friend bool operator==(const OpeningInterval&, const OpeningInterval&) = default;
};

// Per weekday, Monday first (index 0 = Monday ... 6 = Sunday): the day's intervals, sorted and not
// overlapping (they may touch: 12:00-13:00 and 13:00-14:00 are one open stretch). Empty: closed.
using WeeklyHours = std::array<std::vector<OpeningInterval>, 7>;

// A validated calendar; made by ParseCalendar or AlwaysOpenCalendar.
class BusinessCalendar {
 public:
  // The IANA name, e.g. "Europe/Prague".
  const std::string& time_zone() const { return time_zone_; }
  const WeeklyHours& weekly_hours() const { return weekly_hours_; }
  // Holidays as days since 1970-01-01 (local dates of the calendar's zone), ascending, no duplicates.
  const std::vector<std::int64_t>& holiday_days() const { return holiday_days_; }
  // Every day 00:00-24:00 and no holidays: every instant is open, whatever the zone.
  bool always_open() const { return always_open_; }

  // Same zone name, hours and holidays.
  friend bool operator==(const BusinessCalendar& a, const BusinessCalendar& b);

 private:
  BusinessCalendar(std::string time_zone, const date::time_zone* zone, WeeklyHours weekly_hours,
                   std::vector<std::int64_t> holiday_days);

  friend Result<BusinessCalendar> ParseCalendar(const nlohmann::json& json);
  friend BusinessCalendar AlwaysOpenCalendar();
  friend Result<Micros> AddBusinessTime(const BusinessCalendar& calendar, Micros start, Micros business_duration);
  friend Micros BusinessTimeBetween(const BusinessCalendar& calendar, Micros from, Micros to);

  std::string time_zone_;
  const date::time_zone* zone_;  // owned by the tz database, which lives as long as the process
  WeeklyHours weekly_hours_;
  std::vector<std::int64_t> holiday_days_;
  Micros weekly_open_time_ = 0;  // the nominal open time of a week without holidays or DST changes
  bool always_open_ = false;
};

// Reads {"time_zone": "Europe/Prague", "hours": {"mon": [["09:00","17:00"]], ...},
// "holidays": ["2026-12-24", ...]}. Day keys are mon tue wed thu fri sat sun (missing: closed); times
// are "HH:MM", an end may be "24:00"; "holidays" is optional. Intervals of a day may come in any order.
// Errors are kInvalidArgument naming the field: "time_zone" (missing, not a string, unknown zone),
// "hours" (missing, not an object, no opening hours on any day), "hours.mon" (not a list of
// [start, end] pairs, a bad time, start not before end, intervals that overlap, more than
// kMaxIntervalsPerDay), "hours.<key>" for an unknown day, "holidays" (not a list, a bad or duplicate
// date, more than kMaxHolidays), the key itself for an unknown top-level field. kInternal when the
// tz database cannot be read at all (tzdata not installed).
Result<BusinessCalendar> ParseCalendar(const nlohmann::json& json);

// The canonical JSON of a calendar, which ParseCalendar reads back to an equal calendar: days without
// hours are left out, intervals and holidays come sorted.
nlohmann::json CalendarJson(const BusinessCalendar& calendar);

// Always open (UTC, every day 00:00-24:00, no holidays): for cases whose team has no calendar, so
// that business time is elapsed time. Needs no tz database.
BusinessCalendar AlwaysOpenCalendar();

// The earliest instant at which `business_duration` of open time has passed since `start`. A start
// outside the hours begins counting at the next opening; a duration that ends exactly at a closing
// time gives the closing time; a zero duration gives `start`.
// Errors: kInvalidArgument ("business_duration") for a negative duration; kFailedPrecondition when the
// open time is not found within kSearchYears after `start` (a calendar whose open days are all
// holidays, or an absurd duration). `start` must lie in years 1900-9999 (kInvalidArgument "start").
Result<Micros> AddBusinessTime(const BusinessCalendar& calendar, Micros start, Micros business_duration);

// The open time in [from, to); 0 when `to` is not after `from`. The inverse of AddBusinessTime:
// BusinessTimeBetween(c, s, *AddBusinessTime(c, s, d)) == d. Instants outside years 1900-9999 are
// clamped into them.
Micros BusinessTimeBetween(const BusinessCalendar& calendar, Micros from, Micros to);

}  // namespace tp::calendars
