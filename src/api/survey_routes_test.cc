// Surveys through the API: bad input on every survey endpoint and on the respondents' public ones
// (each error names its field), the per-address limit of respondents, and what analysts and agents
// see of responses.
#include <gtest/gtest.h>

#include "api/api_test_support.h"
#include "common/ids.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

class SurveyRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  SurveyRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    manager_ = harness_.LoginAs(tenant_, Role::kManager);
  }

  http::Response Send(const std::string& method, const std::string& path, const json& body = nullptr,
                      const Credentials& as = {}) {
    return harness_.Send(method, path, body.is_null() ? "" : body.dump(), as.session_token.empty() && as.api_key.empty() ? manager_ : as);
  }
  http::Response Respond(const std::string& method, const std::string& path, const std::string& body = "") {
    return harness_.Send(method, path, body);
  }
  json Expect(const http::Response& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    return BodyOf(response);
  }
  void ExpectError(const http::Response& response, int status, std::string_view field) {
    EXPECT_EQ(response.status, status) << response.body;
    const json error = BodyOf(response)["error"];
    EXPECT_EQ(error.contains("field") && error["field"].is_string() ? error["field"].get<std::string>() : "", field)
        << response.body;
  }

  static json NpsSurvey() {
    return {{"name", "After delivery"}, {"touchpoint", "delivery"}, {"stage", "fulfilment"}, {"status", "live"},
            {"metrics", {{"nps", {{"question", "recommend"}, {"comment", "reason"}}}}},
            {"definition", json::parse(R"({"elements": [
               {"type": "rating", "name": "recommend", "isRequired": true, "rateMin": 0, "rateMax": 10},
               {"type": "comment", "name": "reason"}]})")}};
  }
  std::string CreateSurvey() { return Expect(Send("POST", "/api/v1/surveys", NpsSurvey()), 201).value("id", ""); }
  std::string PublicToken(const std::string& survey_id) {
    return Expect(Send("POST", "/api/v1/surveys/" + survey_id + "/links", json{{"kind", "public"}}), 201)
        .value("token", "");
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials manager_;
};

TEST_P(SurveyRoutesTest, SurveyEndpointsNameTheFieldOfBadInput) {
  json missing = NpsSurvey();
  missing.erase("definition");
  ExpectError(Send("POST", "/api/v1/surveys", missing), 400, "definition");
  json unknown = NpsSurvey();
  unknown["colour"] = "red";
  ExpectError(Send("POST", "/api/v1/surveys", unknown), 400, "colour");
  json unsupported = NpsSurvey();
  unsupported["definition"]["elements"][0]["type"] = "file";
  ExpectError(Send("POST", "/api/v1/surveys", unsupported), 400, "definition");
  json bad_status = NpsSurvey();
  bad_status["status"] = "published";
  ExpectError(Send("POST", "/api/v1/surveys", bad_status), 400, "status");
  json off_scale = NpsSurvey();
  off_scale["metrics"] = {{"csat", "recommend"}};
  ExpectError(Send("POST", "/api/v1/surveys", off_scale), 400, "metrics.csat");

  const std::string id = CreateSurvey();
  ExpectError(Send("GET", "/api/v1/surveys/" + id + "?version=1x"), 400, "version");
  ExpectError(Send("GET", "/api/v1/surveys/" + id + "?version=0"), 400, "version");
  ExpectError(Send("GET", "/api/v1/surveys/" + id + "?version=9"), 404, "version");
  ExpectError(Send("GET", "/api/v1/surveys?colour=red"), 400, "colour");
  ExpectError(Send("GET", "/api/v1/surveys?status=published"), 400, "status");
  ExpectError(Send("PATCH", "/api/v1/surveys/" + id, json{{"status", "draft"}}), 422, "status");
  ExpectError(Send("POST", "/api/v1/surveys/" + id + "/links", json{{"kind", "qr"}}), 400, "kind");
  ExpectError(Send("POST", "/api/v1/surveys/" + id + "/links", json::object()), 400, "customer_id");
  ExpectError(Send("POST", "/api/v1/surveys/" + id + "/links", json{{"kind", "public"}, {"channel", "fax"}}), 400,
              "channel");
  ExpectError(Send("POST", "/api/v1/surveys/" + id + "/links", json{{"kind", "public"}, {"expires_at", "soon"}}), 400,
              "expires_at");
  ExpectError(Send("POST", "/api/v1/surveys/" + id + "/invitations", json{{"customer_ids", json::array()}}), 400,
              "customer_ids");
  ExpectError(Send("POST", "/api/v1/surveys/" + id + "/invitations",
                   json{{"customer_ids", {"cus_x"}}, {"send_at", "next week"}}),
              400, "send_at");
  ExpectError(Send("POST", "/api/v1/surveys/" + NewId("svy_") + "/links", json{{"kind", "public"}}), 404, "survey_id");
  ExpectError(Send("GET", "/api/v1/survey-responses?status=maybe"), 400, "status");
  EXPECT_EQ(Send("GET", "/api/v1/surveys/svy_nothing").status, 404);
}

