// Public reviews over HTTP: POST /api/v1/imports/reviews (CSV and JSON lines, rejects with line numbers,
// re-imports, matching) and GET /api/v1/reviews (filters, the author hidden without contact data).
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

constexpr std::string_view kReviewsCsv =
    "source,rating,title,text,date,author,url,email\r\n"
    "google,5,Great,Write to me at jana@example.cz,2026-11-20,Jana Nováková,https://g.example/r/1,jana@example.cz\r\n"
    "google,7,Too many,,2026-11-21,Petr,https://g.example/r/2,\r\n"  // line 3: rating
    "trustpilot,2,Slow,,2026-11-22,Petr,,\r\n";

class ReviewRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  ReviewRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
  }

  json Import(std::string_view body, const std::string& content_type = "text/csv", const std::string& query = "",
              int expected = 200) {
    auto response = harness_.Send("POST", "/api/v1/imports/reviews" + query, std::string(body), admin_,
                                  {{"Content-Type", content_type}});
    EXPECT_EQ(response.status, expected) << response.body;
    return BodyOf(response);
  }
  json Get(const std::string& path, const Credentials& as, int expected = 200) {
    auto response = harness_.Send("GET", path, "", as);
    EXPECT_EQ(response.status, expected) << path << " " << response.body;
    return BodyOf(response);
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
};

TEST_P(ReviewRoutesTest, ImportsMatchesAndNeverDuplicates) {
  const json customer = BodyOf(harness_.Send("POST", "/api/v1/customers",
                                             json{{"name", "Jana"}, {"email", "jana@example.cz"}}.dump(), admin_));
  const json summary = Import(kReviewsCsv, "text/csv", "?touchpoint=store-prague");
  EXPECT_EQ(summary["kind"], "reviews");
  EXPECT_EQ(summary["rows_read"], 3);
  EXPECT_EQ(summary["loaded"], 2);
  EXPECT_EQ(summary["matched"], 1);
  EXPECT_EQ(summary["rejected"], 1);
  EXPECT_EQ(summary["rejects"], json::array({{{"line", 3}, {"field", "rating"}, {"reason", "rating must be a whole number from 1 to 5"}}}));

  const json again = Import(kReviewsCsv);
  EXPECT_EQ(again["loaded"], 0);
  EXPECT_EQ(again["duplicates"], 2);
  const json jsonl = Import(R"({"source":"google","rating":5,"date":"2026-11-20","url":"https://g.example/r/1"})"
                            "\n"
                            R"({"source":"app-store","rating":3,"date":"2026-11-25","author":"Eva"})"
                            "\n",
                            "application/x-ndjson");
  EXPECT_EQ(jsonl["duplicates"], 1);
  EXPECT_EQ(jsonl["loaded"], 1);

  const json mine = Get("/api/v1/reviews?customer_id=" + customer["id"].get<std::string>(), admin_);
  ASSERT_EQ(mine["items"].size(), 1u);
  EXPECT_EQ(mine["items"][0]["author"], "Jana Nováková");
  EXPECT_EQ(mine["items"][0]["touchpoint"], "store-prague");
  EXPECT_EQ(mine["items"][0]["reviewed_at"], "2026-11-20T00:00:00.000Z");
  EXPECT_EQ(Get("/api/v1/reviews", admin_)["items"].size(), 3u);
  EXPECT_EQ(Get("/api/v1/reviews?source=Trustpilot", admin_)["items"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/reviews?since=2026-11-21T00:00:00Z&until=2026-11-23T00:00:00Z", admin_)["items"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/reviews?metric=nps", admin_, 400)["error"]["field"], "metric");

  // An analyst without the contact-data grant sees the review without its author or the e-mail address.
  const Credentials analyst = harness_.LoginAs(tenant_, Role::kAnalyst);
  const json redacted = Get("/api/v1/reviews?source=google", analyst);
  ASSERT_EQ(redacted["items"].size(), 1u);
  EXPECT_TRUE(redacted["items"][0]["author"].is_null());
  EXPECT_EQ(redacted["items"][0]["contact_data_redacted"], true);
  EXPECT_EQ(redacted["items"][0]["text"].get<std::string>().find("jana@example.cz"), std::string::npos);
  EXPECT_EQ(redacted["items"][0]["rating"], 5);
}

TEST_P(ReviewRoutesTest, RefusesOtherBodiesAndBadHeaders) {
  Import("{}", "application/json", "", 415);
  EXPECT_EQ(Import("source,stars\r\ngoogle,4\r\n", "text/csv", "", 400)["error"]["field"], "header");
  EXPECT_EQ(Import("source,rating,date\r\n", "text/csv", "?map=a=b", 400)["error"]["field"], "map");
}

INSTANTIATE_TEST_SUITE_P(Backends, ReviewRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
