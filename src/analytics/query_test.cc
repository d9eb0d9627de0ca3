#include "analytics/query.h"

#include <gtest/gtest.h>

namespace tp::analytics {
namespace {

using nlohmann::json;

constexpr Micros kThursdayJan1 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z (a Thursday)
constexpr Micros kNow = kThursdayJan1 + 100 * kMicrosPerDay;

Result<QueryResult> Ask(const Engine& engine, const std::string& body) {
  TP_ASSIGN_OR_RETURN(Query query, ParseQuery(json::parse(body), kNow));
  return RunQuery(engine, "ten_a", query);
}

AddResponse Response(feedback::Metric metric, int score, Micros at, std::string touchpoint, std::string customer = "cus_1",
                     std::string team = "") {
  return AddResponse{.metric = metric, .score = score, .created_at = at, .customer_id = std::move(customer),
                     .touchpoint = std::move(touchpoint), .channel = "email", .survey = "s", .team_id = std::move(team)};
}

class QueryTest : public ::testing::Test {
 protected:
  QueryTest() {
    const auto nps = feedback::Metric::kNps;
    EXPECT_TRUE(engine_
                    .Apply("ten_a",
                           {UpsertCustomer{.customer_id = "cus_1", .traits = {{"segment", "vip"}, {"country", "CZ"}}},
                            UpsertCustomer{.customer_id = "cus_2", .traits = {{"segment", "basic"}}},
                            Response(nps, 10, kThursdayJan1 + kMicrosPerHour, "delivery"), Response(nps, 9, kThursdayJan1 + 2 * kMicrosPerHour, "delivery"),
                            Response(nps, 3, kThursdayJan1 + 3 * kMicrosPerHour, "delivery", "cus_2"),
                            Response(nps, 8, kThursdayJan1 + 40 * kMicrosPerDay, "checkout", "cus_2"),
                            Response(nps, 0, kThursdayJan1 + 40 * kMicrosPerDay, "checkout", "cus_2"),
                            Response(feedback::Metric::kCsat, 5, kThursdayJan1 + 2 * kMicrosPerDay, "delivery", "cus_1", "tea_1"),
                            Response(feedback::Metric::kCsat, 2, kThursdayJan1 + 9 * kMicrosPerDay, "delivery", "cus_2", "tea_1"),
                            // 23:30 UTC on Jan 31 is Feb 1 in Prague.
                            Response(nps, 10, kThursdayJan1 + 30 * kMicrosPerDay + 23 * kMicrosPerHour + 30 * 60'000'000LL, "web")})
                    .ok());
  }
  Engine engine_;
};

TEST_F(QueryTest, OverallNpsWithItsInterval) {
  Result<QueryResult> result = Ask(engine_, R"({"metric": "nps"})");
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->total.count, 6);
  EXPECT_EQ(result->total.promoters_pct, 50.0);
  EXPECT_NEAR(*result->total.nps, 50.0 - 100.0 * 2 / 6, 1e-9);
  ASSERT_TRUE(result->total.nps_interval.has_value());
  EXPECT_EQ(result->total.nps_interval->method, feedback::IntervalMethod::kWald);
}

TEST_F(QueryTest, GroupsByTouchpointAndMonthInTheTimeZone) {
  Result<QueryResult> utc = Ask(engine_, R"({"metric": "nps", "group_by": ["touchpoint"], "bucket": "month"})");
  ASSERT_TRUE(utc.ok());
  ASSERT_EQ(utc->groups.size(), 3u);
  EXPECT_EQ(utc->columns, (std::vector<std::string>{"touchpoint", "month"}));
  EXPECT_EQ(utc->groups[0].keys, (std::vector<std::string>{"checkout", "2026-02"}));
  EXPECT_EQ(utc->groups[1].keys, (std::vector<std::string>{"delivery", "2026-01"}));
  EXPECT_EQ(utc->groups[1].summary.count, 3);
  EXPECT_EQ(utc->groups[2].keys, (std::vector<std::string>{"web", "2026-01"}));
  Result<QueryResult> prague = Ask(engine_, R"({"metric": "nps", "group_by": ["touchpoint"], "bucket": "month",
                                              "time_zone": "Europe/Prague"})");
  ASSERT_TRUE(prague.ok());
  EXPECT_EQ(prague->groups[2].keys, (std::vector<std::string>{"web", "2026-02"}));
}

TEST_F(QueryTest, WeeksStartOnMondayAndQuartersAreNamed) {
  Result<QueryResult> weeks = Ask(engine_, R"({"metric": "response_count", "bucket": "week"})");
  ASSERT_TRUE(weeks.ok());
  EXPECT_EQ(weeks->groups.front().keys[0], "2025-12-29");
  Result<QueryResult> quarters = Ask(engine_, R"({"metric": "response_count", "bucket": "quarter"})");
  ASSERT_TRUE(quarters.ok());
  ASSERT_EQ(quarters->groups.size(), 1u);
  EXPECT_EQ(quarters->groups[0].keys[0], "2026-Q1");
  EXPECT_EQ(quarters->groups[0].summary.count, 8);
}

