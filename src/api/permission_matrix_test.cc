// The permission matrix, enforced end to end: every routed endpoint × every role × the caller's own
// tenant and another tenant → the expected status. A new endpoint without a scenario here fails the
// suite, so the matrix (and docs/security.md) cannot silently fall behind the router.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "api/api_test_support.h"
#include "identity/totp.h"

namespace tp::api::testing {
namespace {

using identity::Permission;
using identity::Role;
using nlohmann::json;

// Objects of the owner tenant that requests refer to.
struct World {
  ApiHarness& harness;
  TenantFixture owner;
  Credentials owner_admin;
  std::string owner_admin_id;
  std::string service_team_id;
  std::string customer_id;
  std::string case_id;
  std::string feedback_id;
  std::string event_id;  // of a customer with a case in the service team
};

struct Caller {
  TenantFixture tenant;
  identity::User user;
  Credentials credentials;
  bool in_owner_tenant;
};

struct Prepared {
  std::string path;
  std::string body;
  http::Headers headers = {};  // e.g. a Content-Type other than application/json
};

struct Scenario {
  int success_status;
  // True when the request names objects of the owner tenant (in its path or body): a caller from
  // another tenant must then get 404, never the object.
  bool names_owner_objects;
  std::function<Prepared(World&, const Caller&)> prepare;
  // True when callers scoped to their teams' customers (agents) are refused with 403 despite the permission.
  bool refuses_team_scoped = false;
};

std::string CreateIn(World& world, const std::string& path, const json& body) {
  auto response = world.harness.Send("POST", path, body.dump(), world.owner_admin);
  EXPECT_EQ(response.status, 201) << path << " " << response.body;
  return BodyOf(response).value("id", "");
}

std::string NextUserId() {
  static int counter = 0;
  return "matrix-user-" + std::to_string(++counter);
}

// A new customer with a case in the service team, so that agents of that team may act on it.
std::string ServicedCustomer(World& world) {
  const std::string customer = CreateIn(world, "/api/v1/customers", {{"name", "Serviced " + NextUserId()}});
  CreateIn(world, "/api/v1/cases", {{"customer_id", customer}, {"subject", "Help"}, {"channel", "email"},
                                    {"team_id", world.service_team_id}});
  return customer;
}

std::string NewTeam(World& world) {
  static int counter = 0;
  return CreateIn(world, "/api/v1/teams", {{"name", "Team " + std::to_string(++counter)}});
}

std::map<std::string, Scenario> Scenarios() {
  auto fixed = [](std::string path, std::string body = "") {
    return [path, body](World&, const Caller&) { return Prepared{path, body}; };
  };
  auto owner_path = [](std::string prefix, std::string World::*member, std::string suffix = "") {
    return [=](World& world, const Caller&) { return Prepared{prefix + world.*member + suffix, ""}; };
  };
  auto other_user = [](std::string suffix, std::string body = "") {
    return [=](World& world, const Caller&) {
      auto user = world.harness.CreateUser(world.owner, Role::kAgent);
      return Prepared{"/api/v1/users/" + user.id + suffix, body};
    };
  };
  const std::string password(ApiHarness::kPassword);
  std::map<std::string, Scenario> scenarios{
      {"POST /api/v1/auth/logout", {204, false, fixed("/api/v1/auth/logout")}},
      {"GET /api/v1/auth/session", {200, false, fixed("/api/v1/auth/session")}},
      {"POST /api/v1/auth/password",
       {204, false, fixed("/api/v1/auth/password", json{{"current_password", password}, {"new_password", "another long secret"}}.dump())}},
      {"POST /api/v1/auth/totp/setup", {200, false, fixed("/api/v1/auth/totp/setup")}},
      {"POST /api/v1/auth/totp/confirm",
       {204, false,
        [](World& world, const Caller& caller) {
          auto setup = world.harness.Send("POST", "/api/v1/auth/totp/setup", "", caller.credentials);
          const std::string secret = BodyOf(setup).value("secret", "");
          return Prepared{"/api/v1/auth/totp/confirm", json{{"totp_code", identity::TotpCode(secret, NowMicros())}}.dump()};
        }}},
      {"POST /api/v1/auth/totp/disable",
       {204, false, fixed("/api/v1/auth/totp/disable", json{{"current_password", password}}.dump())}},
      {"GET /api/v1/tenant", {200, false, fixed("/api/v1/tenant")}},
      {"PATCH /api/v1/tenant", {200, false, fixed("/api/v1/tenant", R"({"settings":{"locale":"cs"}})")}},
      {"GET /api/v1/users", {200, false, fixed("/api/v1/users")}},
      {"POST /api/v1/users",
       {201, false,
        [password](World&, const Caller&) {
          static int counter = 0;
          return Prepared{"/api/v1/users", json{{"email", "new" + std::to_string(++counter) + "@x.example"},
                                                {"name", "New"}, {"role", "agent"}, {"password", password}}.dump()};
        }}},
      {"GET /api/v1/users/{id}", {200, true, owner_path("/api/v1/users/", &World::owner_admin_id)}},
      {"PATCH /api/v1/users/{id}", {200, true, other_user("", R"({"name":"Renamed"})")}},
      {"GET /api/v1/users/{id}/sessions", {200, true, other_user("/sessions")}},
      {"DELETE /api/v1/users/{id}/sessions", {204, true, other_user("/sessions")}},
      {"GET /api/v1/teams", {200, false, fixed("/api/v1/teams")}},
      {"POST /api/v1/teams",
       {201, false, [](World&, const Caller&) {
          static int counter = 0;
          return Prepared{"/api/v1/teams", json{{"name", "Created " + std::to_string(++counter)}}.dump()};
        }}},
      {"GET /api/v1/teams/{id}", {200, true, owner_path("/api/v1/teams/", &World::service_team_id)}},
      {"PATCH /api/v1/teams/{id}",
       {200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/teams/" + NewTeam(world), R"({"description":"d"})"}; }}},
      {"DELETE /api/v1/teams/{id}",
       {204, true, [](World& world, const Caller&) { return Prepared{"/api/v1/teams/" + NewTeam(world), ""}; }}},
      {"PUT /api/v1/teams/{id}/members/{user_id}",
       {204, true, [](World& world, const Caller&) {
          auto user = world.harness.CreateUser(world.owner, Role::kAgent);
          return Prepared{"/api/v1/teams/" + NewTeam(world) + "/members/" + user.id, ""};
        }}},
      {"DELETE /api/v1/teams/{id}/members/{user_id}",
       {204, true, [](World& world, const Caller&) {
          auto user = world.harness.CreateUser(world.owner, Role::kAgent);
          const std::string team = NewTeam(world);
          world.harness.Send("PUT", "/api/v1/teams/" + team + "/members/" + user.id, "", world.owner_admin);
          return Prepared{"/api/v1/teams/" + team + "/members/" + user.id, ""};
        }}},
      {"GET /api/v1/api-keys", {200, false, fixed("/api/v1/api-keys")}},
      {"POST /api/v1/api-keys", {201, false, fixed("/api/v1/api-keys", R"({"name":"k","scope":"ingest"})")}},
      {"DELETE /api/v1/api-keys/{id}",
       {200, true, [](World& world, const Caller& caller) {
          // Callers revoke their own key; a caller from another tenant tries the owner admin's.
          const Credentials& owner = caller.in_owner_tenant ? caller.credentials : world.owner_admin;
          auto created = world.harness.Send("POST", "/api/v1/api-keys", R"({"name":"k","scope":"full"})", owner);
          std::string id = BodyOf(created).value("id", "");
          if (id.empty()) {  // the caller may not create keys at all: aim at the admin's
            id = BodyOf(world.harness.Send("POST", "/api/v1/api-keys", R"({"name":"k","scope":"full"})", world.owner_admin))
                     .value("id", "");
          }
          return Prepared{"/api/v1/api-keys/" + id, ""};
        }}},
      {"GET /api/v1/audit", {200, false, fixed("/api/v1/audit")}},
      {"GET /api/v1/customers", {200, false, fixed("/api/v1/customers")}},
      {"POST /api/v1/customers",
       {201, false, [](World&, const Caller&) {
          static int counter = 0;  // e-mails identify one customer each
          return Prepared{"/api/v1/customers",
                          json{{"name", "Jana Nováková"}, {"email", "jana" + std::to_string(++counter) + "@example.cz"}}.dump()};
        }}},
      {"GET /api/v1/customers/{id}", {200, true, owner_path("/api/v1/customers/", &World::customer_id)}},
      {"PATCH /api/v1/customers/{id}",
       {200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/customers/" + world.customer_id, R"({"name":"Jana N."})"}; }}},
      {"GET /api/v1/cases", {200, false, fixed("/api/v1/cases")}},
      {"POST /api/v1/cases",
       {201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases", json{{"customer_id", world.customer_id}, {"subject", "Parcel is late"},
                                                {"channel", "email"}, {"team_id", world.service_team_id}}.dump()};
        }}},
      {"GET /api/v1/cases/{id}", {200, true, owner_path("/api/v1/cases/", &World::case_id)}},
      {"PATCH /api/v1/cases/{id}",
       {200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/cases/" + world.case_id, R"({"priority":"high"})"}; }}},
      {"GET /api/v1/feedback", {200, false, fixed("/api/v1/feedback")}},
      {"POST /api/v1/feedback", {201, false, fixed("/api/v1/feedback", R"({"survey":"checkout","metric":"csat","score":4})")}},
      {"GET /api/v1/feedback/{id}", {200, true, owner_path("/api/v1/feedback/", &World::feedback_id)}},
      {"GET /api/v1/analytics/summary", {200, false, fixed("/api/v1/analytics/summary")}},
      {"POST /api/v1/imports/{kind}",
       {200, false,
        [](World&, const Caller&) {
          return Prepared{"/api/v1/imports/customers", "user_id,name\r\n" + NextUserId() + ",Imported\r\n",
                          {{"Content-Type", "text/csv"}}};
        },
        true}},
      {"GET /api/v1/exports/{kind}", {200, false, fixed("/api/v1/exports/customers?format=jsonl"), true}},
      {"POST /v1/batch",
       {200, false, [](World&, const Caller&) {
          return Prepared{"/v1/batch", json{{"batch", {{{"type", "track"}, {"userId", NextUserId()}, {"event", "Signed Up"}}}}}.dump()};
        }}},
      {"POST /v1/identify",
       {200, false, [](World&, const Caller&) {
          return Prepared{"/v1/identify", json{{"userId", NextUserId()}, {"traits", {{"plan", "pro"}}}}.dump()};
        }}},
      {"POST /v1/track",
       {200, false, [](World&, const Caller&) {
          return Prepared{"/v1/track", json{{"userId", NextUserId()}, {"event", "Order Completed"}, {"properties", {{"revenue", 12.5}}}}.dump()};
        }}},
      {"POST /v1/page",
       {200, false, [](World&, const Caller&) { return Prepared{"/v1/page", json{{"anonymousId", NextUserId()}, {"name", "Home"}}.dump()}; }}},
      {"POST /v1/screen",
       {200, false, [](World&, const Caller&) { return Prepared{"/v1/screen", json{{"anonymousId", NextUserId()}, {"name", "Cart"}}.dump()}; }}},
      {"POST /v1/group",
       {200, false, [](World&, const Caller&) {
          return Prepared{"/v1/group", json{{"userId", NextUserId()}, {"groupId", "acme-corp"}, {"traits", {{"employees", 20}}}}.dump()};
        }}},
      {"POST /v1/alias",
       {200, false, [](World&, const Caller&) {
          return Prepared{"/v1/alias", json{{"userId", NextUserId()}, {"previousId", NextUserId()}}.dump()};
        }}},
      {"POST /api/v1/events",
       {200, false, [](World&, const Caller&) {
          return Prepared{"/api/v1/events", json{{"type", "track"}, {"name", "Signed Up"}, {"customer", {{"user_id", NextUserId()}}}}.dump()};
        }}},
      {"GET /api/v1/events",
       {200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/events?customer_id=" + world.customer_id, ""}; }}},
      {"GET /api/v1/events/{id}", {200, true, owner_path("/api/v1/events/", &World::event_id)}},
      {"GET /api/v1/customers/{id}/timeline", {200, true, owner_path("/api/v1/customers/", &World::customer_id, "/timeline")}},
      {"POST /api/v1/customers/{id}/notes",
       {201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/customers/" + world.customer_id + "/notes", R"({"body":"Prefers e-mail."})"};
        }}},
      {"GET /api/v1/customers/{id}/merges", {200, true, owner_path("/api/v1/customers/", &World::customer_id, "/merges")}},
      {"POST /api/v1/customers/{id}/merge",
       {201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/customers/" + world.customer_id + "/merge",
                          json{{"customer_id", ServicedCustomer(world)}}.dump()};
        }}},
      {"POST /api/v1/merges/{id}/undo",
       {200, true, [](World& world, const Caller&) {
          const std::string merge_id =
              CreateIn(world, "/api/v1/customers/" + world.customer_id + "/merge", {{"customer_id", ServicedCustomer(world)}});
          return Prepared{"/api/v1/merges/" + merge_id + "/undo", ""};
        }}},
      {"GET /api/v1/customers/{id}/export", {200, true, owner_path("/api/v1/customers/", &World::customer_id, "/export")}},
      {"POST /api/v1/customers/{id}/erase",
       {200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/customers/" + ServicedCustomer(world) + "/erase", ""};
        }}},
  };
  // analytics.js's one-letter paths behave exactly like Segment's long ones.
  for (const auto& [long_path, short_path] : {std::pair{"/v1/batch", "/v1/b"}, {"/v1/identify", "/v1/i"},
                                              {"/v1/track", "/v1/t"}, {"/v1/page", "/v1/p"}, {"/v1/screen", "/v1/s"},
                                              {"/v1/group", "/v1/g"}, {"/v1/alias", "/v1/a"}}) {
    Scenario scenario = scenarios.at(std::string("POST ") + long_path);
    scenario.prepare = [prepare = scenario.prepare, path = std::string(short_path)](World& world, const Caller& caller) {
      Prepared prepared = prepare(world, caller);
      prepared.path = path;
      return prepared;
    };
    scenarios.emplace(std::string("POST ") + short_path, std::move(scenario));
  }
  return scenarios;
}

class PermissionMatrixTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PermissionMatrixTest, EveryRoleOnEveryEndpointInOwnAndOtherTenant) {
  ApiHarness harness(GetParam());
  World world{harness, harness.CreateTenant("owner"), {}, {}, {}, {}, {}, {}};
  const auto owner_admin = harness.CreateUser(world.owner, Role::kAdmin);
  world.owner_admin_id = owner_admin.id;
  world.owner_admin = harness.Login(world.owner, owner_admin.email);
  world.service_team_id = CreateIn(world, "/api/v1/teams", {{"name", "Service"}, {"kind", "service"}});
  world.customer_id = CreateIn(world, "/api/v1/customers", {{"name", "Petr Svoboda"}, {"email", "petr@example.cz"}});
  world.case_id = CreateIn(world, "/api/v1/cases", {{"customer_id", world.customer_id}, {"subject", "Refund"},
                                                    {"channel", "email"}, {"team_id", world.service_team_id}});
  world.feedback_id = CreateIn(world, "/api/v1/feedback", {{"survey", "nps"}, {"metric", "nps"}, {"score", 3}});
  // An event of the customer with the service team's case, so agents of that team may read it.
  auto ingested = harness.Send("POST", "/api/v1/events",
                               json{{"type", "track"}, {"name", "MatrixEvent"}, {"customer", {{"email", "petr@example.cz"}}}}.dump(),
                               world.owner_admin);
  ASSERT_EQ(ingested.status, 200) << ingested.body;
  const json listed = BodyOf(harness.Send("GET", "/api/v1/events?name=MatrixEvent", "", world.owner_admin));
  ASSERT_EQ(listed["items"].size(), 1u) << listed.dump();
  world.event_id = listed["items"][0].value("id", "");
  const std::string event_customer = listed["items"][0].value("customer_id", "");
  if (event_customer != world.customer_id) {  // identity resolution did not link the e-mail: give that profile a case too
    CreateIn(world, "/api/v1/cases", {{"customer_id", event_customer}, {"subject", "Events"}, {"channel", "email"},
                                      {"team_id", world.service_team_id}});
  }

