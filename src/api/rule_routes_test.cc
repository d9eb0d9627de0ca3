// Rules through the API: create, list, read, enable/disable and reorder, delete, dry runs of saved and
// unsaved rules, the executions log, strict bodies and condition errors that name the position.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

class RuleRoutesTest : public ::testing::TestWithParam<std::string> {
 protected:
  RuleRoutesTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
    manager_ = harness_.LoginAs(tenant_, Role::kManager);
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
    const json body = BodyOf(response);
    EXPECT_EQ(body["error"].value("field", ""), field) << response.body;
  }

  static json Detractors() {
    return {{"name", "Detractors"},
            {"trigger", "feedback.submitted"},
            {"condition", R"(metric == "nps" and score <= 6)"},
            {"actions", json::array({{{"type", "create_case"}, {"subject", "Follow up: {{comment}}"}, {"priority", "high"}}})}};
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
  Credentials manager_;
};

TEST_P(RuleRoutesTest, AManagerCreatesListsChangesAndDeletesARule) {
  const json created = Expect(Send("POST", "/api/v1/rules", Detractors()), 201);
  const std::string id = created.value("id", "");
  EXPECT_TRUE(id.starts_with("rul_"));
  EXPECT_EQ(created["enabled"], true);
  EXPECT_EQ(created["position"], 0);
  json second_spec = Detractors();
  second_spec["name"] = "VIP";
  second_spec["condition"] = R"(customer.segment == "vip")";
  const json second = Expect(Send("POST", "/api/v1/rules", second_spec), 201);
  EXPECT_EQ(second["position"], 1);  // after the last one

  json listed = Expect(Send("GET", "/api/v1/rules"), 200);
  ASSERT_EQ(listed["items"].size(), 2u);
  EXPECT_EQ(listed["items"][0]["id"], id);
  EXPECT_EQ(Expect(Send("GET", "/api/v1/rules?trigger=case.created"), 200)["items"].size(), 0u);

  // Disable and move behind the other one.
  const json patched = Expect(Send("PATCH", "/api/v1/rules/" + id, {{"enabled", false}, {"position", 5}}), 200);
  EXPECT_EQ(patched["enabled"], false);
  listed = Expect(Send("GET", "/api/v1/rules"), 200);
  EXPECT_EQ(listed["items"][0]["id"], second["id"]);
  EXPECT_EQ(Expect(Send("GET", "/api/v1/rules/" + id), 200)["position"], 5);

  const json audit = BodyOf(harness_.Send("GET", "/api/v1/audit?target_id=" + id, "", admin_));
  ASSERT_EQ(audit["items"].size(), 2u) << audit.dump();
  std::set<std::string> actions;
  for (const json& entry : audit["items"]) actions.insert(entry.value("action", ""));
  EXPECT_EQ(actions, (std::set<std::string>{"rule.create", "rule.update"}));

  EXPECT_EQ(Send("DELETE", "/api/v1/rules/" + id).status, 204);
  EXPECT_EQ(Send("GET", "/api/v1/rules/" + id).status, 404);
  EXPECT_EQ(Send("PATCH", "/api/v1/rules/" + id, {{"enabled", true}}).status, 404);
}

TEST_P(RuleRoutesTest, DryRunsSayWhetherARuleMatchesWithoutDoingAnything) {
  const std::string id = Expect(Send("POST", "/api/v1/rules", Detractors()), 201).value("id", "");
  json result = Expect(Send("POST", "/api/v1/rules/" + id + "/dry-run",
                            {{"payload", {{"metric", "nps"}, {"score", 3}, {"comment", "Late"}}}}),
                       200);
  EXPECT_EQ(result["matched"], true);
  ASSERT_EQ(result["actions"].size(), 1u);
  EXPECT_EQ(result["actions"][0]["type"], "create_case");
  result = Expect(Send("POST", "/api/v1/rules/" + id + "/dry-run", {{"payload", {{"metric", "nps"}, {"score", 9}}}}), 200);
  EXPECT_EQ(result["matched"], false);
  EXPECT_TRUE(result["actions"].empty());

  json unsaved = Detractors();
  unsaved.erase("name");
  unsaved["payload"] = {{"metric", "nps"}, {"score", 6}};
  EXPECT_EQ(Expect(Send("POST", "/api/v1/rules/dry-run", unsaved), 200)["matched"], true);
  unsaved["condition"] = "score <= 6 and";
  const auto broken = Send("POST", "/api/v1/rules/dry-run", unsaved);
  ExpectError(broken, 400, "condition");
  EXPECT_NE(BodyOf(broken)["error"].value("message", "").find("position 15"), std::string::npos) << broken.body;
  unsaved["condition"] = "true";
  unsaved["payload"] = "not an object";
  ExpectError(Send("POST", "/api/v1/rules/dry-run", unsaved), 400, "payload");

  // Nothing ran and nothing was logged.
  EXPECT_TRUE(Expect(Send("GET", "/api/v1/rules/" + id + "/executions"), 200)["items"].empty());
  EXPECT_TRUE(Expect(Send("GET", "/api/v1/rule-executions"), 200)["items"].empty());
  const json cases = BodyOf(harness_.Send("GET", "/api/v1/cases", "", admin_));
  EXPECT_TRUE(cases["items"].empty());
}

TEST_P(RuleRoutesTest, BadRulesAreRefusedNamingTheField) {
  json rule = Detractors();
  rule["condition"] = R"(score <= 6 and customer.segment = "vip")";
  const auto bad_condition = Send("POST", "/api/v1/rules", rule);
  ExpectError(bad_condition, 400, "condition");
  EXPECT_NE(BodyOf(bad_condition)["error"].value("message", "").find("position 33"), std::string::npos)
      << bad_condition.body;
  rule = Detractors();
  rule["trigger"] = "order.placed";
  ExpectError(Send("POST", "/api/v1/rules", rule), 400, "trigger");
  rule = Detractors();
  rule["actions"][0]["priority"] = "asap";
  ExpectError(Send("POST", "/api/v1/rules", rule), 400, "actions[0].priority");
  rule = Detractors();
  rule.erase("actions");
  ExpectError(Send("POST", "/api/v1/rules", rule), 400, "actions");
  rule = Detractors();
  rule["colour"] = "red";
  ExpectError(Send("POST", "/api/v1/rules", rule), 400, "colour");
  const std::string id = Expect(Send("POST", "/api/v1/rules", Detractors()), 201).value("id", "");
  ExpectError(Send("PATCH", "/api/v1/rules/" + id, {{"condition", "((score"}}), 400, "condition");
  ExpectError(Send("PATCH", "/api/v1/rules/" + id, {{"actions", json::array()}}), 400, "actions");
  ExpectError(Send("PATCH", "/api/v1/rules/" + id, {{"trigger", "case.created"}}), 400, "trigger");
  EXPECT_TRUE(Expect(Send("GET", "/api/v1/rules"), 200)["items"].size() == 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, RuleRoutesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
