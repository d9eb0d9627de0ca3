// Who may see what (docs/security.md): contact data is one classification every output goes through,
// agents see the feedback of their teams' customers only, and a write never tells a caller that a
// customer they cannot see holds an address.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Every personal marker below contains one of these; none may reach an analyst.
constexpr const char* kMarkers[] = {"zq7", "marker.example", "601111", "601 111"};

// Traits under many spellings: contact keys with harmless-looking values, contact values under
// harmless keys, nested ones, one in free text, one under the tenant's own key.
json PersonalTraits(const std::string& tag) {
  return json{{"Email", "zq7-" + tag + "@marker.example"},
              {"mobile", "zq7mobile" + tag},
              {"whatsapp", "zq7whatsapp" + tag},
              {"phone_number", "zq7phonenumber" + tag},
              {"phoneNumber", "zq7phonecamel" + tag},
              {"Work-Email", "zq7workemail" + tag},
              {"billingAddress", {{"street", "zq7street" + tag}, {"city", "Brno"}}},
              {"contact", {{"Mobile", "zq7nested" + tag}, {"list", {"zq7-list" + tag + "@marker.example", "ok"}}}},
              {"backup", "+420 601 111 222"},
              {"alt", "00420 601 111 333"},
              {"bio", "write to zq7-bio" + tag + "@marker.example please"},
              {"iban", "zq7iban" + tag},
              {"plan", "pro"}};
}

class VisibilityTest : public ::testing::TestWithParam<std::string> {
 protected:
  VisibilityTest() : harness_(GetParam()), tenant_(harness_.CreateTenant("acme")) {
    admin_ = harness_.LoginAs(tenant_, Role::kAdmin);
  }

  json Send(const std::string& method, const std::string& path, const json& body, int expected, const Credentials& as,
            const http::Headers& headers = {}) {
    const http::Response response = harness_.Send(method, path, body.is_null() ? "" : body.dump(), as, headers);
    EXPECT_EQ(response.status, expected) << method << " " << path << " " << response.body;
    return BodyOf(response);
  }
  json Get(const std::string& path, const Credentials& as, int expected = 200) {
    return Send("GET", path, nullptr, expected, as);
  }
  // The raw body, for exports and for checking errors as text.
  std::string Text(const std::string& path, const Credentials& as) { return harness_.Send("GET", path, "", as).body; }

  static void ExpectNoMarker(const std::string& text, const std::string& where) {
    for (const char* marker : kMarkers) EXPECT_THAT(text, Not(HasSubstr(marker))) << where;
  }

  ApiHarness harness_;
  TenantFixture tenant_;
  Credentials admin_;
};

