// POST /api/v1/analytics/query over HTTP: answers from the engine, errors naming the field, the
// permission on customer filters and 503 while the engine loads.
#include <gtest/gtest.h>

#include "analytics_source/source.h"
#include "api/api_test_support.h"
#include "common/clock.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;


class AnalyticsQueryTest : public ::testing::TestWithParam<std::string> {
 protected:
  AnalyticsQueryTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    analyst_ = harness_.LoginAs(tenant_, Role::kAnalyst);
    viewer_ = harness_.LoginAs(tenant_, Role::kViewer);
  }

  void Answer(const std::string& metric, int score, Micros at, const std::string& touchpoint) {
    const json body{{"survey", metric + "-survey"}, {"metric", metric}, {"score", score},
                    {"touchpoint", touchpoint}, {"created_at", FormatTimestamp(at)}};
    const auto response = harness_.Send("POST", "/api/v1/feedback", body.dump(), admin_);
    ASSERT_EQ(response.status, 201) << response.body;
  }
  void Load() {
    auto data = analytics_source::LoadTenant(harness_.store(), tenant_.id);
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    harness_.analytics().ReplaceTenant(tenant_.id, std::move(*data));
  }
  http::Response Query(const std::string& body, const Credentials& as) {
    return harness_.Send("POST", "/api/v1/analytics/query", body, as);
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  Credentials analyst_;
  Credentials viewer_;
};

TEST_P(AnalyticsQueryTest, AnswersNpsByTouchpointWithIntervalsAndThePreviousPeriod) {
  const Micros now = NowMicros();
  for (int score : {10, 10, 9, 3}) Answer("nps", score, now - 2 * kMicrosPerDay, "delivery");
  for (int score : {10, 2, 2}) Answer("nps", score, now - 12 * kMicrosPerDay, "delivery");
  Answer("nps", 8, now - 2 * kMicrosPerDay, "checkout");
  Load();
  const auto response = Query(R"({"metric":"nps","group_by":["touchpoint"],"time":{"last_days":10},"compare":"previous_period"})",
                              analyst_);
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = BodyOf(response);
  EXPECT_EQ(body["columns"], json::array({"touchpoint"}));
  ASSERT_EQ(body["groups"].size(), 2u);
  const json& delivery = body["groups"][1];
  EXPECT_EQ(delivery["keys"]["touchpoint"], "delivery");
  EXPECT_EQ(delivery["n"], 4);
  EXPECT_DOUBLE_EQ(delivery["value"].get<double>(), 50.0);
  EXPECT_EQ(delivery["interval"]["method"], "wald");
  EXPECT_EQ(delivery["previous"]["n"], 3);
  EXPECT_EQ(delivery["change"]["test"], "nps_z");
  EXPECT_EQ(body["total"]["n"], 5);
  EXPECT_EQ(body["previous_total"]["n"], 3);
}

TEST_P(AnalyticsQueryTest, AnEmptyTenantAnswersNoGroups) {
  const auto response = Query(R"({"metric":"csat","group_by":["team"],"bucket":"week"})", viewer_);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(BodyOf(response)["groups"].empty());
  EXPECT_EQ(BodyOf(response)["total"]["n"], 0);
  EXPECT_TRUE(BodyOf(response)["total"]["value"].is_null());
}

TEST_P(AnalyticsQueryTest, NamesTheFieldOfABadQuery) {
  ExpectError(Query(R"({"metric":"nps","group_by":["touchpoint","colour"]})", analyst_), 400, "invalid_argument",
              "group_by[1]");
  ExpectError(Query(R"({"metric":"nps","filters":[{"field":"score","min":"high"}]})", analyst_), 400, "invalid_argument",
              "filters[0].min");
  ExpectError(Query(R"({"metric":"nps","time_zone":"Europe/Atlantis"})", analyst_), 400, "invalid_argument", "time_zone");
  ExpectError(Query(R"({"metric":"nps","compare":"previous_period"})", analyst_), 422, "failed_precondition", "compare");
  ExpectError(Query(R"(["nps"])", analyst_), 400, "invalid_argument");
}

TEST_P(AnalyticsQueryTest, FilteringByOneCustomerNeedsFeedbackRead) {
  const std::string body = R"({"metric":"nps","filters":[{"field":"customer_id","equals":"cus_1"}]})";
  ExpectError(Query(body, viewer_), 403, "forbidden");
  EXPECT_EQ(Query(body, analyst_).status, 200);
}

TEST(AnalyticsQueryLoading, AnswersUnavailableUntilTheEngineIsLoaded) {
  analytics::Engine loading;
  ApiOptions options = ApiHarness::DefaultOptions();
  options.analytics = &loading;
  ApiHarness harness("sqlite", options);
  const TenantFixture tenant = harness.CreateTenant("acme");
  const Credentials analyst = harness.LoginAs(tenant, Role::kAnalyst);
  ExpectError(harness.Send("POST", "/api/v1/analytics/query", R"({"metric":"nps"})", analyst), 503, "unavailable");
  loading.MarkLoaded();
  EXPECT_EQ(harness.Send("POST", "/api/v1/analytics/query", R"({"metric":"nps"})", analyst).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsQueryTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
