// SLA through the API: calendars, team calendars and policies configured by managers (agents get 403),
// bad input named by field, other tenants' objects 404, a case's SLA state for the agents of its team,
// and attainment.
#include <gtest/gtest.h>

#include "api/api_test_support.h"
#include "sla/storage.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

const json kWorkWeek = json::parse(R"({"time_zone": "Europe/Prague",
    "hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
              "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}, "holidays": ["2026-12-24"]})");

class SlaRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  SlaRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    manager_ = harness_.LoginAs(tenant_, Role::kManager);
    team_id_ = Expect(harness_.Send("POST", "/api/v1/teams", R"({"name":"Service","kind":"service"})", admin_), 201)
                   .value("id", "");
    const identity::User agent = harness_.CreateUser(tenant_, Role::kAgent);
    harness_.Send("PUT", "/api/v1/teams/" + team_id_ + "/members/" + agent.id, "", admin_);
    agent_ = harness_.Login(tenant_, agent.email);
    agent_id_ = agent.id;
  }

  http::Response Send(const std::string& method, const std::string& path, const json& body = nullptr) {
    return harness_.Send(method, path, body.is_null() ? "" : body.dump(), manager_);
  }
  json Expect(const http::Response& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    return BodyOf(response);
  }
  void ExpectError(const http::Response& response, int status, std::string_view field) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(BodyOf(response)["error"].value("field", ""), field) << response.body;
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  Credentials manager_;
  Credentials agent_;
  std::string agent_id_;
  std::string team_id_;
};

TEST_P(SlaRoutesTest, AManagerConfiguresCalendarsAndTeamCalendars) {
  const json created =
      Expect(Send("POST", "/api/v1/sla/calendars", {{"name", "Prague office"}, {"definition", kWorkWeek}}), 201);
  const std::string id = created.value("id", "");
  EXPECT_TRUE(id.starts_with("cal_"));
  EXPECT_EQ(created["definition"]["time_zone"], "Europe/Prague");
  EXPECT_EQ(created["definition"]["holidays"], json::array({"2026-12-24"}));

  EXPECT_EQ(Expect(Send("GET", "/api/v1/sla/calendars"), 200)["items"].size(), 1u);
  EXPECT_EQ(Expect(Send("PATCH", "/api/v1/sla/calendars/" + id, {{"name", "Praha"}}), 200)["name"], "Praha");
  EXPECT_EQ(Expect(Send("PUT", "/api/v1/teams/" + team_id_ + "/calendar", {{"calendar_id", id}}), 200)["calendar_id"],
            id);
  // In use: not deleted until the team lets go of it.
  ExpectError(Send("DELETE", "/api/v1/sla/calendars/" + id), 409, "calendar_id");
  Expect(Send("PUT", "/api/v1/teams/" + team_id_ + "/calendar", {{"calendar_id", nullptr}}), 200);
  EXPECT_EQ(Send("DELETE", "/api/v1/sla/calendars/" + id).status, 204);
  EXPECT_EQ(Send("GET", "/api/v1/sla/calendars/" + id).status, 404);
}

TEST_P(SlaRoutesTest, BadConfigurationIsRefusedNamingTheField) {
  ExpectError(Send("POST", "/api/v1/sla/calendars", {{"definition", kWorkWeek}}), 400, "name");
  ExpectError(Send("POST", "/api/v1/sla/calendars", {{"name", "x"}}), 400, "definition");
  json bad_zone = kWorkWeek;
  bad_zone["time_zone"] = "Europe/Atlantis";
  ExpectError(Send("POST", "/api/v1/sla/calendars", {{"name", "x"}, {"definition", bad_zone}}), 400,
              "definition.time_zone");
  ExpectError(Send("POST", "/api/v1/sla/calendars", {{"name", "x"}, {"definition", kWorkWeek}, {"colour", "red"}}), 400,
              "colour");
  ExpectError(Send("PUT", "/api/v1/teams/" + team_id_ + "/calendar", {{"calendar_id", "cal_missing"}}), 404,
              "calendar_id");
  ExpectError(Send("PUT", "/api/v1/teams/" + team_id_ + "/calendar", json::object()), 400, "calendar_id");

  const json targets = {{"urgent", {{"first_response_minutes", 30}}}};
  ExpectError(Send("POST", "/api/v1/sla/policies", {{"targets", targets}}), 400, "name");
  ExpectError(Send("POST", "/api/v1/sla/policies", {{"name", "x"}}), 400, "targets");
  ExpectError(Send("POST", "/api/v1/sla/policies",
                   {{"name", "x"}, {"targets", {{"critical", {{"first_response_minutes", 30}}}}}}),
              400, "targets.critical");
  ExpectError(
      Send("POST", "/api/v1/sla/policies", {{"name", "x"}, {"targets", {{"urgent", {{"first_response_minutes", 0}}}}}}),
      400, "targets.urgent.first_response_minutes");
  ExpectError(Send("POST", "/api/v1/sla/policies",
                   {{"name", "x"}, {"targets", targets}, {"match", {{"priorities", {"asap"}}}}}),
              400, "match.priorities");
  ExpectError(
      Send("POST", "/api/v1/sla/policies", {{"name", "x"}, {"targets", targets}, {"match", {{"types", {"bug"}}}}}), 400,
      "match.types");
  ExpectError(Send("POST", "/api/v1/sla/policies", {{"name", "x"}, {"targets", targets}, {"position", -1}}), 400,
              "position");
  ExpectError(Send("GET", "/api/v1/sla/attainment?since=yesterday"), 400, "since");
}

