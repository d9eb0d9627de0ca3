#include "calendars/calendars.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace tp::calendars {
namespace {

using nlohmann::json;

Micros At(const std::string& rfc3339) {
  const std::optional<Micros> instant = ParseTimestamp(rfc3339);
  if (!instant) throw std::invalid_argument("bad timestamp in test: " + rfc3339);
  return *instant;
}

BusinessCalendar Calendar(const std::string& json_text) {
  Result<BusinessCalendar> calendar = ParseCalendar(json::parse(json_text));
  if (!calendar.ok()) throw std::runtime_error(calendar.status().ToString());
  return std::move(calendar).value();
}

Micros Due(const BusinessCalendar& calendar, Micros start, Micros business_duration) {
  const Result<Micros> due = AddBusinessTime(calendar, start, business_duration);
  if (!due.ok()) throw std::runtime_error(due.status().ToString());
  return *due;
}

std::string WorkWeek(const std::string& zone, const std::string& holidays = "[]") {
  return R"({"time_zone":")" + zone + R"(","hours":{"mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],
      "wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],"fri":[["09:00","17:00"]]},"holidays":)" +
         holidays + "}";
}

const std::string kEveryDayNineToFive = R"({"time_zone":"Europe/Prague","hours":{
    "mon":[["09:00","17:00"]],"tue":[["09:00","17:00"]],"wed":[["09:00","17:00"]],"thu":[["09:00","17:00"]],
    "fri":[["09:00","17:00"]],"sat":[["09:00","17:00"]],"sun":[["09:00","17:00"]]}})";

// 2026-03-02 is a Monday; Prague is at +01:00 until 2026-03-29 and at +02:00 until 2026-10-25.

TEST(CalendarTest, CountsWithinADay) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T10:00:00+01:00"), 3 * kMicrosPerHour), At("2026-03-02T13:00:00+01:00"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T10:00:00.5+01:00"), 90 * kMicrosPerMinute + 7),
            At("2026-03-02T11:30:00.500007+01:00"));
}

TEST(CalendarTest, CarriesOverANight) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T15:00:00+01:00"), 4 * kMicrosPerHour), At("2026-03-03T11:00:00+01:00"));
}

TEST(CalendarTest, SkipsAWeekend) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(Due(calendar, At("2026-03-06T15:00:00+01:00"), 4 * kMicrosPerHour), At("2026-03-09T11:00:00+01:00"));
}

TEST(CalendarTest, SkipsAHoliday) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague", R"(["2026-03-03"])"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T15:00:00+01:00"), 4 * kMicrosPerHour), At("2026-03-04T11:00:00+01:00"));
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-02T00:00:00+01:00"), At("2026-03-05T00:00:00+01:00")),
            16 * kMicrosPerHour);
}

TEST(CalendarTest, ALunchBreakIsNotCounted) {
  const BusinessCalendar calendar =
      Calendar(R"({"time_zone":"Europe/Prague","hours":{"mon":[["13:00","17:00"],["08:00","12:00"]]}})");
  EXPECT_EQ(Due(calendar, At("2026-03-02T11:00:00+01:00"), 2 * kMicrosPerHour), At("2026-03-02T14:00:00+01:00"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T12:30:00+01:00"), 1 * kMicrosPerHour), At("2026-03-02T14:00:00+01:00"));
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-02T07:00:00+01:00"), At("2026-03-02T18:00:00+01:00")),
            8 * kMicrosPerHour);
}

TEST(CalendarTest, StartingOutsideHoursCountsFromTheNextOpening) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T06:00:00+01:00"), kMicrosPerHour), At("2026-03-02T10:00:00+01:00"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T20:00:00+01:00"), 30 * kMicrosPerMinute), At("2026-03-03T09:30:00+01:00"));
  EXPECT_EQ(Due(calendar, At("2026-03-07T12:00:00+01:00"), kMicrosPerHour), At("2026-03-09T10:00:00+01:00"));
}

TEST(CalendarTest, AnEndAtClosingTimeIsTheClosingTimeNotTheNextOpening) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T09:00:00+01:00"), 8 * kMicrosPerHour), At("2026-03-02T17:00:00+01:00"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T09:00:00+01:00"), 8 * kMicrosPerHour + 1),
            At("2026-03-03T09:00:00.000001+01:00"));
}

