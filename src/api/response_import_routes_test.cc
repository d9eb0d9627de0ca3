// Historic survey responses over HTTP: POST /api/v1/imports/responses (options in the query, rejects
// with line numbers, re-imports), the imported responses on the customer's timeline and in the analytics
// engine through the change feed, and no closed-loop rule fired by them.
#include <gtest/gtest.h>

#include "analytics_source/source.h"
#include "api/api_test_support.h"
#include "rules/engine.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

const json kSurvey = {
    {"name", "After delivery"},
    {"touchpoint", "delivery"},
    {"stage", "fulfilment"},
    {"status", "live"},
    {"definition",
     {{"elements",
       {{{"type", "rating"}, {"name", "recommend"}, {"rateMin", 0}, {"rateMax", 10}},
        {{"type", "comment"}, {"name", "reason"}},
        {{"type", "matrix"}, {"name", "attributes"}, {"columns", {1, 2, 3, 4, 5}}, {"rows", {"ease", "speed"}}}}}}},
    {"metrics", {{"nps", {{"question", "recommend"}, {"comment", "reason"}}}}}};

class ResponseImportRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  ResponseImportRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    const auto created = harness_.Send("POST", "/api/v1/surveys", kSurvey.dump(), admin_);
    EXPECT_EQ(created.status, 201) << created.body;
    survey_ = BodyOf(created).value("id", "");
  }

  http::Response Import(const std::string& body, const std::string& query, const Credentials& as,
                        const std::string& content_type = "text/csv") {
    return harness_.Send("POST", "/api/v1/imports/responses" + query, body, as, {{"Content-Type", content_type}});
  }

  // Every change committed after `after`, as the feed hands them to its subscribers.
  std::vector<store::Change> ChangesAfter(std::int64_t after) {
    std::vector<store::Change> batch;
    EXPECT_TRUE(harness_.store().WriteSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(store::Rows rows,
                          tx.Query("SELECT sequence, tenant_id, kind, subject_id, data, committed_at FROM change_feed "
                                   "WHERE sequence > $1 ORDER BY sequence",
                                   {after}));
      for (const store::Row& row : rows) {
        batch.push_back({row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Int(5)});
      }
      return Status::Ok();
    }).ok());
    return batch;
  }
  std::int64_t Head() {
    const std::vector<store::Change> all = ChangesAfter(0);
    return all.empty() ? 0 : all.back().sequence;
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  std::string survey_;
};

TEST_P(ResponseImportRoutesTest, ImportsWithQueryOptionsAndRejectsWithLineNumbers) {
  // Qualtrics-like: two header rows more, recode values 1-11, metadata columns left out.
  const std::string csv =
      "ResponseId,RecordedDate,RecipientEmail,Q1,Q2_1,Q2_2,Q3,Duration (in seconds)\r\n"
      "Response ID,Recorded Date,Recipient Email,How likely...,Ease,Speed,Why?,Duration\r\n"
      "{\"\"ImportId\"\":\"\"_recordId\"\"},x,x,x,x,x,x,x\r\n"
      "R_1,2024-03-01 10:00:00,jana@example.cz,2,1,2,\"Late, nobody called\",120\r\n"
      "R_2,2024-03-02 10:00:00,,12,5,5,,40\r\n"
      "R_3,not a date,,9,,,,40\r\n";
  const std::string query = "?survey=" + survey_ +
                            "&nps_scale=1-11&header_rows=3&ignore_unknown=true"
                            "&map=ResponseId=response_id,RecordedDate=submitted_at,RecipientEmail=email,Q1=nps"
                            "&map=Q2_1=rating.ease,Q2_2=rating.speed,Q3=comment";
  const auto response = Import(csv, query, admin_);
  ASSERT_EQ(response.status, 200) << response.body;
  const json summary = BodyOf(response);
  ASSERT_TRUE(summary.is_object()) << response.body;
  EXPECT_EQ(summary["kind"], "responses") << response.body;
  EXPECT_EQ(summary["rows_read"], 3);
  EXPECT_EQ(summary["loaded"], 1);
  EXPECT_EQ(summary["profiles_created"], 1);
  EXPECT_EQ(summary["rejected"], 2);
  ASSERT_EQ(summary["rejects"].size(), 2u);
  EXPECT_EQ(summary["rejects"][0]["line"], 5);
  EXPECT_EQ(summary["rejects"][0]["field"], "Q1");
  EXPECT_EQ(summary["rejects"][1]["line"], 6);
  EXPECT_EQ(summary["rejects"][1]["field"], "RecordedDate");
  const json again = BodyOf(Import(csv, query, admin_));
  EXPECT_EQ(again["loaded"], 0);
  EXPECT_EQ(again["duplicates"], 1);

  // The response is the customer's, on the timeline as a survey response and its NPS (recode 2 is 1).
  const json customers = BodyOf(harness_.Send("GET", "/api/v1/customers?q=jana@example.cz", "", admin_));
  ASSERT_EQ(customers["items"].size(), 1u) << customers.dump();
  const std::string customer_id = customers["items"][0]["id"];
  const json timeline = BodyOf(harness_.Send(
      "GET", "/api/v1/customers/" + customer_id + "/timeline?kind=survey_response,feedback", "", admin_));
  // One entry: the survey response, carrying its score.
  ASSERT_EQ(timeline["items"].size(), 1u) << timeline.dump();
  EXPECT_EQ(timeline["items"][0]["kind"], "survey_response");
  EXPECT_EQ(timeline["items"][0]["detail"]["scores"][0]["metric"], "nps") << timeline.dump();
  EXPECT_EQ(timeline["items"][0]["detail"]["scores"][0]["score"], 1) << timeline.dump();
  const json responses = BodyOf(harness_.Send("GET", "/api/v1/survey-responses?survey_id=" + survey_, "", admin_));
  ASSERT_EQ(responses["items"].size(), 1u) << responses.dump();
  EXPECT_EQ(responses["items"][0]["answers"]["attributes"], json::parse(R"({"ease": 1, "speed": 2})"));
  EXPECT_EQ(responses["items"][0]["feedback_ids"].size(), 1u);
}