TEST_P(SlaRoutesTest, AgentsReadTheConfigurationButCannotChangeIt) {
  const json policy = Expect(Send("POST", "/api/v1/sla/policies",
                                  {{"name", "Standard"}, {"targets", {{"normal", {{"first_response_minutes", 60}}}}}}),
                             201);
  EXPECT_EQ(harness_.Send("GET", "/api/v1/sla/policies", "", agent_).status, 200);
  EXPECT_EQ(
      harness_
          .Send("POST", "/api/v1/sla/policies", R"({"name":"Mine","targets":{"low":{"resolution_minutes":5}}})", agent_)
          .status,
      403);
  EXPECT_EQ(
      harness_.Send("PATCH", "/api/v1/sla/policies/" + policy.value("id", ""), R"({"name":"Mine"})", agent_).status,
      403);
  EXPECT_EQ(
      harness_.Send("POST", "/api/v1/sla/calendars", json{{"name", "x"}, {"definition", kWorkWeek}}.dump(), agent_)
          .status,
      403);
  EXPECT_EQ(harness_.Send("PUT", "/api/v1/teams/" + team_id_ + "/calendar", R"({"calendar_id":null})", agent_).status,
            403);
}

TEST_P(SlaRoutesTest, AnotherTenantsConfigurationAndCasesAre404) {
  const json calendar =
      Expect(Send("POST", "/api/v1/sla/calendars", {{"name", "Office"}, {"definition", kWorkWeek}}), 201);
  const json policy = Expect(Send("POST", "/api/v1/sla/policies",
                                  {{"name", "Standard"}, {"targets", {{"normal", {{"first_response_minutes", 60}}}}}}),
                             201);
  const TenantFixture other = harness_.CreateTenant("globex");
  const Credentials other_admin = harness_.LoginAs(other, Role::kAdmin);
  const std::string calendar_id = calendar.value("id", "");
  const std::string policy_id = policy.value("id", "");
  EXPECT_EQ(harness_.Send("GET", "/api/v1/sla/calendars/" + calendar_id, "", other_admin).status, 404);
  EXPECT_EQ(harness_.Send("PATCH", "/api/v1/sla/calendars/" + calendar_id, R"({"name":"x"})", other_admin).status, 404);
  EXPECT_EQ(harness_.Send("DELETE", "/api/v1/sla/policies/" + policy_id, "", other_admin).status, 404);
  EXPECT_EQ(harness_.Send("GET", "/api/v1/sla/policies/" + policy_id, "", other_admin).status, 404);
  EXPECT_EQ(harness_
                .Send("PUT", "/api/v1/teams/" + team_id_ + "/calendar", json{{"calendar_id", calendar_id}}.dump(),
                      other_admin)
                .status,
            404);
  EXPECT_TRUE(BodyOf(harness_.Send("GET", "/api/v1/sla/policies", "", other_admin))["items"].empty());
}

