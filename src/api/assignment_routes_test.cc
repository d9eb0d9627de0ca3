// Auto-assignment through the API: agents set their own status (not their capacity), managers set
// agents' capacity and teams' methods (agents get 403), bad input named by field, agents see only their
// teams, and a team switched to round-robin hands its waiting cases to the online agents at once.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

class AssignmentRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  AssignmentRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    manager_ = harness_.LoginAs(tenant_, Role::kManager);
    team_id_ = MakeTeam("Service");
    other_team_id_ = MakeTeam("Returns");
    agent_user_ = harness_.CreateUser(tenant_, Role::kAgent);
    harness_.Send("PUT", "/api/v1/teams/" + team_id_ + "/members/" + agent_user_.id, "", admin_);
    agent_ = harness_.Login(tenant_, agent_user_.email);
  }

  std::string MakeTeam(const std::string& name) {
    return Expect(harness_.Send("POST", "/api/v1/teams", json{{"name", name}, {"kind", "service"}}.dump(), admin_), 201)
        .value("id", "");
  }
  json Expect(const http::Response& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    return BodyOf(response);
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  Credentials manager_;
  identity::User agent_user_;
  Credentials agent_;
  std::string team_id_;
  std::string other_team_id_;
};

TEST_P(AssignmentRoutesTest, AnAgentSetsTheirStatusAndAManagerTheirCapacity) {
  const json initial = Expect(harness_.Send("GET", "/api/v1/me/availability", "", agent_), 200);
  EXPECT_EQ(initial["status"], "offline");
  EXPECT_EQ(initial["capacity"], 10);
  EXPECT_TRUE(initial["updated_at"].is_null());

  const json online = Expect(harness_.Send("PUT", "/api/v1/me/availability", R"({"status":"online"})", agent_), 200);
  EXPECT_EQ(online["status"], "online");
  EXPECT_EQ(online["user_id"], agent_user_.id);
  ExpectError(harness_.Send("PUT", "/api/v1/me/availability", R"({"capacity":50})", agent_), 400, "invalid_argument", "capacity");
  ExpectError(harness_.Send("PUT", "/api/v1/me/availability", R"({"status":"busy"})", agent_), 400, "invalid_argument", "status");

  const std::string path = "/api/v1/users/" + agent_user_.id + "/availability";
  ExpectError(harness_.Send("PUT", path, R"({"capacity":3})", agent_), 403, "forbidden");
  EXPECT_EQ(Expect(harness_.Send("PUT", path, R"({"capacity":3})", manager_), 200)["capacity"], 3);
  ExpectError(harness_.Send("PUT", path, R"({"capacity":-1})", manager_), 400, "invalid_argument", "capacity");
  ExpectError(harness_.Send("PUT", "/api/v1/users/usr_nobody/availability", R"({"status":"away"})", manager_), 404,
              "not_found");
  EXPECT_EQ(Expect(harness_.Send("GET", "/api/v1/me/availability", "", agent_), 200)["capacity"], 3);
}

TEST_P(AssignmentRoutesTest, SwitchingATeamToRoundRobinAssignsItsWaitingCases) {
  const std::string customer_id =
      Expect(harness_.Send("POST", "/api/v1/customers", R"({"name":"Jana Nová"})", admin_), 201).value("id", "");
  const std::string case_id =
      Expect(harness_.Send("POST", "/api/v1/cases",
                           json{{"customer_id", customer_id}, {"subject", "Zásilka"}, {"team_id", team_id_}}.dump(),
                           admin_),
             201)
          .value("id", "");
  Expect(harness_.Send("PUT", "/api/v1/me/availability", R"({"status":"online"})", agent_), 200);

  const std::string path = "/api/v1/teams/" + team_id_ + "/assignment";
  const json manual = Expect(harness_.Send("GET", path, "", agent_), 200);
  EXPECT_EQ(manual["method"], "manual");
  EXPECT_EQ(manual["queued"], 1);
  ASSERT_EQ(manual["agents"].size(), 1u);
  EXPECT_EQ(manual["agents"][0]["can_take"], true);

  ExpectError(harness_.Send("PUT", path, R"({"method":"round_robin"})", agent_), 403, "forbidden");
  ExpectError(harness_.Send("PUT", path, R"({"method":"random"})", manager_), 400, "invalid_argument", "method");
  ExpectError(harness_.Send("PUT", path, R"({})", manager_), 400, "invalid_argument", "method");
  const json round_robin = Expect(harness_.Send("PUT", path, R"({"method":"round_robin"})", manager_), 200);
  EXPECT_EQ(round_robin["method"], "round_robin");
  EXPECT_EQ(round_robin["queued"], 0);
  EXPECT_EQ(round_robin["agents"][0]["load"], 1);
  EXPECT_EQ(Expect(harness_.Send("GET", "/api/v1/cases/" + case_id, "", agent_), 200)["assignee_id"], agent_user_.id);

  // Agents see their own teams only; other tenants' and unknown teams are not found.
  ExpectError(harness_.Send("GET", "/api/v1/teams/" + other_team_id_ + "/assignment", "", agent_), 404, "not_found", "team_id");
  EXPECT_EQ(harness_.Send("GET", "/api/v1/teams/" + other_team_id_ + "/assignment", "", manager_).status, 200);
  ExpectError(harness_.Send("PUT", "/api/v1/teams/team_nobody/assignment", R"({"method":"manual"})", manager_), 404,
              "not_found");
}

INSTANTIATE_TEST_SUITE_P(Backends, AssignmentRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