TEST_P(VisibilityTest, ContactDataFromEveryInputReachesNoAnalystOutput) {
  const Credentials ingest = harness_.CreateApiKey(admin_, "ingest");
  // Inputs: Segment identify and track (traits, properties, context.traits, an e-mail as user id),
  // the customer API, a CSV import, feedback with an address in its comment.
  Send("POST", "/v1/identify",
       {{"userId", "zq7-user@marker.example"},
        {"traits", PersonalTraits("i")},
        {"context", {{"traits", PersonalTraits("ic")}}}},
       200, ingest);
  Send("POST", "/v1/track",
       {{"userId", "plain-user"},
        {"event", "Order Completed"},
        {"properties", PersonalTraits("t")},
        {"context", {{"traits", PersonalTraits("tc")}}}},
       200, ingest);
  const json created = Send("POST", "/api/v1/customers",
                            {{"name", "zq7-name@marker.example"},
                             {"email", "zq7-create@marker.example"},
                             {"phone", "+420 601 111 555"},
                             {"traits", PersonalTraits("c")}},
                            201, admin_);
  const http::Response imported = harness_.Send(
      "POST", "/api/v1/imports/customers",
      "user_id,name,email,Work_Email,mobile,traits.iban,city\r\ncsv-1,Csv Person,zq7-csv@marker.example,zq7csvwork,"
      "zq7csvmobile,zq7csviban,Ostrava\r\n",
      admin_, {{"Content-Type", "text/csv"}});
  ASSERT_EQ(imported.status, 200) << imported.body;
  ASSERT_EQ(BodyOf(imported)["loaded"], 1) << imported.body;
  Send("POST", "/api/v1/feedback",
       {{"survey", "nps"},
        {"metric", "nps"},
        {"score", 3},
        {"customer_id", created["id"]},
        {"comment", "call me, zq7-fb@marker.example"}},
       201, admin_);
  // The tenant's own key, set after the data arrived: it applies to what is stored already.
  Send("PATCH", "/api/v1/tenant", {{"settings", {{"contact_data_keys", json::array({"IBAN"})}}}}, 200, admin_);

  const Credentials analyst = harness_.LoginAs(tenant_, Role::kAnalyst);
  const json customers = Get("/api/v1/customers?limit=100", analyst);
  ASSERT_EQ(customers["items"].size(), 4u);
  ExpectNoMarker(customers.dump(), "customer list");
  for (const json& customer : customers["items"]) {
    const std::string id = customer["id"];
    EXPECT_EQ(customer["contact_data_redacted"], true);
    ExpectNoMarker(Get("/api/v1/customers/" + id, analyst).dump(), "customer " + id);
    ExpectNoMarker(Get("/api/v1/customers/" + id + "/timeline?limit=100", analyst).dump(), "timeline " + id);
  }
  EXPECT_THAT(Get("/api/v1/customers?limit=100", admin_).dump(), HasSubstr("zq7mobilei"));
  const json events = Get("/api/v1/events?limit=100", analyst);
  ASSERT_GE(events["items"].size(), 2u);
  ExpectNoMarker(events.dump(), "event list");
  for (const json& event : events["items"]) {
    const std::string id = event["id"];
    ExpectNoMarker(Get("/api/v1/events/" + id, analyst).dump(), "event " + id);
  }
  EXPECT_THAT(events.dump(), HasSubstr(R"("plan":"pro")"));
  EXPECT_THAT(Get("/api/v1/events?limit=100", admin_).dump(), HasSubstr("zq7-t@marker.example"));
  for (const auto& [path, kept] :
       std::vector<std::pair<std::string, std::string>>{{"/api/v1/exports/customers", "Ostrava"},
                                                        {"/api/v1/exports/customers?format=jsonl", "Ostrava"},
                                                        {"/api/v1/exports/events", "Order Completed"},
                                                        {"/api/v1/exports/events?format=jsonl", "Order Completed"}}) {
    const std::string exported = Text(path, analyst);
    EXPECT_THAT(exported, HasSubstr(kept)) << path;
    ExpectNoMarker(exported, path);
    EXPECT_THAT(Text(path, admin_), HasSubstr("zq7")) << path;
  }
  ExpectNoMarker(Get("/api/v1/feedback", analyst).dump(), "feedback");
  // Search finds nothing by contact data, whatever it is filed under; the rest stays searchable.
  for (const char* term : {"zq7", "zq7mobilei", "zq7ibani", "zq7csviban", "zq7csvmobile", "zq7-user", "zq7-create",
                           "zq7-name", "zq7-bioi", "zq7street", "601111", "420601", "marker.example"}) {
    const json found = Get(std::string("/api/v1/customers?q=") + term, analyst);
    EXPECT_THAT(found["items"], IsEmpty()) << term;
  }
  EXPECT_EQ(Get("/api/v1/customers?q=ostrava", analyst)["items"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/customers?q=zq7mobilec", admin_)["items"].size(), 1u);
  EXPECT_EQ(Get("/api/v1/customers?q=zq7ibanc", admin_)["items"].size(), 1u);
  // Errors: none carries stored contact data, and an address the caller sent is masked.
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/customers/" + created["id"].get<std::string>() + "/export"},
           {"PATCH", "/api/v1/customers/" + created["id"].get<std::string>()},
           {"GET", "/api/v1/events?type=zq7-type@marker.example"},
           {"GET", "/api/v1/customers?q=..."}}) {
    const http::Response response = harness_.Send(method, path, method == "GET" ? "" : "{}", analyst);
    EXPECT_GE(response.status, 400) << path;
    ExpectNoMarker(response.body, method + " " + path);
  }
}

TEST_P(VisibilityTest, ContactDataKeysAreValidatedAndAudited) {
  Send("PATCH", "/api/v1/tenant", {{"settings", {{"contact_data_keys", json::array({"id"})}}}}, 400, admin_);
  Send("PATCH", "/api/v1/tenant", {{"settings", {{"contact_data_keys", "iban"}}}}, 400, admin_);
  Send("PATCH", "/api/v1/tenant", {{"settings", {{"contact_data_keys", json::array({"iban"})}}}}, 403,
       harness_.LoginAs(tenant_, Role::kManager));
  Send("PATCH", "/api/v1/tenant", {{"settings", {{"contact_data_keys", json::array({"iban", "loyalty_card"})}}}}, 200,
       admin_);
  const json audit = Get("/api/v1/audit?action=tenant.update", admin_);
  ASSERT_FALSE(audit["items"].empty());
  EXPECT_EQ(audit["items"][0]["after"]["settings"]["contact_data_keys"], json::array({"iban", "loyalty_card"}));
}