TEST_P(SurveyRoutesTest, RespondentsGetClearErrorsAndNothingIsStoredFromThem) {
  const std::string token = PublicToken(CreateSurvey());
  const std::string path = "/api/v1/respond/" + token;
  EXPECT_EQ(Respond("GET", path).status, 200);
  ExpectError(Respond("GET", "/api/v1/respond/not-a-token"), 404, "token");
  EXPECT_EQ(Respond("POST", path, R"({"data": {"recommend": )").status, 400);
  ExpectError(Respond("POST", path, R"({"answers": {"recommend": 9}})"), 400, "answers");
  ExpectError(Respond("POST", path, R"({"version": 1})"), 400, "data");
  ExpectError(Respond("POST", path, R"({"data": {"recommend": 11}})"), 400, "answers.recommend");
  ExpectError(Respond("POST", path, R"({"data": {"recommend": 9, "colour": "red"}})"), 400, "answers.colour");
  ExpectError(Respond("POST", path, R"({"data": {"reason": "no score"}})"), 400, "answers.recommend");
  ExpectError(Respond("POST", path, json{{"data", {{"recommend", 2}, {"reason", std::string(600 * 1024, 'x')}}}}.dump()),
              413, "data");
  ExpectError(Respond("PUT", path, R"({"data": {"recommend": 2}})"), 422, "token");  // progress: invitations only
  ExpectError(Respond("POST", path + "/opt-out"), 422, "token");                      // nobody to opt out
  EXPECT_EQ(Expect(Send("GET", "/api/v1/survey-responses"), 200)["items"].size(), 0u);
  Expect(Respond("POST", path, R"({"data": {"recommend": 9, "reason": "<script>alert(1)</script>"}})"), 201);
  const json listed = Expect(Send("GET", "/api/v1/survey-responses"), 200);
  ASSERT_EQ(listed["items"].size(), 1u);
  EXPECT_EQ(listed["items"][0]["answers"]["reason"], "<script>alert(1)</script>");
}

TEST_P(SurveyRoutesTest, RespondentsAreLimitedPerAddress) {
  const std::string path = "/api/v1/respond/" + PublicToken(CreateSurvey());
  int limited = 0;
  for (int i = 0; i < 100 && limited == 0; ++i) {
    const http::Response response = Respond("GET", path);
    if (response.status == 429) ++limited;
  }
  EXPECT_EQ(limited, 1) << "the 60-request burst runs out within 100 quick requests";
}

TEST_P(SurveyRoutesTest, AnalystsReadAnswersWithoutContactDataAndAgentsOnlyTheirTeamsCustomers) {
  const std::string survey = CreateSurvey();
  const std::string customer =
      Expect(Send("POST", "/api/v1/customers", json{{"name", "Jana"}, {"email", "jana@example.cz"}}), 201)["id"];
  const std::string token =
      Expect(Send("POST", "/api/v1/surveys/" + survey + "/links", json{{"customer_id", customer}}), 201)["token"];
  const std::string response_id = Expect(Respond("POST", "/api/v1/respond/" + token,
                                                 R"({"data": {"recommend": 3, "reason": "Write to jana@example.cz"}})"),
                                         201)["response_id"];
  const Credentials analyst = harness_.LoginAs(tenant_, Role::kAnalyst);
  const json seen = Expect(Send("GET", "/api/v1/survey-responses/" + response_id, nullptr, analyst), 200);
  EXPECT_EQ(seen["answers"]["reason"].get<std::string>().find("jana@example.cz"), std::string::npos) << seen;
  const Credentials agent = harness_.LoginAs(tenant_, Role::kAgent);  // in no team: serves nobody
  EXPECT_EQ(Send("GET", "/api/v1/survey-responses/" + response_id, nullptr, agent).status, 404);
  EXPECT_EQ(Expect(Send("GET", "/api/v1/survey-responses", nullptr, agent), 200)["items"].size(), 0u);
  EXPECT_EQ(Send("POST", "/api/v1/surveys", NpsSurvey(), agent).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Backends, SurveyRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
