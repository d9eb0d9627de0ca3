// Behaviour of the API pipeline through Api::Handle on every backend: error statuses and bodies,
// sessions and CSRF, lock-out, TOTP, API key scopes and revocation, audit entries, idempotency and the
// OpenAPI document's coverage of the router.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "api/api_test_support.h"
#include "identity/totp.h"

namespace tp::api::testing {
namespace {

using identity::Role;
using nlohmann::json;

class ApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  ApiTest() : harness_(GetParam()) {
    tenant_ = harness_.CreateTenant("acme");
    admin_user_ = harness_.CreateUser(tenant_, Role::kAdmin, "admin@acme.example");
    admin_ = harness_.Login(tenant_, admin_user_.email);
  }


  ApiHarness harness_;
  TenantFixture tenant_;
  identity::User admin_user_;
  Credentials admin_;
};

TEST_P(ApiTest, MalformedJsonNamesThePosition) {
  auto response = harness_.Send("POST", "/api/v1/teams", R"({"name": "x",,})", admin_);
  ExpectError(response, 400, "malformed_json");
  EXPECT_NE(BodyOf(response)["error"]["message"].get<std::string>().find("byte 14"), std::string::npos)
      << response.body;
}

TEST_P(ApiTest, WrongTypeAndUnknownFieldNameTheField) {
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name": 42})", admin_), 400, "invalid_argument", "name");
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name": "Ops", "colour": "red"})", admin_), 400,
              "invalid_argument", "colour");
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({})", admin_), 400, "invalid_argument", "name");
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"([1,2])", admin_), 400, "invalid_argument");
  ExpectError(harness_.Send("GET", "/api/v1/users?limit=5000", "", admin_), 400, "invalid_argument", "limit");
}