struct AgentWorld {
  Credentials agent;
  std::string team_id;
  std::string own_customer;    // has a case in the agent's team
  std::string other_customer;  // has none
};

class AgentVisibilityTest : public VisibilityTest {
 protected:
  AgentWorld MakeWorld() {
    AgentWorld world;
    const identity::User agent = harness_.CreateUser(tenant_, Role::kAgent);
    world.team_id = Send("POST", "/api/v1/teams", {{"name", "Support"}}, 201, admin_)["id"].get<std::string>();
    Send("PUT", "/api/v1/teams/" + world.team_id + "/members/" + agent.id, nullptr, 204, admin_);
    world.agent = harness_.Login(tenant_, agent.email);
    const json own_case = Send("POST", "/api/v1/cases",
                               {{"subject", "Refund"},
                                {"team_id", world.team_id},
                                {"customer", {{"name", "Own Customer"}, {"email", "own@example.cz"}}}},
                               201, admin_);
    world.own_customer = own_case["customer_id"].get<std::string>();
    world.other_customer = Send("POST", "/api/v1/customers",
                                {{"name", "Other Customer"}, {"email", "other@example.cz"}}, 201, admin_)["id"]
                               .get<std::string>();
    return world;
  }
};

TEST_P(AgentVisibilityTest, AgentsReadTheFeedbackOfTheirTeamsCustomersOnly) {
  const AgentWorld world = MakeWorld();
  auto submit = [&](const json& customer_id, const std::string& comment) -> std::string {
    json body{{"survey", "nps"}, {"metric", "nps"}, {"score", 5}, {"comment", comment}};
    if (!customer_id.is_null()) body["customer_id"] = customer_id;
    return Send("POST", "/api/v1/feedback", body, 201, admin_)["id"];
  };
  const std::string own = submit(world.own_customer, "own feedback");
  const std::string other = submit(world.other_customer, "other feedback");
  const std::string anonymous = submit(nullptr, "anonymous feedback");

  const json listed = Get("/api/v1/feedback", world.agent);
  ASSERT_EQ(listed["items"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["items"][0]["id"], own);
  EXPECT_TRUE(Get("/api/v1/feedback?customer_id=" + world.other_customer, world.agent)["items"].empty());
  Get("/api/v1/feedback/" + own, world.agent);
  Get("/api/v1/feedback/" + other, world.agent, 404);
  Get("/api/v1/feedback/" + anonymous, world.agent, 404);
  EXPECT_EQ(Get("/api/v1/feedback", harness_.LoginAs(tenant_, Role::kManager))["items"].size(), 3u);
}

TEST_P(AgentVisibilityTest, AWriteDoesNotTellWhetherAnUnseenCustomerHoldsTheAddress) {
  const AgentWorld world = MakeWorld();
  // The same answers for an address nobody holds and one held by a customer the agent cannot see.
  for (const char* email : {"free@example.cz", "other@example.cz"}) {
    const json created = Send("POST", "/api/v1/customers", {{"name", "New"}, {"email", email}}, 201, world.agent);
    EXPECT_EQ(created["email"], email);
    const json opened =
        Send("POST", "/api/v1/cases",
             {{"subject", "Hello"}, {"team_id", world.team_id}, {"customer", {{"email", email}}}}, 201, world.agent);
    EXPECT_NE(opened["customer_id"], world.other_customer);
  }
  // An address held by a customer the agent does see is still a conflict for the agent too.
  Send("POST", "/api/v1/customers", {{"email", "own@example.cz"}}, 409, world.agent);
  const json patched =
      Send("PATCH", "/api/v1/customers/" + world.own_customer, {{"email", "other@example.cz"}}, 200, world.agent);
  EXPECT_EQ(patched["email"], "other@example.cz");
  // The holder keeps the address as its identifier: events with it still land on that profile.
  const json other = Get("/api/v1/customers/" + world.other_customer, admin_);
  EXPECT_THAT(other["identifiers"].dump(), HasSubstr("other@example.cz"));
  // A caller who sees every customer is told, as before.
  const json refused = Send("POST", "/api/v1/customers", {{"email", "other@example.cz"}}, 409, admin_);
  EXPECT_EQ(refused["error"]["field"], "email");
}

INSTANTIATE_TEST_SUITE_P(Backends, VisibilityTest, ::testing::ValuesIn(store::TestBackends()));
INSTANTIATE_TEST_SUITE_P(Backends, AgentVisibilityTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