TEST(CalendarTest, AZeroDurationIsTheStartEvenWhenClosed) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(Due(calendar, At("2026-03-07T12:00:00+01:00"), 0), At("2026-03-07T12:00:00+01:00"));
}

TEST(CalendarTest, AnIntervalEndingAtMidnightRunsIntoTheNextDaysFirst) {
  const BusinessCalendar calendar =
      Calendar(R"({"time_zone":"Europe/Prague","hours":{"mon":[["22:00","24:00"]],"tue":[["00:00","02:00"]]}})");
  EXPECT_EQ(Due(calendar, At("2026-03-02T23:00:00+01:00"), 2 * kMicrosPerHour), At("2026-03-03T01:00:00+01:00"));
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-02T00:00:00+01:00"), At("2026-03-04T00:00:00+01:00")),
            4 * kMicrosPerHour);
}

TEST(CalendarTest, TwoHundredBusinessHoursAreFiveWorkWeeksAcrossTheSpringChange) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(Due(calendar, At("2026-03-02T09:00:00+01:00"), 200 * kMicrosPerHour), At("2026-04-03T17:00:00+02:00"));
  const BusinessCalendar with_holiday = Calendar(WorkWeek("Europe/Prague", R"(["2026-03-18"])"));
  EXPECT_EQ(Due(with_holiday, At("2026-03-02T09:00:00+01:00"), 200 * kMicrosPerHour), At("2026-04-06T17:00:00+02:00"));
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-01-01T00:00:00+01:00"), At("2027-01-01T00:00:00+01:00")),
            261 * 8 * kMicrosPerHour);
}

TEST(CalendarTest, ANineToFiveDayIsEightHoursOnTheSpringForwardDay) {
  const BusinessCalendar calendar = Calendar(kEveryDayNineToFive);
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-29T00:00:00+01:00"), At("2026-03-30T00:00:00+02:00")),
            8 * kMicrosPerHour);
  EXPECT_EQ(Due(calendar, At("2026-03-29T09:00:00+02:00"), 8 * kMicrosPerHour), At("2026-03-29T15:00:00Z"));
  // Saturday 16:00 CET, one hour that day, one on Sunday from 09:00 CEST.
  EXPECT_EQ(Due(calendar, At("2026-03-28T16:00:00+01:00"), 2 * kMicrosPerHour), At("2026-03-29T08:00:00Z"));
}

TEST(CalendarTest, ANineToFiveDayIsEightHoursOnTheFallBackDay) {
  const BusinessCalendar calendar = Calendar(kEveryDayNineToFive);
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-10-25T00:00:00+02:00"), At("2026-10-26T00:00:00+01:00")),
            8 * kMicrosPerHour);
  EXPECT_EQ(Due(calendar, At("2026-10-25T09:00:00+01:00"), 8 * kMicrosPerHour), At("2026-10-25T16:00:00Z"));
  EXPECT_EQ(Due(calendar, At("2026-10-24T16:00:00+02:00"), 2 * kMicrosPerHour), At("2026-10-25T09:00:00Z"));
}

TEST(CalendarTest, AWholeDayIsElapsedTimeOnDstChangeDays) {
  const BusinessCalendar sundays = Calendar(R"({"time_zone":"Europe/Prague","hours":{"sun":[["00:00","24:00"]]}})");
  EXPECT_EQ(BusinessTimeBetween(sundays, At("2026-03-28T00:00:00Z"), At("2026-03-31T00:00:00Z")), 23 * kMicrosPerHour);
  EXPECT_EQ(BusinessTimeBetween(sundays, At("2026-10-24T00:00:00Z"), At("2026-10-27T00:00:00Z")), 25 * kMicrosPerHour);
  EXPECT_EQ(Due(sundays, At("2026-03-28T12:00:00Z"), 23 * kMicrosPerHour), At("2026-03-29T22:00:00Z"));
  EXPECT_EQ(Due(sundays, At("2026-10-24T12:00:00Z"), 25 * kMicrosPerHour), At("2026-10-25T23:00:00Z"));
}