TEST_F(QueryTest, FiltersByTraitSetAndScoreRange) {
  Result<QueryResult> vip = Ask(engine_, R"({"metric": "nps", "filters": [{"field": "segment", "equals": "vip"}]})");
  ASSERT_TRUE(vip.ok());
  EXPECT_EQ(vip->total.count, 3);
  Result<QueryResult> set = Ask(engine_, R"({"metric": "nps", "filters": [{"field": "trait.segment", "in": ["vip", "basic"]},
                                                                         {"field": "score", "max": 6}]})");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->total.count, 2);
  Result<QueryResult> nobody = Ask(engine_, R"({"metric": "nps", "filters": [{"field": "trait.plan", "equals": "pro"}]})");
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(nobody->total.count, 0);
}

TEST_F(QueryTest, CsatByTeamAndCountry) {
  Result<QueryResult> result = Ask(engine_, R"({"metric": "csat", "group_by": ["team", "country"]})");
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->groups.size(), 2u);
  EXPECT_EQ(result->groups[0].keys, (std::vector<std::string>{"tea_1", ""}));
  EXPECT_EQ(result->groups[0].summary.satisfied_pct, 0.0);
  EXPECT_EQ(result->groups[1].keys, (std::vector<std::string>{"tea_1", "CZ"}));
  EXPECT_EQ(result->groups[1].summary.satisfied_pct, 100.0);
}

TEST_F(QueryTest, ComparesWithThePreviousPeriod) {
  // Current: the last 30 days before Feb 20 (Jan 21..Feb 20); previous: Dec 22..Jan 21.
  Result<QueryResult> result = Ask(engine_, R"({"metric": "nps", "time": {"last_days": 30, "until": "2026-02-20T00:00:00Z"},
                                              "compare": "previous_period"})");
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->total.count, 3);
  ASSERT_TRUE(result->previous_total.has_value());
  EXPECT_EQ(result->previous_total->count, 3);
  ASSERT_TRUE(result->total_change.has_value());
  EXPECT_EQ(result->total_change->test, feedback::ChangeTest::kNpsZ);
  const json body = QueryResultJson(*result);
  EXPECT_EQ(body["previous_period"]["until"], "2026-01-21T00:00:00.000Z");
  EXPECT_TRUE(body["change"].contains("significant"));
}

TEST(QueryParse, NamesTheFieldOfEveryMistake) {
  const auto field_of = [](const std::string& body) {
    Result<Query> query = ParseQuery(json::parse(body), kNow);
    return query.ok() ? std::string("ok") : query.status().field();
  };
  EXPECT_EQ(field_of(R"({})"), "metric");
  EXPECT_EQ(field_of(R"({"metric": "revenue"})"), "metric");
  EXPECT_EQ(field_of(R"({"metric": "nps", "group_by": ["touchpoint", "colour"]})"), "group_by[1]");
  EXPECT_EQ(field_of(R"({"metric": "nps", "group_by": ["a", "b", "c", "d"]})"), "group_by");
  EXPECT_EQ(field_of(R"({"metric": "nps", "bucket": "year"})"), "bucket");
  EXPECT_EQ(field_of(R"({"metric": "nps", "time_zone": "Mars/Olympus"})"), "time_zone");
  EXPECT_EQ(field_of(R"({"metric": "nps", "filters": [{"field": "stage", "equals": "x"}, {"field": "nope", "equals": "x"}]})"),
            "filters[1].field");
  EXPECT_EQ(field_of(R"({"metric": "nps", "filters": [{"field": "stage", "in": ["a", 3]}]})"), "filters[0].in[1]");
  EXPECT_EQ(field_of(R"({"metric": "nps", "filters": [{"field": "score", "min": 11}]})"), "filters[0].min");
  EXPECT_EQ(field_of(R"({"metric": "nps", "filters": [{"field": "stage"}]})"), "filters[0].equals");
  EXPECT_EQ(field_of(R"({"metric": "nps", "time": {"since": "yesterday"}})"), "time.since");
  EXPECT_EQ(field_of(R"({"metric": "nps", "time": {"last_days": 0}})"), "time.last_days");
  EXPECT_EQ(field_of(R"({"metric": "nps", "colour": 1})"), "colour");
  EXPECT_EQ(field_of(R"({"metric": "nps", "compare": "previous_period"})"), "compare");
  EXPECT_EQ(ParseQuery(json::parse(R"({"metric": "nps", "compare": "previous_period"})"), kNow).status().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(field_of(R"({"metric": "ces", "group_by": ["trait.plan"], "bucket": "day", "time": {"last_days": 90}})"), "ok");
}

}  // namespace
}  // namespace tp::analytics
