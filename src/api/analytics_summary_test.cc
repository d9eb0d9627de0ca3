// GET /api/v1/analytics/summary over HTTP: the 95% intervals of every metric, the edges (no answers,
// one answer, unanimous answers) and compare=previous_period with its significance verdict. The numbers
// are the hand-computed ones of src/feedback/statistics_test.cc.
#include <gtest/gtest.h>

#include "api/api_test_support.h"
#include "common/clock.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

constexpr double kTolerance = 1e-3;

class AnalyticsSummaryTest : public ::testing::TestWithParam<std::string> {
 protected:
  AnalyticsSummaryTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    analyst_ = harness_.LoginAs(tenant_, Role::kAnalyst);
  }

  void Answer(const std::string& metric, int score, Micros at, const std::string& touchpoint = "delivery") {
    const json body{{"survey", metric + "-survey"}, {"metric", metric}, {"score", score},
                    {"touchpoint", touchpoint}, {"created_at", FormatTimestamp(at)}};
    const auto response = harness_.Send("POST", "/api/v1/feedback", body.dump(), admin_);
    ASSERT_EQ(response.status, 201) << response.body;
  }
  json Summary(const std::string& query, int expected = 200) {
    const auto response = harness_.Send("GET", "/api/v1/analytics/summary" + query, "", analyst_);
    EXPECT_EQ(response.status, expected) << query << " " << response.body;
    return BodyOf(response);
  }

  static void ExpectInterval(const json& interval, double low, double high, const std::string& method) {
    ASSERT_TRUE(interval.is_object()) << interval.dump();
    EXPECT_NEAR(interval["low"].get<double>(), low, kTolerance);
    EXPECT_NEAR(interval["high"].get<double>(), high, kTolerance);
    EXPECT_EQ(interval["level"], 0.95);
    EXPECT_EQ(interval["method"], method);
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  Credentials analyst_;
};

TEST_P(AnalyticsSummaryTest, EveryMetricCarriesItsCountAndIntervals) {
  const Micros yesterday = NowMicros() - kMicrosPerDay;
  for (int score : {10, 10, 10, 9, 9, 8, 8, 7, 6, 3}) Answer("nps", score, yesterday);
  for (int score : {5, 5, 5, 5, 4, 4, 4, 3, 2, 1}) Answer("csat", score, yesterday);
  for (int score : {7, 7, 6, 6, 6, 5, 4, 4, 2, 2}) Answer("ces", score, yesterday);

  const json body = Summary("");
  const json& nps = body["nps"];
  EXPECT_EQ(nps["count"], 10);
  EXPECT_DOUBLE_EQ(nps["nps"].get<double>(), 30.0);
  EXPECT_NEAR(nps["margin_of_error"].get<double>(), 48.408, kTolerance);
  ExpectInterval(nps["nps_interval"], -18.408, 78.408, "wald");
  const json& csat = body["csat"];
  EXPECT_DOUBLE_EQ(csat["satisfied_pct"].get<double>(), 70.0);
  ExpectInterval(csat["satisfied_interval"], 39.678, 89.221, "wilson");
  EXPECT_DOUBLE_EQ(csat["mean"].get<double>(), 3.8);
  const json& ces = body["ces"];
  EXPECT_DOUBLE_EQ(ces["mean"].get<double>(), 4.9);
  EXPECT_NEAR(ces["standard_deviation"].get<double>(), 1.852926, 1e-6);
  ExpectInterval(ces["mean_interval"], 3.574497, 6.225503, "t");
  EXPECT_FALSE(body.contains("period"));
  EXPECT_FALSE(ces.contains("change"));
}

TEST_P(AnalyticsSummaryTest, EdgesLeaveOutWhatCannotBeEstimated) {
  const Micros yesterday = NowMicros() - kMicrosPerDay;
  Answer("csat", 5, yesterday);
  for (int score : {9, 10, 10}) Answer("nps", score, yesterday);

  const json body = Summary("");
  // No CES answers: n = 0 and nothing else.
  EXPECT_EQ(body["ces"]["count"], 0);
  EXPECT_TRUE(body["ces"]["mean"].is_null());
  EXPECT_TRUE(body["ces"]["mean_interval"].is_null());
  // One CSAT answer: its value and Wilson interval, no standard deviation and no t-interval.
  EXPECT_EQ(body["csat"]["count"], 1);
  ExpectInterval(body["csat"]["satisfied_interval"], 20.655, 100.0, "wilson");
  EXPECT_TRUE(body["csat"]["standard_deviation"].is_null());
  EXPECT_TRUE(body["csat"]["mean_interval"].is_null());
  // All promoters: the adjusted Wald interval and no Wald margin of error.
  EXPECT_DOUBLE_EQ(body["nps"]["nps"].get<double>(), 100.0);
  ExpectInterval(body["nps"]["nps_interval"], -6.579, 100.0, "adjusted_wald");
  EXPECT_TRUE(body["nps"]["margin_of_error"].is_null());
}