TEST_P(ResponseImportRoutesTest, BadRequestsAreRefusedNamingTheProblem) {
  const std::string csv = "user_id,nps,submitted_at\r\nu1,9,2024-03-01\r\n";
  ExpectError(Import(csv, "?survey=" + survey_ + "&nps_scale=2-12", admin_), 400, "invalid_argument", "nps_scale");
  ExpectError(Import(csv, "?survey=" + survey_ + "&metric=eNPS", admin_), 400, "invalid_argument", "metric");
  ExpectError(Import(csv, "?survey=" + survey_ + "&header_rows=0", admin_), 400, "invalid_argument", "header_rows");
  ExpectError(Import(csv, "?survey=" + survey_ + "&ignore_unknown=maybe", admin_), 400, "invalid_argument",
              "ignore_unknown");
  ExpectError(Import(csv, "?survey=svy_00000000000000000000000000", admin_), 404, "not_found", "survey_id");
  ExpectError(Import(csv, "", admin_), 400, "invalid_argument", "survey_id");
  ExpectError(Import(csv, "?survey=" + survey_ + "&map=Q9=nps", admin_), 400, "invalid_argument", "map");
  const auto wrong_type = Import(csv, "?survey=" + survey_, admin_, "application/json");
  EXPECT_EQ(wrong_type.status, 415) << wrong_type.body;
  // Agents work with their teams' customers only; an import covers every customer.
  const Credentials agent = harness_.LoginAs(tenant_, Role::kAgent);
  ExpectError(Import(csv, "?survey=" + survey_, agent), 403, "forbidden");
}

// Submitted responses close the loop; imported history reaches the analytics engine but fires no rule.
TEST_P(ResponseImportRoutesTest, ImportedHistoryFeedsAnalyticsButFiresNoRule) {
  const json rule = {{"name", "Detractors"},
                     {"trigger", "feedback.submitted"},
                     {"condition", R"(metric == "nps" and score <= 6)"},
                     {"actions", json::array({{{"type", "create_case"}, {"subject", "Follow up"}}})}};
  ASSERT_EQ(harness_.Send("POST", "/api/v1/rules", rule.dump(), admin_).status, 201);
  auto loaded = analytics_source::LoadTenant(harness_.store(), tenant_.id);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  harness_.analytics().ReplaceTenant(tenant_.id, std::move(*loaded));
  const std::int64_t head = Head();

  const auto imported = Import("user_id,nps,submitted_at\r\nu1,2,2023-05-01\r\nu2,3,2023-05-02\r\n,10,2023-05-03\r\n",
                               "?survey=" + survey_, admin_);
  ASSERT_EQ(imported.status, 200) << imported.body;
  ASSERT_EQ(BodyOf(imported)["loaded"], 3);
  const std::vector<store::Change> changes = ChangesAfter(head);
  int feedback_changes = 0, response_changes = 0;
  for (const store::Change& change : changes) {
    if (change.kind != "feedback.submitted" && change.kind != "survey_response.submitted") continue;
    ++(change.kind == "feedback.submitted" ? feedback_changes : response_changes);
    EXPECT_EQ(json::parse(change.data).value("imported", false), true) << change.data;
  }
  EXPECT_EQ(feedback_changes, 3);
  EXPECT_EQ(response_changes, 3);
  ASSERT_TRUE(harness_.store().WriteSystem([&](store::SystemTx& tx) {
    return rules::RunRules(tx, changes, NowMicros());
  }).ok());
  const auto executions = [&] {
    return BodyOf(harness_.Send("GET", "/api/v1/rule-executions", "", admin_))["items"].size();
  };
  EXPECT_EQ(executions(), 0u);
  ASSERT_TRUE(analytics_source::ApplyChanges(harness_.store(), harness_.analytics(), changes).ok());
  const json nps = BodyOf(harness_.Send("POST", "/api/v1/analytics/query", R"({"metric": "nps"})", admin_));
  EXPECT_EQ(nps["total"]["n"], 3) << nps.dump();

  // The same detractor submitted now is acted on.
  const json feedback{{"survey", survey_}, {"metric", "nps"}, {"score", 2}};
  ASSERT_EQ(harness_.Send("POST", "/api/v1/feedback", feedback.dump(), admin_).status, 201);
  const std::vector<store::Change> submitted = ChangesAfter(changes.back().sequence);
  ASSERT_TRUE(harness_.store().WriteSystem([&](store::SystemTx& tx) {
    return rules::RunRules(tx, submitted, NowMicros());
  }).ok());
  EXPECT_EQ(executions(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ResponseImportRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