TEST(CalendarTest, HoursInsideTheSkippedHourAreNeverOpenAndRepeatedHoursCountTwice) {
  const BusinessCalendar night =
      Calendar(R"({"time_zone":"Europe/Prague","hours":{"sun":[["02:00","03:00"]],"mon":[["09:00","17:00"]]}})");
  EXPECT_EQ(BusinessTimeBetween(night, At("2026-03-28T00:00:00Z"), At("2026-03-30T00:00:00Z")), 0);
  // 02:00 CEST (00:00Z) to 03:00 CET (02:00Z).
  EXPECT_EQ(BusinessTimeBetween(night, At("2026-10-24T00:00:00Z"), At("2026-10-26T00:00:00Z")), 2 * kMicrosPerHour);
  EXPECT_EQ(Due(night, At("2026-10-24T00:00:00Z"), 90 * kMicrosPerMinute), At("2026-10-25T01:30:00Z"));
  // Ending in the repeated hour closes at its second 02:30 (01:30Z); starting there opens at the first (00:30Z).
  const BusinessCalendar until_half_past_two =
      Calendar(R"({"time_zone":"Europe/Prague","hours":{"sun":[["00:00","02:30"]]}})");
  EXPECT_EQ(BusinessTimeBetween(until_half_past_two, At("2026-10-24T00:00:00Z"), At("2026-10-26T00:00:00Z")),
            210 * kMicrosPerMinute);
  const BusinessCalendar from_half_past_two =
      Calendar(R"({"time_zone":"Europe/Prague","hours":{"sun":[["02:30","05:00"]]}})");
  EXPECT_EQ(Due(from_half_past_two, At("2026-10-24T00:00:00Z"), 1), At("2026-10-25T00:30:00.000001Z"));
  EXPECT_EQ(BusinessTimeBetween(from_half_past_two, At("2026-10-24T00:00:00Z"), At("2026-10-26T00:00:00Z")),
            210 * kMicrosPerMinute);
}

TEST(CalendarTest, TheSameHoursInNewYorkAndPragueGiveDifferentDueTimes) {
  const BusinessCalendar prague = Calendar(WorkWeek("Europe/Prague"));
  const BusinessCalendar new_york = Calendar(WorkWeek("America/New_York"));
  EXPECT_EQ(Due(prague, At("2026-03-02T12:00:00Z"), 2 * kMicrosPerHour), At("2026-03-02T14:00:00Z"));
  EXPECT_EQ(Due(new_york, At("2026-03-02T12:00:00Z"), 2 * kMicrosPerHour), At("2026-03-02T16:00:00Z"));
  // New York is on summer time from 2026-03-08, Prague only from 2026-03-29.
  EXPECT_EQ(Due(prague, At("2026-03-09T00:00:00Z"), kMicrosPerHour), At("2026-03-09T09:00:00Z"));
  EXPECT_EQ(Due(new_york, At("2026-03-09T00:00:00Z"), kMicrosPerHour), At("2026-03-09T14:00:00Z"));
}

TEST(CalendarTest, BusinessTimeBetweenCountsOnlyOpenTime) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-06T16:00:00+01:00"), At("2026-03-09T10:00:00+01:00")),
            2 * kMicrosPerHour);
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-07T10:00:00+01:00"), At("2026-03-08T10:00:00+01:00")), 0);
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-02T12:00:00+01:00"), At("2026-03-02T11:00:00+01:00")), 0);
}

TEST(CalendarTest, AlwaysOpenCalendarCountsElapsedTime) {
  const BusinessCalendar always = AlwaysOpenCalendar();
  EXPECT_TRUE(always.always_open());
  EXPECT_EQ(always.time_zone(), "UTC");
  EXPECT_EQ(Due(always, At("2026-03-07T12:00:00Z"), 8 * kMicrosPerHour), At("2026-03-07T20:00:00Z"));
  EXPECT_EQ(BusinessTimeBetween(always, At("2026-03-28T00:00:00Z"), At("2026-03-31T00:00:00Z")), 72 * kMicrosPerHour);
  const json expected = json::parse(R"({"time_zone":"UTC","holidays":[],"hours":{
      "mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],"thu":[["00:00","24:00"]],
      "fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],"sun":[["00:00","24:00"]]}})");
  EXPECT_EQ(CalendarJson(always), expected);
  const BusinessCalendar parsed = Calendar(CalendarJson(always).dump());
  EXPECT_EQ(parsed, always);
  EXPECT_TRUE(parsed.always_open());
}