  const TenantFixture other = harness.CreateTenant("other");
  const auto other_admin = harness.Login(other, harness.CreateUser(other, Role::kAdmin).email);
  auto other_service = BodyOf(harness.Send("POST", "/api/v1/teams", R"({"name":"Service","kind":"service"})", other_admin));

  const auto scenarios = Scenarios();
  int checked = 0;
  for (const EndpointInfo& endpoint : harness.api().endpoints()) {
    if (!endpoint.permission) continue;  // public: /healthz, /readyz, /metrics, openapi, login
    const std::string name = endpoint.method + " " + endpoint.pattern;
    const auto found = scenarios.find(name);
    ASSERT_NE(found, scenarios.end()) << name << " has no permission-matrix scenario";
    const Scenario& scenario = found->second;
    for (Role role : identity::AllRoles()) {
      for (bool own_tenant : {true, false}) {
        const TenantFixture& tenant = own_tenant ? world.owner : other;
        Caller caller{tenant, harness.CreateUser(tenant, role), {}, own_tenant};
        const std::string team_id = own_tenant ? world.service_team_id : other_service.value("id", "");
        harness.Send("PUT", "/api/v1/teams/" + team_id + "/members/" + caller.user.id, "",
                     own_tenant ? world.owner_admin : other_admin);
        caller.credentials = harness.Login(tenant, caller.user.email);

        const Prepared prepared = scenario.prepare(world, caller);
        identity::Principal principal;
        principal.role = role;
        int expected = scenario.success_status;
        if (!identity::HasPermission(principal, *endpoint.permission)) {
          expected = 403;
        } else if (scenario.refuses_team_scoped && identity::ScopedToOwnTeams(principal)) {
          expected = 403;
        } else if (!own_tenant && scenario.names_owner_objects) {
          expected = 404;
        }
        auto response = harness.Send(endpoint.method, prepared.path, prepared.body, caller.credentials, prepared.headers);
        EXPECT_EQ(response.status, expected)
            << name << " as " << identity::RoleName(role) << (own_tenant ? " (own tenant)" : " (other tenant)")
            << ": " << response.body;
        if (!own_tenant && response.status == 200) {
          EXPECT_EQ(response.body.find(world.customer_id), std::string::npos) << name << " leaked across tenants";
          EXPECT_EQ(response.body.find(world.case_id), std::string::npos) << name << " leaked across tenants";
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 300);
}

INSTANTIATE_TEST_SUITE_P(Backends, PermissionMatrixTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