TEST_P(AnalyticsSummaryTest, ComparesWithThePreviousPeriodOfTheSameLength) {
  const Micros now = NowMicros();
  const Micros since = now - 7 * kMicrosPerDay;
  // This week NPS 30, CSAT 7 of 10, CES 4.9; the week before NPS −30, CSAT 3 of 10, CES 3.2.
  for (int score : {10, 10, 10, 9, 9, 8, 8, 7, 6, 3}) Answer("nps", score, now - kMicrosPerDay);
  for (int score : {10, 10, 8, 8, 7, 6, 5, 3, 2, 0}) Answer("nps", score, now - 8 * kMicrosPerDay);
  for (int score : {5, 5, 5, 5, 4, 4, 4, 3, 2, 1}) Answer("csat", score, now - kMicrosPerDay);
  for (int score : {5, 4, 4, 3, 3, 3, 2, 2, 1, 1}) Answer("csat", score, now - 8 * kMicrosPerDay);
  for (int score : {7, 7, 6, 6, 6, 5, 4, 4, 2, 2}) Answer("ces", score, now - kMicrosPerDay);
  for (int score : {5, 5, 4, 4, 3, 3, 3, 2, 2, 1}) Answer("ces", score, now - 8 * kMicrosPerDay);
  Answer("nps", 0, now - 15 * kMicrosPerDay);                // before the previous period
  Answer("nps", 0, now - kMicrosPerDay, "website checkout");  // another touchpoint

  const json body =
      Summary("?touchpoint=delivery&compare=previous_period&since=" + FormatTimestamp(since) + "&until=" + FormatTimestamp(now));
  EXPECT_EQ(body["period"]["since"], FormatTimestamp(since));
  EXPECT_EQ(body["previous_period"]["since"], FormatTimestamp(since - 7 * kMicrosPerDay));
  EXPECT_EQ(body["previous_period"]["until"], FormatTimestamp(since));

  const json& nps = body["nps"];
  EXPECT_EQ(nps["count"], 10);
  EXPECT_EQ(nps["previous_period"]["count"], 10);
  EXPECT_DOUBLE_EQ(nps["previous_period"]["nps"].get<double>(), -30.0);
  EXPECT_EQ(nps["change"]["test"], "nps_z");
  EXPECT_NEAR(nps["change"]["difference"].get<double>(), 60.0, 1e-9);
  EXPECT_NEAR(nps["change"]["p_value"].get<double>(), 0.085834, 1e-6);
  EXPECT_EQ(nps["change"]["significant"], false);
  EXPECT_EQ(body["csat"]["change"]["test"], "two_proportion_z");
  EXPECT_NEAR(body["csat"]["change"]["p_value"].get<double>(), 0.073638, 1e-6);
  const json& ces = body["ces"]["change"];
  EXPECT_EQ(ces["test"], "welch_t");
  EXPECT_NEAR(ces["degrees_of_freedom"].get<double>(), 16.241644, 1e-6);
  EXPECT_NEAR(ces["p_value"].get<double>(), 0.030790, 1e-6);
  EXPECT_EQ(ces["significant"], true);

  // Without until the period ends now; without since there is no previous period.
  const json open_ended = Summary("?compare=previous_period&since=" + FormatTimestamp(since));
  EXPECT_EQ(open_ended["nps"]["count"], 11);
  EXPECT_EQ(Summary("?compare=previous_period", 400)["error"]["field"], "since");
  EXPECT_EQ(Summary("?compare=last_year&since=" + FormatTimestamp(since), 400)["error"]["field"], "compare");
  EXPECT_EQ(Summary("?compare=previous_period&since=" + FormatTimestamp(now) + "&until=" + FormatTimestamp(since), 400)
                ["error"]["field"],
            "until");
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsSummaryTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