TEST(CalendarTest, EveryDayInAZoneWithAHolidayCountsElapsedTimeAroundDst) {
  const BusinessCalendar calendar = Calendar(R"({"time_zone":"Europe/Prague","hours":{
      "mon":[["00:00","24:00"]],"tue":[["00:00","24:00"]],"wed":[["00:00","24:00"]],"thu":[["00:00","24:00"]],
      "fri":[["00:00","24:00"]],"sat":[["00:00","24:00"]],"sun":[["00:00","24:00"]]},"holidays":["2026-12-24"]})");
  EXPECT_FALSE(calendar.always_open());
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-03-23T00:00:00+01:00"), At("2026-03-30T00:00:00+02:00")),
            (7 * 24 - 1) * kMicrosPerHour);
  EXPECT_EQ(Due(calendar, At("2026-12-23T12:00:00+01:00"), 24 * kMicrosPerHour), At("2026-12-25T12:00:00+01:00"));
}

TEST(CalendarTest, GivesUpWhenEveryOpenDayIsAHolidayForYears) {
  json holidays = json::array();
  for (Micros monday = At("2026-01-05T12:00:00Z"); monday < At("2032-01-01T00:00:00Z");
       monday += 7 * 24 * kMicrosPerHour) {
    holidays.push_back(FormatTimestamp(monday).substr(0, 10));
  }
  const BusinessCalendar calendar = Calendar(json{
      {"time_zone", "Europe/Prague"},
      {"hours", {{"mon", json::array({json::array({"09:00", "17:00"})})}}},
      {"holidays", holidays}}.dump());
  const Result<Micros> due = AddBusinessTime(calendar, At("2026-01-01T00:00:00Z"), kMicrosPerMinute);
  EXPECT_EQ(due.status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(BusinessTimeBetween(calendar, At("2026-01-01T00:00:00Z"), At("2031-12-31T00:00:00Z")), 0);

  const BusinessCalendar work_week = Calendar(WorkWeek("Europe/Prague"));
  EXPECT_EQ(AddBusinessTime(work_week, At("2026-01-01T00:00:00Z"), 20'000 * kMicrosPerHour).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(AddBusinessTime(AlwaysOpenCalendar(), At("2026-01-01T00:00:00Z"), 50'000 * kMicrosPerHour).status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST(CalendarTest, RefusesANegativeDurationAndAnUnsupportedStart) {
  const BusinessCalendar calendar = Calendar(WorkWeek("Europe/Prague"));
  const Result<Micros> negative = AddBusinessTime(calendar, At("2026-03-02T09:00:00Z"), -1);
  EXPECT_EQ(negative.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(negative.status().field(), "business_duration");
  const Result<Micros> too_late = AddBusinessTime(calendar, std::numeric_limits<Micros>::max(), kMicrosPerHour);
  EXPECT_EQ(too_late.status().field(), "start");
}

// For many random starts and durations, on calendars with split days, holidays, whole days over DST
// changes and adjacent intervals across midnight: what AddBusinessTime adds, BusinessTimeBetween counts.
TEST(CalendarTest, BusinessTimeBetweenInvertsAddBusinessTime) {
  const std::vector<BusinessCalendar> calendars = {
      Calendar(WorkWeek("Europe/Prague", R"(["2026-12-24","2026-12-25","2027-01-01","2027-04-05"])")),
      Calendar(R"({"time_zone":"Europe/Prague","hours":{"mon":[["08:00","12:00"],["13:00","17:00"]],
          "wed":[["22:00","24:00"]],"thu":[["00:00","06:00"]],"sat":[["01:00","04:00"]],"sun":[["00:00","24:00"]]},
          "holidays":["2026-10-25","2027-03-31"]})"),
      Calendar(R"({"time_zone":"America/New_York","hours":{"sun":[["00:00","03:30"]],"tue":[["09:00","17:30"]],
          "fri":[["06:15","06:45"],["10:00","24:00"]]}})"),
      Calendar(R"({"time_zone":"Australia/Lord_Howe","hours":{"sun":[["01:00","03:00"]],"mon":[["09:00","17:00"]]}})"),
      AlwaysOpenCalendar(),
  };
  std::mt19937_64 random(20260329);
  std::uniform_int_distribution<Micros> starts(At("2026-01-01T00:00:00Z"), At("2028-12-31T00:00:00Z"));
  std::uniform_int_distribution<Micros> durations(0, 300 * kMicrosPerHour);
  for (const BusinessCalendar& calendar : calendars) {
    for (int sample_idx = 0; sample_idx < 3000; ++sample_idx) {
      const Micros start = starts(random);
      // Whole minutes half the time, so that due times often fall exactly on openings and closings.
      const Micros duration =
          sample_idx % 2 == 0 ? durations(random) : durations(random) / kMicrosPerMinute * kMicrosPerMinute;
      const Micros due = Due(calendar, start, duration);
      ASSERT_GE(due, start);
      ASSERT_EQ(BusinessTimeBetween(calendar, start, due), duration)
          << calendar.time_zone() << " start " << FormatTimestamp(start) << " duration " << duration;
      if (duration > 0) {
        ASSERT_LT(BusinessTimeBetween(calendar, start, due - 1), duration) << FormatTimestamp(start);
      }
    }
  }
}

