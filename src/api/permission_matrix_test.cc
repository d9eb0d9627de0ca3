// The permission matrix, pinned and enforced end to end.
//
// kDocumentedMatrix is docs/security.md's role × permission table, copied here literally; the expected
// status of every request comes from it and from each scenario's literal permission, never from
// identity::HasPermission (the code under test), so a route registered with a weaker permission, or a
// role given one the document does not grant, fails. Every routed endpoint × every role × a session and
// API keys of both scopes × the caller's own tenant and another tenant is sent. A new endpoint without a
// scenario here fails the suite, and the document's tables are compared with this file and the router.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "api/api_test_support.h"
#include "identity/totp.h"

namespace tp::api::testing {
namespace {

using identity::ApiKeyScope;
using identity::Permission;
using identity::Role;
using nlohmann::json;
using P = Permission;

// docs/security.md, "Roles and the permission matrix". `roles` has one character per role in the order
// admin, manager, agent, analyst, viewer: 'x' holds the permission, '.' does not (an analyst's
// contact_data:read "only when granted" is '.': the grant is tested separately). `ingest_key`: an `ingest`
// key holds it when its creator's role does.
struct DocumentedPermission {
  Permission permission;
  std::string_view roles;
  bool ingest_key;
};
constexpr DocumentedPermission kDocumentedMatrix[] = {
    //                              admin .. viewer
    {P::kTenantRead,       "xxxxx", false},
    {P::kTenantWrite,      "x....", false},
    {P::kUsersRead,        "xxx..", false},
    {P::kUsersWrite,       "x....", false},
    {P::kTeamsRead,        "xxxx.", false},
    {P::kTeamsWrite,       "x....", false},
    {P::kApiKeysOwn,       "xxxx.", false},
    {P::kApiKeysAll,       "x....", false},
    {P::kAuditRead,        "x....", false},
    {P::kCustomersRead,    "xxxx.", false},
    {P::kCustomersWrite,   "xxx..", false},
    {P::kCustomersMerge,   "xxx..", false},
    {P::kCustomersUnmerge, "x....", false},
    {P::kPrivacyRequests,  "x....", false},
    {P::kContactDataRead,  "xxx..", false},
    {P::kCasesRead,        "xxx..", false},
    {P::kCasesReadAll,     "xx...", false},
    {P::kCasesWrite,       "xxx..", false},
    {P::kFeedbackRead,     "xxxx.", false},
    {P::kFeedbackWrite,    "xxx..", true},
    {P::kEventsIngest,     "xx...", true},
    {P::kAnalyticsRead,    "xx.xx", false},
    {P::kRulesWrite,       "xx...", false},
    {P::kIntegrationsManage, "x....", false},
    {P::kHelpdeskConfigure, "xx...", false},
};

// The routes anyone may call, without credentials.
const std::set<std::string> kPublicRoutes = {"POST /api/v1/auth/login",   "GET /healthz",
                                             "GET /readyz",               "GET /metrics",
                                             "GET /api/v1/openapi.json",  "GET /s/{token}",
                                             "GET /assets/survey/{file}", "GET /api/v1/respond/{token}",
                                             "PUT /api/v1/respond/{token}", "POST /api/v1/respond/{token}",
                                             "GET /s/{token}/opt-out",    "POST /api/v1/respond/{token}/opt-out",
                                             "GET /",                     "GET /app",
                                             "GET /app/{path1}",          "GET /app/{path1}/{path2}",
                                             "GET /app/{path1}/{path2}/{path3}"};

enum class CallerKind { kSession, kFullKey, kIngestKey };
constexpr CallerKind kCallerKinds[] = {CallerKind::kSession, CallerKind::kFullKey, CallerKind::kIngestKey};

std::string_view CallerKindName(CallerKind kind) {
  switch (kind) {
    case CallerKind::kSession: return "session";
    case CallerKind::kFullKey: return "full key";
    case CallerKind::kIngestKey: return "ingest key";
  }
  return "";
}

size_t RoleIndex(Role role) {
  const auto& roles = identity::AllRoles();
  return static_cast<size_t>(std::find(roles.begin(), roles.end(), role) - roles.begin());
}

const DocumentedPermission& DocumentedRow(Permission permission) {
  for (const DocumentedPermission& row : kDocumentedMatrix) {
    if (row.permission == permission) return row;
  }
  throw std::logic_error("kDocumentedMatrix lacks " + std::string(identity::PermissionName(permission)));
}

// What docs/security.md grants: the role's column, for keys narrowed by their scope ("Keys cannot create
// or revoke keys"; an `ingest` key only what its column says).
bool DocumentedGrant(Permission permission, Role role, CallerKind kind) {
  const DocumentedPermission& row = DocumentedRow(permission);
  const bool role_holds = row.roles.at(RoleIndex(role)) == 'x';
  switch (kind) {
    case CallerKind::kSession: return role_holds;
    case CallerKind::kFullKey: return role_holds && permission != P::kApiKeysOwn && permission != P::kApiKeysAll;
    case CallerKind::kIngestKey: return role_holds && row.ingest_key;
  }
  return false;
}

identity::Principal PrincipalOf(Role role, CallerKind kind) {
  identity::Principal principal;
  principal.role = role;
  if (kind != CallerKind::kSession) {
    principal.kind = identity::Principal::Kind::kApiKey;
    principal.api_key_scope = kind == CallerKind::kIngestKey ? ApiKeyScope::kIngest : ApiKeyScope::kFull;
  }
  return principal;
}

std::string ReadDoc(const std::string& name) {
  std::ifstream file(std::string(TP_DOCS_DIR) + "/" + name);
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_FALSE(text.str().empty()) << "cannot read docs/" << name;
  return text.str();
}

// The cells of the rows of the first markdown table after the line that starts with `header`; the
// table's header and separator rows are left out.
std::vector<std::vector<std::string>> TableAfter(const std::string& document, std::string_view header) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(document);
  std::string line;
  bool in_table = false;
  int skipped = 0;
  while (std::getline(lines, line)) {
    if (!in_table) {
      in_table = line.starts_with(header);
      continue;
    }
    if (!line.starts_with("|")) {
      if (skipped >= 2) break;
      continue;  // text between the header line and its table
    }
    if (++skipped <= 2) continue;
    std::vector<std::string> cells;
    std::istringstream row(line.substr(1));
    std::string cell;
    while (std::getline(row, cell, '|')) {
      const size_t first = cell.find_first_not_of(' ');
      cells.push_back(first == std::string::npos ? "" : cell.substr(first, cell.find_last_not_of(' ') - first + 1));
    }
    rows.push_back(std::move(cells));
  }
  return rows;
}

std::string FirstWord(const std::string& text) { return text.substr(0, text.find(' ')); }

TEST(DocumentedPermissions, MatchTheCodeForEveryRoleAndCallerKind) {
  ASSERT_EQ(std::size(kDocumentedMatrix), identity::AllPermissions().size());
  for (Permission permission : identity::AllPermissions()) {
    for (Role role : identity::AllRoles()) {
      for (CallerKind kind : kCallerKinds) {
        EXPECT_EQ(identity::HasPermission(PrincipalOf(role, kind), permission), DocumentedGrant(permission, role, kind))
            << identity::PermissionName(permission) << " for " << identity::RoleName(role) << " ("
            << CallerKindName(kind) << ")";
      }
    }
  }
  identity::Principal granted_analyst = PrincipalOf(Role::kAnalyst, CallerKind::kSession);
  granted_analyst.contact_data_granted = true;
  EXPECT_TRUE(identity::HasPermission(granted_analyst, P::kContactDataRead));
}

TEST(DocumentedPermissions, MatchDocsSecurityMd) {
  const auto rows = TableAfter(ReadDoc("security.md"), "## Roles and the permission matrix");
  ASSERT_EQ(rows.size(), std::size(kDocumentedMatrix));
  for (size_t row_idx = 0; row_idx < rows.size(); ++row_idx) {
    const auto& cells = rows[row_idx];
    const DocumentedPermission& expected = kDocumentedMatrix[row_idx];
    ASSERT_GE(cells.size(), 7u) << row_idx;
    EXPECT_EQ(FirstWord(cells[0]), identity::PermissionName(expected.permission));
    std::string roles;
    for (size_t column = 1; column <= 5; ++column) roles += cells[column].starts_with("✓") ? 'x' : '.';
    EXPECT_EQ(roles, expected.roles) << cells[0];
    EXPECT_EQ(cells[6].starts_with("✓"), expected.ingest_key) << cells[0];
  }
}

TEST(DocumentedEndpoints, ListEveryRouteWithItsPermission) {
  std::map<std::string, std::string> documented;  // "METHOD /pattern" -> permission name or "public"
  for (const auto& cells : TableAfter(ReadDoc("security.md"), "Endpoints and the permission each needs")) {
    ASSERT_GE(cells.size(), 2u);
    for (size_t tick = cells[0].find('`'); tick != std::string::npos; tick = cells[0].find('`', tick + 1)) {
      const size_t close = cells[0].find('`', tick + 1);
      ASSERT_NE(close, std::string::npos) << cells[0];
      const std::string route = cells[0].substr(tick + 1, close - tick - 1);
      EXPECT_TRUE(documented.emplace(route, FirstWord(cells[1])).second) << route << " is listed twice";
      tick = close;
    }
  }
  ApiHarness harness("sqlite");
  std::map<std::string, std::string> routed;
  for (const EndpointInfo& endpoint : harness.api().endpoints()) {
    routed[endpoint.method + " " + endpoint.pattern] =
        endpoint.permission ? std::string(identity::PermissionName(*endpoint.permission)) : "public";
  }
  EXPECT_EQ(documented, routed);
}

constexpr const char* kMatrixRule = R"({"name":"Detractors","trigger":"feedback.submitted","condition":"score <= 6",)"
                                   R"("actions":[{"type":"set_trait","name":"detractor","value":true}]})";

constexpr const char* kMatrixPdf = "%PDF-1.7 a refund form";
constexpr const char* kMatrixMacro = R"({"name":"Checked","note":{"body":"Checked by {{agent.name}}"}})";

// Objects of the owner tenant that requests refer to.
struct World {
  ApiHarness& harness;
  TenantFixture owner;
  Credentials owner_admin;
  std::string owner_admin_id;
  std::string service_team_id;
  std::string customer_id;
  std::string case_id;
  std::string attachment_id;  // of case_id
  std::string macro_id;
  std::string feedback_id;
  std::string survey_id;
  std::string survey_response_id;  // of the customer with the service team's case
  std::string event_id;  // of a customer with a case in the service team
  std::string webhook_id;
  std::string delivery_id;
  std::string job_id;
  std::string rule_id;
  std::string sla_calendar_id;
  std::string sla_policy_id;
};

struct Caller {
  TenantFixture tenant;
  identity::User user;
  CallerKind kind;
  Credentials credentials;
  bool in_owner_tenant;
};

struct Prepared {
  std::string path;
  std::string body;
  http::Headers headers = {};  // e.g. a Content-Type other than application/json
};

struct Scenario {
  Permission permission;  // the one the route must be registered with
  int success_status;
  // True when the request names objects of the owner tenant (in its path or body): a caller from
  // another tenant must then get 404, never the object.
  bool names_owner_objects;
  std::function<Prepared(World&, const Caller&)> prepare;
  // True when callers scoped to their teams' customers (agents) are refused with 403 despite the permission.
  bool refuses_team_scoped = false;
  // True for the routes of one's own session (sign-out, password, TOTP): an API key that holds the
  // permission gets 422, since there is no session to act on.
  bool needs_session = false;
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

// Custom field keys are unique per tenant, so each request defines its own.
std::string NextFieldKey() {
  static int counter = 0;
  return "matrix_field_" + std::to_string(++counter);
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

const json kMatrixCalendar =
    json::parse(R"({"name": "Office", "definition": {"time_zone": "UTC", "hours": {"mon": [["09:00", "17:00"]]}}})");
const json kMatrixPolicy = {{"name", "Standard"}, {"targets", {{"normal", {{"first_response_minutes", 60}}}}}};

const json kMatrixSurvey = {
    {"name", "Matrix"}, {"touchpoint", "web"}, {"stage", "purchase"}, {"status", "live"},
    {"definition", {{"elements", {{{"type", "rating"}, {"name", "recommend"}, {"rateMin", 0}, {"rateMax", 10}}}}}}};

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
      {"POST /api/v1/auth/logout", {P::kTenantRead, 204, false, fixed("/api/v1/auth/logout"), false, true}},
      {"GET /api/v1/auth/session", {P::kTenantRead, 200, false, fixed("/api/v1/auth/session")}},
      {"POST /api/v1/auth/password",
       {P::kTenantRead, 204, false, fixed("/api/v1/auth/password", json{{"current_password", password}, {"new_password", "another long secret"}}.dump()), false, true}},
      {"POST /api/v1/auth/totp/setup", {P::kTenantRead, 200, false, fixed("/api/v1/auth/totp/setup"), false, true}},
      {"POST /api/v1/auth/totp/confirm",
       {P::kTenantRead, 204, false,
        [](World& world, const Caller& caller) {
          auto setup = world.harness.Send("POST", "/api/v1/auth/totp/setup", "", caller.credentials);
          const std::string secret = BodyOf(setup).value("secret", "");
          return Prepared{"/api/v1/auth/totp/confirm", json{{"totp_code", identity::TotpCode(secret, NowMicros())}}.dump()};
        }, false, true}},
      {"POST /api/v1/auth/totp/disable",
       {P::kTenantRead, 204, false, fixed("/api/v1/auth/totp/disable", json{{"current_password", password}}.dump()), false, true}},
      {"GET /api/v1/tenant", {P::kTenantRead, 200, false, fixed("/api/v1/tenant")}},
      {"PATCH /api/v1/tenant", {P::kTenantWrite, 200, false, fixed("/api/v1/tenant", R"({"settings":{"locale":"cs"}})")}},
      {"GET /api/v1/users", {P::kUsersRead, 200, false, fixed("/api/v1/users")}},
      {"POST /api/v1/users",
       {P::kUsersWrite, 201, false,
        [password](World&, const Caller&) {
          static int counter = 0;
          return Prepared{"/api/v1/users", json{{"email", "new" + std::to_string(++counter) + "@x.example"},
                                                {"name", "New"}, {"role", "agent"}, {"password", password}}.dump()};
        }}},
      {"GET /api/v1/users/{id}", {P::kUsersRead, 200, true, owner_path("/api/v1/users/", &World::owner_admin_id)}},
      {"PATCH /api/v1/users/{id}", {P::kUsersWrite, 200, true, other_user("", R"({"name":"Renamed"})")}},
      {"GET /api/v1/users/{id}/sessions", {P::kUsersWrite, 200, true, other_user("/sessions")}},
      {"DELETE /api/v1/users/{id}/sessions", {P::kUsersWrite, 204, true, other_user("/sessions")}},
      {"GET /api/v1/teams", {P::kTeamsRead, 200, false, fixed("/api/v1/teams")}},
      {"POST /api/v1/teams",
       {P::kTeamsWrite, 201, false, [](World&, const Caller&) {
          static int counter = 0;
          return Prepared{"/api/v1/teams", json{{"name", "Created " + std::to_string(++counter)}}.dump()};
        }}},
      {"GET /api/v1/teams/{id}", {P::kTeamsRead, 200, true, owner_path("/api/v1/teams/", &World::service_team_id)}},
      {"PATCH /api/v1/teams/{id}",
       {P::kTeamsWrite, 200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/teams/" + NewTeam(world), R"({"description":"d"})"}; }}},
      {"DELETE /api/v1/teams/{id}",
       {P::kTeamsWrite, 204, true, [](World& world, const Caller&) { return Prepared{"/api/v1/teams/" + NewTeam(world), ""}; }}},
      {"PUT /api/v1/teams/{id}/members/{user_id}",
       {P::kTeamsWrite, 204, true, [](World& world, const Caller&) {
          auto user = world.harness.CreateUser(world.owner, Role::kAgent);
          return Prepared{"/api/v1/teams/" + NewTeam(world) + "/members/" + user.id, ""};
        }}},
      {"DELETE /api/v1/teams/{id}/members/{user_id}",
       {P::kTeamsWrite, 204, true, [](World& world, const Caller&) {
          auto user = world.harness.CreateUser(world.owner, Role::kAgent);
          const std::string team = NewTeam(world);
          world.harness.Send("PUT", "/api/v1/teams/" + team + "/members/" + user.id, "", world.owner_admin);
          return Prepared{"/api/v1/teams/" + team + "/members/" + user.id, ""};
        }}},
      {"GET /api/v1/api-keys", {P::kApiKeysOwn, 200, false, fixed("/api/v1/api-keys")}},
      {"POST /api/v1/api-keys", {P::kApiKeysOwn, 201, false, fixed("/api/v1/api-keys", R"({"name":"k","scope":"ingest"})")}},
      {"DELETE /api/v1/api-keys/{id}",
       {P::kApiKeysOwn, 200, true, [](World& world, const Caller& caller) {
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
      {"GET /api/v1/audit", {P::kAuditRead, 200, false, fixed("/api/v1/audit")}},
      {"GET /api/v1/customers", {P::kCustomersRead, 200, false, fixed("/api/v1/customers")}},
      {"POST /api/v1/customers",
       {P::kCustomersWrite, 201, false, [](World&, const Caller&) {
          static int counter = 0;  // e-mails identify one customer each
          return Prepared{"/api/v1/customers",
                          json{{"name", "Jana Nováková"}, {"email", "jana" + std::to_string(++counter) + "@example.cz"}}.dump()};
        }}},
      {"GET /api/v1/customers/{id}", {P::kCustomersRead, 200, true, owner_path("/api/v1/customers/", &World::customer_id)}},
      {"PATCH /api/v1/customers/{id}",
       {P::kCustomersWrite, 200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/customers/" + world.customer_id, R"({"name":"Jana N."})"}; }}},
      {"GET /api/v1/cases", {P::kCasesRead, 200, false, fixed("/api/v1/cases")}},
      {"POST /api/v1/cases",
       {P::kCasesWrite, 201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases", json{{"customer_id", world.customer_id}, {"subject", "Parcel is late"},
                                                {"channel", "email"}, {"team_id", world.service_team_id}}.dump()};
        }}},
      {"GET /api/v1/cases/{id}", {P::kCasesRead, 200, true, owner_path("/api/v1/cases/", &World::case_id)}},
      {"PATCH /api/v1/cases/{id}",
       {P::kCasesWrite, 200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/cases/" + world.case_id, R"({"priority":"high"})"}; }}},
      {"PATCH /api/v1/cases",
       {P::kCasesWrite, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases", json{{"case_ids", {world.case_id}}, {"add_tags", {"checked"}}}.dump()};
        }}},
      {"PUT /api/v1/cases/{id}/presence",
       {P::kCasesRead, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases/" + world.case_id + "/presence", R"({"activity":"viewing"})"};
        }}},
      {"DELETE /api/v1/cases/{id}/presence",
       {P::kCasesRead, 204, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases/" + world.case_id + "/presence", ""};
        }}},
      {"GET /api/v1/macros", {P::kCasesRead, 200, false, fixed("/api/v1/macros")}},
      {"POST /api/v1/macros", {P::kHelpdeskConfigure, 201, false, fixed("/api/v1/macros", kMatrixMacro)}},
      {"GET /api/v1/macros/{id}", {P::kCasesRead, 200, true, owner_path("/api/v1/macros/", &World::macro_id)}},
      {"PUT /api/v1/macros/{id}",
       {P::kHelpdeskConfigure, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/macros/" + world.macro_id, kMatrixMacro};
        }}},
      {"DELETE /api/v1/macros/{id}",
       {P::kHelpdeskConfigure, 204, true, [](World& world, const Caller&) {
          const auto created = world.harness.Send("POST", "/api/v1/macros", kMatrixMacro, world.owner_admin);
          return Prepared{"/api/v1/macros/" + BodyOf(created).value("id", ""), ""};
        }}},
      {"POST /api/v1/cases/{id}/macros/{macro_id}/preview",
       {P::kCasesRead, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases/" + world.case_id + "/macros/" + world.macro_id + "/preview", ""};
        }}},
      {"POST /api/v1/cases/{id}/macros/{macro_id}/apply",
       {P::kCasesWrite, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases/" + world.case_id + "/macros/" + world.macro_id + "/apply", ""};
        }}},
      {"POST /api/v1/cases/{id}/messages",
       {P::kCasesWrite, 201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases/" + world.case_id + "/messages", R"({"kind":"note","body":"Checked"})"};
        }}},
      {"GET /api/v1/cases/{id}/conversation",
       {P::kCasesRead, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/cases/" + world.case_id + "/conversation", ""};
        }}},
      {"POST /api/v1/attachments",
       {P::kCasesWrite, 201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/attachments?case_id=" + world.case_id + "&file_name=b.pdf", kMatrixPdf,
                          {{"Content-Type", "application/pdf"}}};
        }}},
      {"GET /api/v1/attachments/{id}/content",
       {P::kCasesRead, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/attachments/" + world.attachment_id + "/content", ""};
        }}},
      {"GET /api/v1/feedback", {P::kFeedbackRead, 200, false, fixed("/api/v1/feedback")}},
      {"POST /api/v1/feedback", {P::kFeedbackWrite, 201, false, fixed("/api/v1/feedback", R"({"survey":"checkout","metric":"csat","score":4})")}},
      {"GET /api/v1/feedback/{id}", {P::kFeedbackRead, 200, true, owner_path("/api/v1/feedback/", &World::feedback_id)}},
      {"GET /api/v1/analytics/summary", {P::kAnalyticsRead, 200, false, fixed("/api/v1/analytics/summary")}},
      {"POST /api/v1/analytics/query",
       {P::kAnalyticsRead, 200, false, fixed("/api/v1/analytics/query", R"({"metric":"nps","group_by":["touchpoint"],"bucket":"month"})")}},
      {"GET /api/v1/surveys", {P::kFeedbackRead, 200, false, fixed("/api/v1/surveys")}},
      {"POST /api/v1/surveys", {P::kRulesWrite, 201, false, fixed("/api/v1/surveys", kMatrixSurvey.dump())}},
      {"GET /api/v1/surveys/{id}", {P::kFeedbackRead, 200, true, owner_path("/api/v1/surveys/", &World::survey_id)}},
      {"PATCH /api/v1/surveys/{id}",
       {P::kRulesWrite, 200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/surveys/" + world.survey_id, R"({"name":"Renamed"})"}; }}},
      {"GET /api/v1/surveys/{id}/links", {P::kRulesWrite, 200, true, owner_path("/api/v1/surveys/", &World::survey_id, "/links")}},
      {"POST /api/v1/surveys/{id}/links",
       {P::kRulesWrite, 201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/surveys/" + world.survey_id + "/links", R"({"kind":"public"})"};
        }}},
      {"POST /api/v1/surveys/{id}/invitations",
       {P::kRulesWrite, 201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/surveys/" + world.survey_id + "/invitations",
                          json{{"customer_ids", {world.customer_id}}}.dump()};
        }}},
      {"GET /api/v1/survey-responses", {P::kFeedbackRead, 200, false, fixed("/api/v1/survey-responses")}},
      {"GET /api/v1/survey-responses/{id}",
       {P::kFeedbackRead, 200, true, owner_path("/api/v1/survey-responses/", &World::survey_response_id)}},
      {"POST /api/v1/imports/{kind}",
       {P::kCustomersWrite, 200, false,
        [](World&, const Caller&) {
          return Prepared{"/api/v1/imports/customers", "user_id,name\r\n" + NextUserId() + ",Imported\r\n",
                          {{"Content-Type", "text/csv"}}};
        },
        true}},
      {"GET /api/v1/exports/{kind}", {P::kCustomersRead, 200, false, fixed("/api/v1/exports/customers?format=jsonl"), true}},
      {"GET /api/v1/reviews", {P::kFeedbackRead, 200, false, fixed("/api/v1/reviews")}},
      {"POST /api/v1/imports/reviews",
       {P::kFeedbackWrite, 200, false,
        [](World&, const Caller&) {
          return Prepared{"/api/v1/imports/reviews", "source,rating,date,url\r\ngoogle,4,2026-11-20,https://g.example/r/1\r\n",
                          {{"Content-Type", "text/csv"}}};
        },
        true}},
      {"POST /api/v1/imports/responses",
       {P::kCustomersWrite, 200, true,
        [](World& world, const Caller&) {
          return Prepared{"/api/v1/imports/responses?survey=" + world.survey_id,
                          "user_id,nps,submitted_at\r\n" + NextUserId() + ",9,2024-03-01\r\n",
                          {{"Content-Type", "text/csv"}}};
        },
        true}},
      {"POST /v1/batch",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) {
          return Prepared{"/v1/batch", json{{"batch", {{{"type", "track"}, {"userId", NextUserId()}, {"event", "Signed Up"}}}}}.dump()};
        }}},
      {"POST /v1/identify",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) {
          return Prepared{"/v1/identify", json{{"userId", NextUserId()}, {"traits", {{"plan", "pro"}}}}.dump()};
        }}},
      {"POST /v1/track",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) {
          return Prepared{"/v1/track", json{{"userId", NextUserId()}, {"event", "Order Completed"}, {"properties", {{"revenue", 12.5}}}}.dump()};
        }}},
      {"POST /v1/page",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) { return Prepared{"/v1/page", json{{"anonymousId", NextUserId()}, {"name", "Home"}}.dump()}; }}},
      {"POST /v1/screen",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) { return Prepared{"/v1/screen", json{{"anonymousId", NextUserId()}, {"name", "Cart"}}.dump()}; }}},
      {"POST /v1/group",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) {
          return Prepared{"/v1/group", json{{"userId", NextUserId()}, {"groupId", "acme-corp"}, {"traits", {{"employees", 20}}}}.dump()};
        }}},
      {"POST /v1/alias",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) {
          return Prepared{"/v1/alias", json{{"userId", NextUserId()}, {"previousId", NextUserId()}}.dump()};
        }}},
      {"POST /com.snowplowanalytics.snowplow/tp2",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) {
          const json event{{"e", "se"}, {"uid", NextUserId()}, {"se_ca", "matrix"}, {"se_ac", "sent"}};
          return Prepared{"/com.snowplowanalytics.snowplow/tp2",
                          json{{"schema", "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"},
                               {"data", json::array({event})}}.dump()};
        }}},
      {"GET /i", {P::kEventsIngest, 200, false, [](World&, const Caller&) { return Prepared{"/i?e=pv&uid=" + NextUserId(), ""}; }}},
      {"POST /api/v1/events",
       {P::kEventsIngest, 200, false, [](World&, const Caller&) {
          return Prepared{"/api/v1/events", json{{"type", "track"}, {"name", "Signed Up"}, {"customer", {{"user_id", NextUserId()}}}}.dump()};
        }}},
      {"GET /api/v1/events",
       {P::kCustomersRead, 200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/events?customer_id=" + world.customer_id, ""}; }}},
      {"GET /api/v1/events/{id}", {P::kCustomersRead, 200, true, owner_path("/api/v1/events/", &World::event_id)}},
      {"GET /api/v1/customers/{id}/timeline", {P::kCustomersRead, 200, true, owner_path("/api/v1/customers/", &World::customer_id, "/timeline")}},
      {"POST /api/v1/customers/{id}/notes",
       {P::kCustomersWrite, 201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/customers/" + world.customer_id + "/notes", R"({"body":"Prefers e-mail."})"};
        }}},
      {"GET /api/v1/customers/{id}/merges", {P::kCustomersRead, 200, true, owner_path("/api/v1/customers/", &World::customer_id, "/merges")}},
      {"POST /api/v1/customers/{id}/merge",
       {P::kCustomersMerge, 201, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/customers/" + world.customer_id + "/merge",
                          json{{"customer_id", ServicedCustomer(world)}}.dump()};
        }}},
      {"POST /api/v1/merges/{id}/undo",
       {P::kCustomersUnmerge, 200, true, [](World& world, const Caller&) {
          const std::string merge_id =
              CreateIn(world, "/api/v1/customers/" + world.customer_id + "/merge", {{"customer_id", ServicedCustomer(world)}});
          return Prepared{"/api/v1/merges/" + merge_id + "/undo", ""};
        }}},
      {"GET /api/v1/customers/{id}/export", {P::kPrivacyRequests, 200, true, owner_path("/api/v1/customers/", &World::customer_id, "/export")}},
      {"GET /api/v1/webhooks", {P::kIntegrationsManage, 200, false, fixed("/api/v1/webhooks")}},
      {"POST /api/v1/webhooks",
       {P::kIntegrationsManage, 201, false,
        fixed("/api/v1/webhooks", R"({"url":"https://hooks.example.com/touchpoint","kinds":["customer.*"]})")}},
      {"GET /api/v1/webhooks/{id}", {P::kIntegrationsManage, 200, true, owner_path("/api/v1/webhooks/", &World::webhook_id)}},
      {"DELETE /api/v1/webhooks/{id}",
       {P::kIntegrationsManage, 204, true, [](World& world, const Caller&) {
          const std::string id = CreateIn(world, "/api/v1/webhooks", {{"url", "https://hooks.example.com/x"}, {"kinds", {"*"}}});
          return Prepared{"/api/v1/webhooks/" + id, ""};
        }}},
      {"GET /api/v1/deliveries", {P::kIntegrationsManage, 200, false, fixed("/api/v1/deliveries")}},
      {"GET /api/v1/deliveries/{id}", {P::kIntegrationsManage, 200, true, owner_path("/api/v1/deliveries/", &World::delivery_id)}},
      {"POST /api/v1/mail/test", {P::kIntegrationsManage, 202, false, fixed("/api/v1/mail/test", R"({"to":"ops@example.com"})")}},
      {"GET /api/v1/jobs", {P::kIntegrationsManage, 200, false, fixed("/api/v1/jobs")}},
      {"GET /api/v1/jobs/{id}", {P::kIntegrationsManage, 200, true, owner_path("/api/v1/jobs/", &World::job_id)}},
      {"GET /api/v1/rules", {P::kRulesWrite, 200, false, fixed("/api/v1/rules")}},
      {"POST /api/v1/rules", {P::kRulesWrite, 201, false, fixed("/api/v1/rules", kMatrixRule)}},
      {"POST /api/v1/rules/dry-run",
       {P::kRulesWrite, 200, false,
        fixed("/api/v1/rules/dry-run", R"({"trigger":"feedback.submitted","condition":"score <= 6",)"
                                       R"("actions":[{"type":"set_trait","name":"detractor","value":true}],"payload":{"score":3}})")}},
      {"GET /api/v1/rules/{id}", {P::kRulesWrite, 200, true, owner_path("/api/v1/rules/", &World::rule_id)}},
      {"PATCH /api/v1/rules/{id}",
       {P::kRulesWrite, 200, true, [](World& world, const Caller&) { return Prepared{"/api/v1/rules/" + world.rule_id, R"({"enabled":true})"}; }}},
      {"DELETE /api/v1/rules/{id}",
       {P::kRulesWrite, 204, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/rules/" + CreateIn(world, "/api/v1/rules", json::parse(kMatrixRule)), ""};
        }}},
      {"POST /api/v1/rules/{id}/dry-run",
       {P::kRulesWrite, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/rules/" + world.rule_id + "/dry-run", R"({"payload":{"score":3}})"};
        }}},
      {"GET /api/v1/rules/{id}/executions", {P::kRulesWrite, 200, true, owner_path("/api/v1/rules/", &World::rule_id, "/executions")}},
      {"GET /api/v1/rule-executions", {P::kRulesWrite, 200, false, fixed("/api/v1/rule-executions")}},
      {"GET /api/v1/sla/calendars", {P::kCasesRead, 200, false, fixed("/api/v1/sla/calendars")}},
      {"POST /api/v1/sla/calendars", {P::kHelpdeskConfigure, 201, false, fixed("/api/v1/sla/calendars", kMatrixCalendar.dump())}},
      {"GET /api/v1/sla/calendars/{id}", {P::kCasesRead, 200, true, owner_path("/api/v1/sla/calendars/", &World::sla_calendar_id)}},
      {"PATCH /api/v1/sla/calendars/{id}",
       {P::kHelpdeskConfigure, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/sla/calendars/" + world.sla_calendar_id, R"({"name":"Renamed"})"};
        }}},
      {"DELETE /api/v1/sla/calendars/{id}",
       {P::kHelpdeskConfigure, 204, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/sla/calendars/" + CreateIn(world, "/api/v1/sla/calendars", kMatrixCalendar), ""};
        }}},
      {"PUT /api/v1/teams/{id}/calendar",
       {P::kHelpdeskConfigure, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/teams/" + world.service_team_id + "/calendar",
                          json{{"calendar_id", world.sla_calendar_id}}.dump()};
        }}},
      {"GET /api/v1/case-fields", {P::kCasesRead, 200, false, fixed("/api/v1/case-fields")}},
      {"POST /api/v1/case-fields",
       {P::kHelpdeskConfigure, 201, false, [](World&, const Caller&) {
          return Prepared{"/api/v1/case-fields", json{{"key", NextFieldKey()}, {"label", "Order"}, {"kind", "text"}}.dump()};
        }}},
      {"PATCH /api/v1/case-fields/{key}",
       {P::kHelpdeskConfigure, 200, true, [](World& world, const Caller&) {
          const std::string key = NextFieldKey();
          CreateIn(world, "/api/v1/case-fields", {{"key", key}, {"label", "Matrix"}, {"kind", "number"}});
          return Prepared{"/api/v1/case-fields/" + key, R"({"label":"Renamed"})"};
        }}},
      {"GET /api/v1/me/availability", {P::kCasesWrite, 200, false, fixed("/api/v1/me/availability")}},
      {"PUT /api/v1/me/availability", {P::kCasesWrite, 200, false, fixed("/api/v1/me/availability", R"({"status":"away"})")}},
      {"PUT /api/v1/users/{id}/availability",
       {P::kHelpdeskConfigure, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/users/" + world.owner_admin_id + "/availability", R"({"capacity":5})"};
        }}},
      {"GET /api/v1/teams/{id}/assignment",
       {P::kCasesRead, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/teams/" + world.service_team_id + "/assignment", ""};
        }}},
      {"PUT /api/v1/teams/{id}/assignment",
       {P::kHelpdeskConfigure, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/teams/" + world.service_team_id + "/assignment", R"({"method":"least_loaded"})"};
        }}},
      {"GET /api/v1/sla/policies", {P::kCasesRead, 200, false, fixed("/api/v1/sla/policies")}},
      {"POST /api/v1/sla/policies", {P::kHelpdeskConfigure, 201, false, fixed("/api/v1/sla/policies", kMatrixPolicy.dump())}},
      {"GET /api/v1/sla/policies/{id}", {P::kCasesRead, 200, true, owner_path("/api/v1/sla/policies/", &World::sla_policy_id)}},
      {"PATCH /api/v1/sla/policies/{id}",
       {P::kHelpdeskConfigure, 200, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/sla/policies/" + world.sla_policy_id, R"({"name":"Renamed"})"};
        }}},
      {"DELETE /api/v1/sla/policies/{id}",
       {P::kHelpdeskConfigure, 204, true, [](World& world, const Caller&) {
          return Prepared{"/api/v1/sla/policies/" + CreateIn(world, "/api/v1/sla/policies", kMatrixPolicy), ""};
        }}},
      {"GET /api/v1/cases/{id}/sla", {P::kCasesRead, 200, true, owner_path("/api/v1/cases/", &World::case_id, "/sla")}},
      {"GET /api/v1/sla/attainment", {P::kCasesRead, 200, false, fixed("/api/v1/sla/attainment")}},
      {"POST /api/v1/customers/{id}/erase",
       {P::kPrivacyRequests, 200, true, [](World& world, const Caller&) {
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
  // Snowplow's paths under /snowplow/{write_key}: a credential in the header is the caller, as on the
  // collector's own paths (a key in the path alone is tested in event_routes_test.cc).
  for (const std::string route : {"POST /com.snowplowanalytics.snowplow/tp2", "GET /i"}) {
    Scenario scenario = scenarios.at(route);
    scenario.prepare = [prepare = scenario.prepare](World& world, const Caller& caller) {
      Prepared prepared = prepare(world, caller);
      prepared.path = "/snowplow/tpk_in_path_unused" + prepared.path;
      return prepared;
    };
    const auto space = route.find(' ');
    scenarios.emplace(route.substr(0, space + 1) + "/snowplow/{write_key}" + route.substr(space + 1), std::move(scenario));
  }
  return scenarios;
}

class PermissionMatrixTest : public ::testing::TestWithParam<std::string> {
 protected:
  ApiHarness harness_{GetParam()};
};

TEST_P(PermissionMatrixTest, EveryRoleAndCallerKindOnEveryEndpointInOwnAndOtherTenant) {
  ApiHarness& harness = harness_;
  World world{harness, harness.CreateTenant("owner"), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}};
  const auto owner_admin = harness.CreateUser(world.owner, Role::kAdmin);
  world.owner_admin_id = owner_admin.id;
  world.owner_admin = harness.Login(world.owner, owner_admin.email);
  world.service_team_id = CreateIn(world, "/api/v1/teams", {{"name", "Service"}, {"kind", "service"}});
  world.customer_id = CreateIn(world, "/api/v1/customers", {{"name", "Petr Svoboda"}, {"email", "petr@example.cz"}});
  world.case_id = CreateIn(world, "/api/v1/cases", {{"customer_id", world.customer_id}, {"subject", "Refund"},
                                                    {"channel", "email"}, {"team_id", world.service_team_id}});
  auto uploaded = harness.Send("POST", "/api/v1/attachments?case_id=" + world.case_id + "&file_name=a.pdf", kMatrixPdf,
                               world.owner_admin, {{"Content-Type", "application/pdf"}});
  ASSERT_EQ(uploaded.status, 201) << uploaded.body;
  world.attachment_id = BodyOf(uploaded).value("id", "");
  world.macro_id = CreateIn(world, "/api/v1/macros", json::parse(kMatrixMacro));
  // Feedback of the customer with the service team's case, so agents of that team may read it.
  world.feedback_id =
      CreateIn(world, "/api/v1/feedback",
               {{"survey", "nps"}, {"metric", "nps"}, {"score", 3}, {"customer_id", world.customer_id}});
  // A survey response of the same customer, through an invitation as a respondent answers it.
  world.survey_id = CreateIn(world, "/api/v1/surveys", kMatrixSurvey);
  auto invited = harness.Send("POST", "/api/v1/surveys/" + world.survey_id + "/links",
                              json{{"customer_id", world.customer_id}}.dump(), world.owner_admin);
  ASSERT_EQ(invited.status, 201) << invited.body;
  auto answered = harness.Send("POST", "/api/v1/respond/" + BodyOf(invited).value("token", ""),
                               R"({"data":{"recommend":3}})");
  ASSERT_EQ(answered.status, 201) << answered.body;
  world.survey_response_id = BodyOf(answered).value("response_id", "");
  world.webhook_id = CreateIn(world, "/api/v1/webhooks", {{"url", "https://hooks.example.com/w"}, {"kinds", {"*"}}});
  world.rule_id = CreateIn(world, "/api/v1/rules", json::parse(kMatrixRule));
  world.sla_calendar_id = CreateIn(world, "/api/v1/sla/calendars", kMatrixCalendar);
  world.sla_policy_id = CreateIn(world, "/api/v1/sla/policies", kMatrixPolicy);
  auto mailed = harness.Send("POST", "/api/v1/mail/test", R"({"to":"ops@example.com"})", world.owner_admin);
  ASSERT_EQ(mailed.status, 202) << mailed.body;
  world.delivery_id = BodyOf(mailed).value("id", "");
  const json jobs = BodyOf(harness.Send("GET", "/api/v1/jobs", "", world.owner_admin));
  ASSERT_FALSE(jobs["items"].empty()) << jobs.dump();
  world.job_id = jobs["items"][0].value("id", "");
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

  using CallerKey = std::tuple<Role, CallerKind, bool>;
  std::map<CallerKey, Caller> callers;
  auto NewCaller = [&](Role role, CallerKind kind, bool own_tenant) {
    const TenantFixture& tenant = own_tenant ? world.owner : other;
    Caller caller{tenant, harness.CreateUser(tenant, role), kind, {}, own_tenant};
    const std::string team_id = own_tenant ? world.service_team_id : other_service.value("id", "");
    harness.Send("PUT", "/api/v1/teams/" + team_id + "/members/" + caller.user.id, "",
                 own_tenant ? world.owner_admin : other_admin);
    caller.credentials =
        kind == CallerKind::kSession
            ? harness.Login(tenant, caller.user.email)
            : harness.IssueApiKey(tenant, caller.user,
                                  kind == CallerKind::kIngestKey ? ApiKeyScope::kIngest : ApiKeyScope::kFull);
    return caller;
  };

  const auto scenarios = Scenarios();
  std::set<std::string> public_routes;
  int checked = 0;
  for (const EndpointInfo& endpoint : harness.api().endpoints()) {
    const std::string name = endpoint.method + " " + endpoint.pattern;
    if (!endpoint.permission) {
      public_routes.insert(name);
      continue;
    }
    const auto found = scenarios.find(name);
    ASSERT_NE(found, scenarios.end()) << name << " has no permission-matrix scenario";
    const Scenario& scenario = found->second;
    EXPECT_EQ(identity::PermissionName(*endpoint.permission), identity::PermissionName(scenario.permission))
        << name << " is registered with another permission than documented";
    for (Role role : identity::AllRoles()) {
      for (CallerKind kind : kCallerKinds) {
        for (bool own_tenant : {true, false}) {
          // One caller per role, kind and tenant serves every endpoint, except the routes that change the
          // caller's own session or password, which get a caller of their own.
          const CallerKey key{role, kind, own_tenant};
          if (!scenario.needs_session && !callers.contains(key)) callers.emplace(key, NewCaller(role, kind, own_tenant));
          const Caller caller = scenario.needs_session ? NewCaller(role, kind, own_tenant) : callers.at(key);
          const Prepared prepared = scenario.prepare(world, caller);
          const bool scoped_to_teams =
              DocumentedGrant(P::kCasesRead, role, kind) && !DocumentedGrant(P::kCasesReadAll, role, kind);
          int expected = scenario.success_status;
          if (!DocumentedGrant(scenario.permission, role, kind)) {
            expected = 403;
          } else if (scenario.refuses_team_scoped && scoped_to_teams) {
            expected = 403;
          } else if (scenario.needs_session && kind != CallerKind::kSession) {
            expected = 422;
          } else if (!own_tenant && scenario.names_owner_objects) {
            expected = 404;
          }
          auto response = harness.Send(endpoint.method, prepared.path, prepared.body, caller.credentials, prepared.headers);
          EXPECT_EQ(response.status, expected)
              << name << " as " << identity::RoleName(role) << " (" << CallerKindName(kind) << ", "
              << (own_tenant ? "own tenant" : "other tenant") << "): " << response.body;
          if (!own_tenant && response.status == 200) {
            EXPECT_EQ(response.body.find(world.customer_id), std::string::npos) << name << " leaked across tenants";
            EXPECT_EQ(response.body.find(world.case_id), std::string::npos) << name << " leaked across tenants";
          }
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(public_routes, kPublicRoutes);
  EXPECT_GT(checked, 1000);
}

INSTANTIATE_TEST_SUITE_P(Backends, PermissionMatrixTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