TEST_P(SlaRoutesTest, ACasesSlaIsShownToTheAgentsOfItsTeamOnly) {
  Expect(Send("POST", "/api/v1/sla/policies",
              {{"name", "Standard"},
               {"targets", {{"normal", {{"first_response_minutes", 60}, {"resolution_minutes", 480}}}}}}),
         201);
  const std::string customer_id =
      Expect(Send("POST", "/api/v1/customers", {{"name", "Jana Nová"}}), 201).value("id", "");
  const std::string case_id =
      Expect(Send("POST", "/api/v1/cases",
                  {{"customer_id", customer_id}, {"subject", "Zásilka"}, {"channel", "email"}, {"team_id", team_id_}}),
             201)
          .value("id", "");
  const json state = Expect(harness_.Send("GET", "/api/v1/cases/" + case_id + "/sla", "", agent_), 200);
  EXPECT_EQ(state["case_id"], case_id);
  EXPECT_EQ(state["metrics"]["first_response"]["breached"], false);
  EXPECT_FALSE(state["metrics"]["first_response"]["due_at"].is_null());
  EXPECT_TRUE(state["metrics"].contains("resolution"));
  EXPECT_FALSE(state["metrics"].contains("next_response"));

  // A case of no team of the agent's is 404, as one that does not exist.
  const std::string other_case =
      Expect(
          Send("POST", "/api/v1/cases", {{"customer_id", customer_id}, {"subject", "Faktura"}, {"channel", "email"}}),
          201)
          .value("id", "");
  EXPECT_EQ(harness_.Send("GET", "/api/v1/cases/" + other_case + "/sla", "", agent_).status, 404);
  EXPECT_EQ(Send("GET", "/api/v1/cases/" + other_case + "/sla").status, 200);

  const json attainment = Expect(Send("GET", "/api/v1/sla/attainment?team_id=" + team_id_), 200);
  EXPECT_EQ(attainment["metrics"]["first_response"]["met"], 0);
  EXPECT_TRUE(attainment["metrics"]["first_response"]["attainment_percent"].is_null());
}

TEST_P(SlaRoutesTest, TheInboxSortsBySlaDueAndListsCasesBreachingSoon) {
  Expect(Send("POST", "/api/v1/sla/policies",
              {{"name", "Standard"}, {"targets", {{"urgent", {{"first_response_minutes", 30}}},
                                                  {"normal", {{"first_response_minutes", 600}}}}}}),
         201);
  const std::string customer_id =
      Expect(Send("POST", "/api/v1/customers", {{"name", "Jana Nová"}}), 201).value("id", "");
  const auto open_case = [&](const std::string& priority) {
    const std::string id = Expect(Send("POST", "/api/v1/cases",
                                       {{"customer_id", customer_id}, {"subject", "Zásilka"}, {"priority", priority},
                                        {"team_id", team_id_}, {"assignee_id", agent_id_}}),
                                  201)
                               .value("id", "");
    // What the "sla" subscriber does when the feed hands it the new case.
    const Status recomputed = harness_.store().Write(
        tenant_.id, [&](store::TenantTx& tx) { return sla::RecomputeCase(tx, id, NowMicros()); });
    EXPECT_TRUE(recomputed.ok()) << recomputed.ToString();
    return id;
  };
  const std::string normal = open_case("normal");
  const std::string urgent = open_case("urgent");

  const json mine = Expect(harness_.Send("GET", "/api/v1/cases?view=mine&sort=sla_due", "", agent_), 200);
  ASSERT_EQ(mine["items"].size(), 2u);
  EXPECT_EQ(mine["items"][0]["id"], urgent);  // due in 30 minutes, before the normal one's 10 hours
  EXPECT_EQ(mine["items"][1]["id"], normal);
  EXPECT_FALSE(mine["items"][0]["sla_due_at"].is_null());

  const json soon = Expect(harness_.Send("GET", "/api/v1/cases?view=breaching", "", agent_), 200);
  ASSERT_EQ(soon["items"].size(), 1u);  // within the default hour
  EXPECT_EQ(soon["items"][0]["id"], urgent);
  EXPECT_EQ(Expect(harness_.Send("GET", "/api/v1/cases?view=breaching&within_minutes=720", "", agent_), 200)["items"]
                .size(),
            2u);

  ExpectError(harness_.Send("GET", "/api/v1/cases?view=breaching&within_minutes=soon", "", agent_), 400,
              "within_minutes");
  ExpectError(harness_.Send("GET", "/api/v1/cases?within_minutes=5", "", agent_), 400, "within_minutes");
  ExpectError(harness_.Send("GET", "/api/v1/cases?sort=oldest", "", agent_), 400, "sort");
  ExpectError(harness_.Send("GET", "/api/v1/cases?sort=sla_due&status=open", "", agent_), 400, "status");
  ExpectError(harness_.Send("GET", "/api/v1/cases?view=breaching&cursor=bm90LWEtY3Vyc29y", "", agent_), 400, "cursor");
}

INSTANTIATE_TEST_SUITE_P(Backends, SlaRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