TEST(CalendarJsonTest, WritesTheCanonicalFormAndReadsItBack) {
  const BusinessCalendar calendar = Calendar(R"({"time_zone":"Europe/Prague",
      "hours":{"mon":[["13:00","17:00"],["08:00","12:00"]],"tue":[],"sat":[["12:00","13:00"],["13:00","24:00"]]},
      "holidays":["2026-12-26","2026-12-24"]})");
  const json expected = json::parse(R"({"time_zone":"Europe/Prague",
      "hours":{"mon":[["08:00","12:00"],["13:00","17:00"]],"sat":[["12:00","13:00"],["13:00","24:00"]]},
      "holidays":["2026-12-24","2026-12-26"]})");
  EXPECT_EQ(CalendarJson(calendar), expected);
  EXPECT_EQ(Calendar(CalendarJson(calendar).dump()), calendar);
  EXPECT_EQ(calendar.weekly_hours()[0], (std::vector<OpeningInterval>{{8 * 60, 12 * 60}, {13 * 60, 17 * 60}}));
  EXPECT_EQ(calendar.holiday_days().size(), 2U);
  EXPECT_FALSE(Calendar(R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]}})") == calendar);
}

struct BadCalendar {
  const char* json_text;
  const char* field;
  const char* message_part;
};