TEST_P(ApiTest, WebhooksDeliveriesAndJobsRefuseBadInputNamingTheField) {
  const auto post = [&](std::string_view path, std::string_view body) {
    return harness_.Send("POST", std::string(path), std::string(body), admin_);
  };
  ExpectError(post("/api/v1/webhooks", R"({"kinds":["*"]})"), 400, "invalid_argument", "url");
  ExpectError(post("/api/v1/webhooks", R"({"url":"ftp://x.example/h","kinds":["*"]})"), 400, "invalid_argument", "url");
  ExpectError(post("/api/v1/webhooks", R"({"url":"https://u:p@x.example/h","kinds":["*"]})"), 400, "invalid_argument",
              "url");
  ExpectError(post("/api/v1/webhooks", R"({"url":"https://x.example/h","kinds":[]})"), 400, "invalid_argument", "kinds");
  ExpectError(post("/api/v1/webhooks", R"({"url":"https://x.example/h","kinds":["job.scheduled"]})"), 400,
              "invalid_argument", "kinds");
  ExpectError(post("/api/v1/webhooks", R"({"url":"https://x.example/h","kinds":"*"})"), 400, "invalid_argument",
              "kinds");
  ExpectError(post("/api/v1/webhooks", R"({"url":"https://x.example/h","kinds":["*"],"secret":"mine"})"), 400,
              "invalid_argument", "secret");
  ExpectError(post("/api/v1/mail/test", R"({"to":"not an address"})"), 400, "invalid_argument", "to");
  ExpectError(post("/api/v1/mail/test", R"({"to":"a@b.cz>\r\nRCPT TO:<x@y.cz"})"), 400, "invalid_argument", "to");
  ExpectError(harness_.Send("GET", "/api/v1/deliveries?state=lost", "", admin_), 400, "invalid_argument", "state");
  ExpectError(harness_.Send("GET", "/api/v1/jobs?state=sleeping", "", admin_), 400, "invalid_argument", "state");
  ExpectError(harness_.Send("GET", "/api/v1/webhooks/whk_nope", "", admin_), 404, "not_found");
  ExpectError(harness_.Send("GET", "/api/v1/deliveries/dlv_01ARZ3NDEKTSV4RRFFQ69G5FAV", "", admin_), 404, "not_found");

  // The signing secret is in the creation answer only.
  const auto created = post("/api/v1/webhooks", R"({"url":"https://x.example/h","kinds":["customer.*"]})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(BodyOf(created)["secret"].get<std::string>().starts_with("whsec_"));
  const json listed = BodyOf(harness_.Send("GET", "/api/v1/webhooks", "", admin_));
  ASSERT_EQ(listed["items"].size(), 1u);
  EXPECT_FALSE(listed["items"][0].contains("secret"));
}

TEST_P(ApiTest, DeeplyNestedAndInvalidUtf8BodiesAreRejected) {
  std::string deep = R"({"name": "x", "description": )" + std::string(100, '[') + std::string(100, ']') + "}";
  ExpectError(harness_.Send("POST", "/api/v1/teams", deep, admin_), 400, "invalid_argument");
  ExpectError(harness_.Send("POST", "/api/v1/teams", "{\"name\": \"\xff\xfe\"}", admin_), 400, "malformed_json");
}

TEST_P(ApiTest, WrongContentTypeIs415) {
  http::Headers headers{{"Content-Type", "text/plain"}};
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", admin_, headers), 415,
              "unsupported_media_type");
}

TEST_P(ApiTest, MissingAuthIs401AndForbiddenIs403) {
  ExpectError(harness_.Send("GET", "/api/v1/users"), 401, "unauthenticated");
  ExpectError(harness_.Send("GET", "/api/v1/users", "", Credentials{.session_token = "forged"}), 401,
              "unauthenticated");
  ExpectError(harness_.Send("GET", "/api/v1/users", "", Credentials{.api_key = "tpk_nonsense"}), 401,
              "unauthenticated");
  const Credentials viewer = harness_.LoginAs(tenant_, Role::kViewer);
  ExpectError(harness_.Send("GET", "/api/v1/users", "", viewer), 403, "forbidden");
}

TEST_P(ApiTest, UnknownIdIs404AndUnknownRouteIs404And405ListsAllowedMethods) {
  ExpectError(harness_.Send("GET", "/api/v1/users/usr_00000000000000000000000000", "", admin_), 404, "not_found");
  ExpectError(harness_.Send("GET", "/api/v1/users/../../etc/passwd", "", admin_), 404, "not_found");
  ExpectError(harness_.Send("GET", "/api/v1/nothing-here", "", admin_), 404, "not_found");
  auto response = harness_.Send("PUT", "/api/v1/users", "", admin_);
  ExpectError(response, 405, "method_not_allowed");
  EXPECT_NE(response.headers["Allow"].find("GET"), std::string::npos);
}

TEST_P(ApiTest, DuplicateIsConflict) {
  const json user{{"email", "dup@acme.example"}, {"name", "Dup"}, {"role", "agent"}, {"password", "long enough pw"}};
  EXPECT_EQ(harness_.Send("POST", "/api/v1/users", user.dump(), admin_).status, 201);
  ExpectError(harness_.Send("POST", "/api/v1/users", user.dump(), admin_), 409, "conflict", "email");
}

TEST_P(ApiTest, RateLimitIs429WithRetryAfter) {
  ApiOptions options = ApiHarness::DefaultOptions();
  options.requests_per_second = 0.5;
  options.request_burst = 2;
  ApiHarness limited(GetParam(), options);
  const auto tenant = limited.CreateTenant("limited");
  const Credentials admin = limited.LoginAs(tenant, Role::kAdmin);
  EXPECT_EQ(limited.Send("GET", "/api/v1/users", "", admin).status, 200);
  EXPECT_EQ(limited.Send("GET", "/api/v1/users", "", admin).status, 200);
  auto response = limited.Send("GET", "/api/v1/users", "", admin);
  ExpectError(response, 429, "rate_limited");
  EXPECT_GE(std::stoi(response.headers["Retry-After"]), 1);
}

TEST_P(ApiTest, StoreDownIs503WithoutInternals) {
  EXPECT_EQ(harness_.Send("GET", "/readyz").status, 200);
  harness_.store().Close();
  auto ready = harness_.Send("GET", "/readyz");
  ExpectError(ready, 503, "unavailable");
  EXPECT_EQ(BodyOf(ready)["error"]["message"], "the store is not ready") << "the store's own error is logged only";
  auto response = harness_.Send("GET", "/api/v1/users", "", admin_);
  ExpectError(response, 503, "unavailable");
  EXPECT_EQ(response.body.find("SELECT"), std::string::npos);
  EXPECT_TRUE(response.headers.contains("Retry-After")) << "every 503 says when to come back";
  EXPECT_TRUE(ready.headers.contains("Retry-After"));
  EXPECT_EQ(harness_.Send("GET", "/healthz").status, 200);
}

// SQLite refuses writes once the disk is full while reads go on: the instance is then not ready.
TEST_P(ApiTest, ReadyzIsNotReadyWhileTheStoreRefusesWrites) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "the full-disk state is the SQLite store's";
  EXPECT_EQ(harness_.Send("GET", "/readyz").status, 200);
  // Write functions run on the writer's connection; capping its database at the pages it has makes the
  // next write that needs a page fail as on a full disk (SQLITE_FULL).
  const auto pragma = [this](std::string_view statement) {
    return harness_.store().WriteSystem([&](store::SystemTx& tx) { return tx.ExecuteScript(statement); });
  };
  ASSERT_TRUE(pragma("PRAGMA max_page_count = 1").ok());
  const Status full = pragma("CREATE TABLE disk_filler (x); INSERT INTO disk_filler VALUES (randomblob(1000000))");
  EXPECT_EQ(full.code(), ErrorCode::kUnavailable) << full.ToString();
  auto ready = harness_.Send("GET", "/readyz");
  ExpectError(ready, 503, "unavailable");
  EXPECT_GE(std::stoi(ready.headers.at("Retry-After")), 1);
  EXPECT_EQ(harness_.Send("GET", "/api/v1/users", "", admin_).status, 200) << "reads go on";
  // A write that succeeds shows there is space again.
  ASSERT_TRUE(pragma("PRAGMA max_page_count = 1073741823").ok());
  EXPECT_EQ(harness_.Send("GET", "/readyz").status, 200);
}

// The server gives Api::Admit the header alone before it reads a body (http::AdmitFn): a caller who may
// not import is refused before a byte of the file is spooled, and an admitted one is named for the
// server's per-caller upload slots.
TEST_P(ApiTest, ImportsAreAdmittedFromTheHeaderBeforeTheBodyIsRead) {
  const auto import_request = [](const Credentials& as, bool with_csrf = true) {
    http::Request request;
    request.method = "POST";
    request.path = "/api/v1/imports/customers";
    request.headers["Content-Type"] = "text/csv";
    if (!as.session_token.empty()) request.headers["Cookie"] = "tp_session=" + as.session_token;
    if (with_csrf) request.headers["X-CSRF-Token"] = as.csrf_token;
    return request;
  };
  http::Request stranger = import_request({});
  EXPECT_EQ(harness_.api().Admit(stranger).status().code(), ErrorCode::kUnauthenticated);
  http::Request viewer = import_request(harness_.LoginAs(tenant_, Role::kViewer));
  EXPECT_EQ(harness_.api().Admit(viewer).status().code(), ErrorCode::kPermissionDenied);
  http::Request without_csrf = import_request(admin_, /*with_csrf=*/false);
  EXPECT_EQ(harness_.api().Admit(without_csrf).status().code(), ErrorCode::kPermissionDenied);
  http::Request admin = import_request(admin_);
  const Result<http::Admission> admitted = harness_.api().Admit(admin);
  ASSERT_TRUE(admitted.ok()) << admitted.status().ToString();
  EXPECT_EQ(admitted->caller, admin_user_.id);
  // Public routes are left to their handlers.
  http::Request login;
  login.method = "POST";
  login.path = "/api/v1/auth/login";
  EXPECT_TRUE(harness_.api().Admit(login).ok());
}

TEST_P(ApiTest, LoginSetsStrictHttpOnlyCookieAndWritesNeedCsrf) {
  auto response = harness_.Send("POST", "/api/v1/auth/login",
                                json{{"tenant", "acme"}, {"email", admin_user_.email}, {"password", ApiHarness::kPassword}}.dump());
  ASSERT_EQ(response.status, 200);
  ASSERT_EQ(response.set_cookies.size(), 2u);
  EXPECT_NE(response.set_cookies[0].find("HttpOnly"), std::string::npos);
  EXPECT_NE(response.set_cookies[0].find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(response.set_cookies[1].find("HttpOnly"), std::string::npos);  // the CSRF cookie is readable

  Credentials no_csrf = admin_;
  no_csrf.omit_csrf = true;
  EXPECT_EQ(harness_.Send("GET", "/api/v1/users", "", no_csrf).status, 200);
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", no_csrf), 403, "forbidden");
  Credentials wrong_csrf = admin_;
  wrong_csrf.csrf_token = "not-the-token";
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", wrong_csrf), 403, "forbidden");
  EXPECT_EQ(harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", admin_).status, 201);
}

TEST_P(ApiTest, LogoutEndsTheSession) {
  EXPECT_EQ(harness_.Send("POST", "/api/v1/auth/logout", "", admin_).status, 204);
  ExpectError(harness_.Send("GET", "/api/v1/auth/session", "", admin_), 401, "unauthenticated");
}

TEST_P(ApiTest, WrongPasswordAndUnknownUserLookTheSameAndRepeatedFailuresLockOut) {
  auto attempt = [&](const std::string& email, const std::string& password) {
    return harness_.Send("POST", "/api/v1/auth/login",
                         json{{"tenant", "acme"}, {"email", email}, {"password", password}}.dump());
  };
  auto unknown = attempt("nobody@acme.example", "whatever pw");
  auto wrong = attempt(admin_user_.email, "wrong password");
  ExpectError(unknown, 401, "unauthenticated");
  ExpectError(wrong, 401, "unauthenticated");
  EXPECT_EQ(BodyOf(unknown)["error"]["message"], BodyOf(wrong)["error"]["message"]);
  for (int failure = 0; failure < 4; ++failure) {
    attempt(admin_user_.email, "wrong password");
    attempt("nobody@acme.example", "whatever pw");
  }
  auto locked = attempt(admin_user_.email, std::string(ApiHarness::kPassword));
  ExpectError(locked, 429, "rate_limited");
  EXPECT_GE(std::stoi(locked.headers["Retry-After"]), 1);
  // An e-mail without an account locks the same way, so the answer does not tell which accounts exist.
  auto locked_unknown = attempt("NOBODY@acme.example", "whatever pw");
  ExpectError(locked_unknown, 429, "rate_limited");
  EXPECT_EQ(locked.headers["Retry-After"], locked_unknown.headers["Retry-After"]);
}

TEST_P(ApiTest, PasswordChangeEndsOtherSessionsButKeepsThisOne) {
  const Credentials other = harness_.Login(tenant_, admin_user_.email);
  const json change{{"current_password", ApiHarness::kPassword}, {"new_password", "a brand new secret"}};
  ExpectError(harness_.Send("POST", "/api/v1/auth/password",
                            json{{"current_password", "wrong"}, {"new_password", "a brand new secret"}}.dump(), admin_),
              400, "invalid_argument", "current_password");
  EXPECT_EQ(harness_.Send("POST", "/api/v1/auth/password", change.dump(), admin_).status, 204);
  EXPECT_EQ(harness_.Send("GET", "/api/v1/auth/session", "", admin_).status, 200);
  ExpectError(harness_.Send("GET", "/api/v1/auth/session", "", other), 401, "unauthenticated");
  harness_.Login(tenant_, admin_user_.email, "a brand new secret");
}

TEST_P(ApiTest, GuessingTheCurrentPasswordFromASessionLocksTheAccount) {
  const json wrong{{"current_password", "guess"}, {"new_password", "a brand new secret"}};
  for (int guess = 0; guess < 5; ++guess) {
    ExpectError(harness_.Send("POST", "/api/v1/auth/password", wrong.dump(), admin_), 400, "invalid_argument",
                "current_password");
  }
  const json right{{"current_password", ApiHarness::kPassword}, {"new_password", "a brand new secret"}};
  auto locked = harness_.Send("POST", "/api/v1/auth/password", right.dump(), admin_);
  ExpectError(locked, 429, "rate_limited");
  EXPECT_GE(std::stoi(locked.headers["Retry-After"]), 1);
  ExpectError(harness_.Send("POST", "/api/v1/auth/login",
                            json{{"tenant", "acme"}, {"email", admin_user_.email}, {"password", ApiHarness::kPassword}}.dump()),
              429, "rate_limited");
}

TEST_P(ApiTest, TotpSecondFactorIsRequiredOnceEnabled) {
  auto setup = harness_.Send("POST", "/api/v1/auth/totp/setup", "", admin_);
  ASSERT_EQ(setup.status, 200) << setup.body;
  const std::string secret = BodyOf(setup)["secret"];
  EXPECT_TRUE(BodyOf(setup)["otpauth_uri"].get<std::string>().starts_with("otpauth://totp/"));
  ExpectError(harness_.Send("POST", "/api/v1/auth/totp/confirm", json{{"totp_code", "000000"}}.dump(), admin_), 400,
              "invalid_argument", "totp_code");
  const Micros now = NowMicros();
  ASSERT_EQ(harness_.Send("POST", "/api/v1/auth/totp/confirm",
                          json{{"totp_code", identity::TotpCode(secret, now)}}.dump(), admin_).status,
            204);
  json login{{"tenant", "acme"}, {"email", admin_user_.email}, {"password", ApiHarness::kPassword}};
  ExpectError(harness_.Send("POST", "/api/v1/auth/login", login.dump()), 401, "unauthenticated", "totp_code");
  // The confirmation consumed the current step; the next one is accepted (±1 step window).
  login["totp_code"] = identity::TotpCode(secret, now + 30'000'000);
  EXPECT_EQ(harness_.Send("POST", "/api/v1/auth/login", login.dump()).status, 200);
}

TEST_P(ApiTest, ApiKeyIsShownOnceScopedAndRevocable) {
  const Credentials agent = harness_.LoginAs(tenant_, Role::kAgent);
  auto created = harness_.Send("POST", "/api/v1/api-keys", json{{"name", "crm sync"}, {"scope", "full"}}.dump(), agent);
  ASSERT_EQ(created.status, 201) << created.body;
  const Credentials full{.api_key = BodyOf(created)["token"]};
  const std::string key_id = BodyOf(created)["id"];
  auto listed = harness_.Send("GET", "/api/v1/api-keys", "", agent);
  EXPECT_EQ(listed.body.find(full.api_key), std::string::npos);  // never shown again
  EXPECT_NE(listed.body.find(key_id), std::string::npos);

  EXPECT_EQ(harness_.Send("GET", "/api/v1/users", "", full).status, 200);  // the agent may read users
  ExpectError(harness_.Send("POST", "/api/v1/users", "{}", full), 403, "forbidden");  // but not write them
  ExpectError(harness_.Send("POST", "/api/v1/api-keys", json{{"name", "x"}, {"scope", "full"}}.dump(), full), 403,
              "forbidden");  // keys do not mint keys
  EXPECT_FALSE(BodyOf(harness_.Send("GET", "/api/v1/api-keys", "", agent))["items"][0]["last_used_at"].is_null());

  const Credentials ingest = harness_.CreateApiKey(agent, "ingest");
  const json feedback{{"survey", "post-purchase"}, {"metric", "nps"}, {"score", 9}};
  EXPECT_EQ(harness_.Send("POST", "/api/v1/feedback", feedback.dump(), ingest).status, 201);
  ExpectError(harness_.Send("GET", "/api/v1/feedback", "", ingest), 403, "forbidden");
  ExpectError(harness_.Send("GET", "/api/v1/customers", "", ingest), 403, "forbidden");

  EXPECT_EQ(harness_.Send("DELETE", "/api/v1/api-keys/" + key_id, "", agent).status, 200);
  ExpectError(harness_.Send("GET", "/api/v1/users", "", full), 401, "unauthenticated");
}

TEST_P(ApiTest, ApiKeyLosesAccessWhenItsUserIsDisabled) {
  const identity::User agent_user = harness_.CreateUser(tenant_, Role::kAgent);
  const Credentials agent = harness_.Login(tenant_, agent_user.email);
  const Credentials key = harness_.CreateApiKey(agent, "full");
  EXPECT_EQ(harness_.Send("GET", "/api/v1/users", "", key).status, 200);
  EXPECT_EQ(harness_.Send("PATCH", "/api/v1/users/" + agent_user.id, R"({"disabled": true})", admin_).status, 200);
  ExpectError(harness_.Send("GET", "/api/v1/users", "", key), 401, "unauthenticated");
  ExpectError(harness_.Send("GET", "/api/v1/users", "", agent), 401, "unauthenticated");
}

TEST_P(ApiTest, WritesLeaveAuditEntriesWithBeforeAndAfterForSettings) {
  auto team = harness_.Send("POST", "/api/v1/teams", R"({"name":"Returns","kind":"service"})", admin_);
  ASSERT_EQ(team.status, 201);
  const std::string team_id = BodyOf(team)["id"];
  ASSERT_EQ(harness_.Send("PATCH", "/api/v1/tenant", R"({"settings":{"timezone":"Europe/Prague"}})", admin_).status, 200);

  auto audit = BodyOf(harness_.Send("GET", "/api/v1/audit", "", admin_));
  ASSERT_TRUE(audit["items"].is_array());
  bool saw_team = false, saw_settings = false;
  for (const json& entry : audit["items"]) {
    EXPECT_EQ(entry.dump().find("argon2"), std::string::npos);
    if (entry["target_id"] == team_id) {
      saw_team = true;
      EXPECT_EQ(entry["actor_id"], admin_user_.id);
      EXPECT_EQ(entry["actor_type"], "user");
    }
    if (entry["target_type"] == "tenant" && entry["action"] != "tenant.create") {
      saw_settings = true;
      EXPECT_NE(entry["after"].dump().find("Europe/Prague"), std::string::npos) << entry.dump();
      EXPECT_FALSE(entry["before"].is_null()) << entry.dump();
      EXPECT_EQ(entry["before"].dump().find("Europe/Prague"), std::string::npos) << entry.dump();
    }
  }
  EXPECT_TRUE(saw_team);
  EXPECT_TRUE(saw_settings);
  auto filtered = BodyOf(harness_.Send("GET", "/api/v1/audit?target_id=" + team_id, "", admin_));
  EXPECT_EQ(filtered["items"].size(), 1u);
  ExpectError(harness_.Send("GET", "/api/v1/audit?since=yesterday", "", admin_), 400, "invalid_argument", "since");
  ExpectError(harness_.Send("GET", "/api/v1/audit", "", harness_.LoginAs(tenant_, Role::kManager)), 403, "forbidden");
}

TEST_P(ApiTest, IdempotencyKeyReplaysTheFirstResponse) {
  const http::Headers key{{"Idempotency-Key", "create-ops-1"}};
  auto first = harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", admin_, key);
  auto second = harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", admin_, key);
  ASSERT_EQ(first.status, 201);
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(BodyOf(first)["id"], BodyOf(second)["id"]);
  EXPECT_EQ(second.headers["Idempotent-Replayed"], "true");
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name":"Other"})", admin_, key), 409, "conflict",
              "Idempotency-Key");
  EXPECT_EQ(BodyOf(harness_.Send("GET", "/api/v1/teams", "", admin_))["items"].size(), 1u);
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name":"X"})", admin_, {{"Idempotency-Key", std::string(300, 'k')}}),
              400, "invalid_argument", "Idempotency-Key");
}

TEST_P(ApiTest, ListsPageWithCursors) {
  for (int user_idx = 0; user_idx < 7; ++user_idx) harness_.CreateUser(tenant_, Role::kAgent);
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = BodyOf(harness_.Send("GET", "/api/v1/users?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), "", admin_));
    for (const json& user : page["items"]) EXPECT_TRUE(seen.insert(user["id"]).second);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(pages, 3);
}

TEST_P(ApiTest, OpenApiDocumentsEveryRoutedEndpoint) {
  auto response = harness_.Send("GET", "/api/v1/openapi.json");
  ASSERT_EQ(response.status, 200);
  const json document = BodyOf(response);
  EXPECT_EQ(document["openapi"], "3.1.0");
  for (const EndpointInfo& endpoint : harness_.api().endpoints()) {
    std::string method = endpoint.method;
    std::transform(method.begin(), method.end(), method.begin(), ::tolower);
    EXPECT_TRUE(document["paths"].contains(endpoint.pattern) && document["paths"][endpoint.pattern].contains(method))
        << endpoint.method << " " << endpoint.pattern << " is routed but missing from openapi.json";
  }
  // Generated clients name their methods after operationId: every operation has one, and no two share it.
  std::set<std::string> operation_ids;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      ASSERT_TRUE(operation.contains("operationId") && operation["operationId"].is_string())
          << method << " " << path << " has no operationId";
      EXPECT_TRUE(operation_ids.insert(operation["operationId"].get<std::string>()).second)
          << operation["operationId"] << " is used twice";
    }
  }
  // The GDPR access export is described, not a bare object.
  EXPECT_EQ(document["paths"]["/api/v1/customers/{id}/export"]["get"]["responses"]["200"]["content"]
                    ["application/json"]["schema"]["$ref"],
            "#/components/schemas/CustomerDataExport");
}

TEST_P(ApiTest, AQueryParameterTheEndpointDoesNotTakeIsA400NamingIt) {
  ExpectError(harness_.Send("GET", "/api/v1/customers?limt=5", "", admin_), 400, "invalid_argument", "limt");
  ExpectError(harness_.Send("GET", "/api/v1/teams?colour=red&limit=2", "", admin_), 400, "invalid_argument", "colour");
  ExpectError(harness_.Send("GET", "/api/v1/tenant?verbose=1", "", admin_), 400, "invalid_argument", "verbose");
  EXPECT_EQ(harness_.Send("GET", "/api/v1/teams?limit=2", "", admin_).status, 200);
}

TEST_P(ApiTest, OutOfRangeNumbersDuplicateKeysAndOtherCharsetsAreRejected) {
  ExpectError(harness_.Send("POST", "/api/v1/auth/login", R"({"tenant":"acme","email":"a@b.c","password":"x","totp_code":1e999999})"),
              400, "malformed_json");
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name":"a","name":"b"})", admin_), 400, "invalid_argument", "name");
  ExpectError(harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", admin_,
                            {{"Content-Type", "application/json; charset=utf-16"}}),
              415, "unsupported_media_type");
  EXPECT_EQ(harness_.Send("POST", "/api/v1/teams", R"({"name":"Ops"})", admin_,
                          {{"Content-Type", "Application/JSON; Charset=UTF-8"}}).status,
            201);
  EXPECT_EQ(BodyOf(harness_.Send("GET", "/api/v1/teams", "", admin_))["items"].size(), 1u);
}

TEST_P(ApiTest, AgentsOpenCasesOnlyForTheirTeamsCustomersOrNewOnes) {
  auto team = BodyOf(harness_.Send("POST", "/api/v1/teams", R"({"name":"Service","kind":"service"})", admin_));
  auto other = BodyOf(harness_.Send("POST", "/api/v1/teams", R"({"name":"Sales","kind":"sales"})", admin_));
  const identity::User agent_user = harness_.CreateUser(tenant_, Role::kAgent);
  harness_.Send("PUT", "/api/v1/teams/" + team["id"].get<std::string>() + "/members/" + agent_user.id, "", admin_);
  const Credentials agent = harness_.Login(tenant_, agent_user.email);
  auto foreign = BodyOf(harness_.Send("POST", "/api/v1/customers", R"({"name":"Foreign","email":"f@x.cz"})", admin_));
  harness_.Send("POST", "/api/v1/cases",
                json{{"customer_id", foreign["id"]}, {"subject", "s"}, {"team_id", other["id"]}}.dump(), admin_);

  // A customer served by another team stays out of reach, also through a case opened for them.
  ExpectError(harness_.Send("POST", "/api/v1/cases",
                            json{{"customer_id", foreign["id"]}, {"subject", "s"}, {"team_id", team["id"]}}.dump(), agent),
              404, "not_found", "customer_id");
  ExpectError(harness_.Send("GET", "/api/v1/customers/" + foreign["id"].get<std::string>(), "", agent), 404, "not_found");

  // A first contact: the case brings its new customer, who is then the agent's team's customer.
  auto opened = harness_.Send("POST", "/api/v1/cases",
                              json{{"customer", {{"name", "Nový Zákazník"}, {"email", "novy@example.cz"}}},
                                   {"subject", "Dotaz"}, {"team_id", team["id"]}}.dump(), agent);
  ASSERT_EQ(opened.status, 201) << opened.body;
  auto customer = harness_.Send("GET", "/api/v1/customers/" + BodyOf(opened)["customer_id"].get<std::string>(), "", agent);
  EXPECT_EQ(BodyOf(customer)["email"], "novy@example.cz") << customer.body;
  ExpectError(harness_.Send("POST", "/api/v1/cases", json{{"subject", "s"}, {"team_id", team["id"]}}.dump(), agent), 400,
              "invalid_argument", "customer_id");
  ExpectError(harness_.Send("POST", "/api/v1/cases",
                            json{{"customer", {{"emial", "x@y.cz"}}}, {"subject", "s"}, {"team_id", team["id"]}}.dump(), agent),
              400, "invalid_argument", "customer.emial");
}

TEST_P(ApiTest, IngestKeysCannotExceedTheirCreatorsRole) {
  const Credentials analyst = harness_.LoginAs(tenant_, Role::kAnalyst);
  const Credentials ingest = harness_.CreateApiKey(analyst, "ingest");
  ExpectError(harness_.Send("POST", "/api/v1/feedback", R"({"survey":"s","metric":"nps","score":1})", ingest), 403,
              "forbidden");
  const Credentials bearer_lowercase{.api_key = harness_.CreateApiKey(admin_, "full").api_key};
  EXPECT_EQ(harness_.Send("GET", "/api/v1/users", "", Credentials{}, {{"Authorization", "bearer " + bearer_lowercase.api_key}})
                .status,
            200);
  ExpectError(harness_.Send("GET", "/api/v1/api-keys?user_id=" + admin_user_.id, "", analyst), 403, "forbidden");
}

TEST_P(ApiTest, ATeamThatOwnsCasesCannotBeDeleted) {
  auto team = BodyOf(harness_.Send("POST", "/api/v1/teams", R"({"name":"Service"})", admin_));
  auto customer = BodyOf(harness_.Send("POST", "/api/v1/customers", R"({"name":"C"})", admin_));
  auto opened = BodyOf(harness_.Send("POST", "/api/v1/cases",
                                     json{{"customer_id", customer["id"]}, {"subject", "s"}, {"team_id", team["id"]}}.dump(), admin_));
  const std::string team_path = "/api/v1/teams/" + team["id"].get<std::string>();
  ExpectError(harness_.Send("DELETE", team_path, "", admin_), 409, "conflict");
  EXPECT_EQ(harness_.Send("PATCH", "/api/v1/cases/" + opened["id"].get<std::string>(), R"({"team_id":null})", admin_).status, 200);
  EXPECT_EQ(harness_.Send("DELETE", team_path, "", admin_).status, 204);
}

TEST_P(ApiTest, CaseTagsAreNormalizedAddedAndRemovedAndBadOnesNamed) {
  auto customer = BodyOf(harness_.Send("POST", "/api/v1/customers", R"({"name":"C"})", admin_));
  auto opened = BodyOf(harness_.Send("POST", "/api/v1/cases",
                                     json{{"customer_id", customer["id"]}, {"subject", "s"},
                                          {"tags", {"Damaged", "zásilka", "damaged"}}}.dump(), admin_));
  EXPECT_EQ(opened["tags"], json({"damaged", "zásilka"}));
  EXPECT_TRUE(opened["follow_up_of"].is_null());
  const std::string path = "/api/v1/cases/" + opened["id"].get<std::string>();
  auto patched = BodyOf(harness_.Send("PATCH", path, R"({"add_tags":["vip"],"remove_tags":["zásilka"]})", admin_));
  EXPECT_EQ(patched["tags"], json({"damaged", "vip"}));
  auto replaced = BodyOf(harness_.Send("PATCH", path, R"({"tags":[]})", admin_));
  EXPECT_EQ(replaced["tags"], json::array());
  ExpectError(harness_.Send("PATCH", path, R"({"add_tags":["two words"]})", admin_), 400, "invalid_argument", "add_tags");
  ExpectError(harness_.Send("PATCH", path, R"({"tags":"vip"})", admin_), 400, "invalid_argument", "tags");
  ExpectError(harness_.Send("PATCH", path, R"({"tags":["a,b"]})", admin_), 400, "invalid_argument", "tags");
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::api::testing