TEST(CalendarJsonTest, RefusesBadInputNamingTheField) {
  const BadCalendar cases[] = {
      {R"(["Europe/Prague"])", "", "JSON object"},
      {R"({"hours":{"mon":[["09:00","17:00"]]}})", "time_zone", "IANA"},
      {R"({"time_zone":7,"hours":{"mon":[["09:00","17:00"]]}})", "time_zone", "IANA"},
      {R"({"time_zone":"Mars/Olympus","hours":{"mon":[["09:00","17:00"]]}})", "time_zone",
       "unknown time zone 'Mars/Olympus'"},
      {R"({"time_zone":"","hours":{"mon":[["09:00","17:00"]]}})", "time_zone", "unknown time zone"},
      {R"({"time_zone":"../../../etc/passwd","hours":{"mon":[["09:00","17:00"]]}})", "time_zone", "unknown time zone"},
      {R"({"time_zone":"zone.tab","hours":{"mon":[["09:00","17:00"]]}})", "time_zone", "unknown time zone"},
      {R"({"time_zone":"Europe/Prague","timezone":"UTC","hours":{"mon":[["09:00","17:00"]]}})", "timezone",
       "unknown field"},
      {R"({"time_zone":"Europe/Prague"})", "hours", "required"},
      {R"({"time_zone":"Europe/Prague","hours":[["09:00","17:00"]]})", "hours", "object"},
      {R"({"time_zone":"Europe/Prague","hours":{}})", "hours", "at least one day"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[],"sun":[]}})", "hours", "at least one day"},
      {R"({"time_zone":"Europe/Prague","hours":{"monday":[["09:00","17:00"]]}})", "hours.monday", "unknown day"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":"09:00-17:00"}})", "hours.mon", "pairs"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00"]]}})", "hours.mon", "pairs"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00","18:00"]]}})", "hours.mon", "pairs"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[[900,1700]]}})", "hours.mon", "pairs"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["9:00","17:00"]]}})", "hours.mon", "'9:00' is not a time"},
      {R"({"time_zone":"Europe/Prague","hours":{"tue":[["09:00","25:00"]]}})", "hours.tue", "'25:00' is not a time"},
      {R"({"time_zone":"Europe/Prague","hours":{"wed":[["09:60","17:00"]]}})", "hours.wed", "'09:60' is not a time"},
      {R"({"time_zone":"Europe/Prague","hours":{"thu":[["09:00","24:30"]]}})", "hours.thu", "'24:30' is not a time"},
      {R"({"time_zone":"Europe/Prague","hours":{"fri":[["9h","17h"]]}})", "hours.fri", "not a time"},
      {R"({"time_zone":"Europe/Prague","hours":{"sat":[["17:00","09:00"]]}})", "hours.sat",
       "does not start before it ends"},
      {R"({"time_zone":"Europe/Prague","hours":{"sun":[["09:00","09:00"]]}})", "hours.sun",
       "does not start before it ends"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["24:00","24:00"]]}})", "hours.mon",
       "does not start before it ends"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]],"tue":[["11:00","13:00"],["09:00","12:00"]]}})",
       "hours.tue", "09:00-12:00 overlaps 11:00-13:00"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"],["10:00","11:00"]]}})", "hours.mon",
       "overlaps"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]},"holidays":"2026-12-24"})", "holidays",
       "list"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-13-01"]})", "holidays",
       "\"2026-13-01\" is not a date"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-02-30"]})", "holidays",
       "not a date"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]},"holidays":["26-12-24"]})", "holidays",
       "not a date"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-12-24T00:00:00Z"]})",
       "holidays", "not a date"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]},"holidays":[20261224]})", "holidays",
       "not a date"},
      {R"({"time_zone":"Europe/Prague","hours":{"mon":[["09:00","17:00"]]},"holidays":["2026-12-24","2026-12-26","2026-12-24"]})",
       "holidays", "2026-12-24 is listed twice"},
  };
  for (const BadCalendar& bad : cases) {
    const Result<BusinessCalendar> calendar = ParseCalendar(json::parse(bad.json_text));
    ASSERT_FALSE(calendar.ok()) << bad.json_text;
    EXPECT_EQ(calendar.status().code(), ErrorCode::kInvalidArgument) << bad.json_text;
    EXPECT_EQ(calendar.status().field(), bad.field) << bad.json_text;
    EXPECT_NE(calendar.status().message().find(bad.message_part), std::string::npos)
        << bad.json_text << " -> " << calendar.status().message();
  }
}

TEST(CalendarJsonTest, RefusesTooManyIntervalsAndHolidays) {
  json intervals = json::array();
  for (int hour = 0; hour < 25; ++hour) {
    intervals.push_back({std::to_string(100 + hour).substr(1) + ":00", std::to_string(100 + hour).substr(1) + ":30"});
  }
  const Result<BusinessCalendar> crowded_day =
      ParseCalendar(json{{"time_zone", "Europe/Prague"}, {"hours", {{"mon", intervals}}}});
  EXPECT_EQ(crowded_day.status().field(), "hours.mon");
  json holidays = json::array();
  for (Micros day = At("2026-01-01T00:00:00Z"); holidays.size() <= kMaxHolidays; day += 24 * kMicrosPerHour) {
    holidays.push_back(FormatTimestamp(day).substr(0, 10));
  }
  const Result<BusinessCalendar> many_holidays =
      ParseCalendar(json{{"time_zone", "Europe/Prague"},
                         {"hours", {{"mon", json::array({json::array({"09:00", "17:00"})})}}},
                         {"holidays", holidays}});
  EXPECT_EQ(many_holidays.status().field(), "holidays");
}

}  // namespace
}  // namespace tp::calendars
