#include "api/api_test_support.h"

#include <gtest/gtest.h>

#include "http/errors.h"
#include "identity/api_keys.h"
#include "identity/audit.h"
#include "identity/tenants.h"

namespace tp::api::testing {

ApiOptions ApiHarness::DefaultOptions() {
  ApiOptions options;
  options.login.password_limits = identity::PasswordHashLimits::Minimum();
  options.requests_per_second = 0;
  options.logins_per_second = 0;
  // Webhooks need a key to seal their secrets with; the test e-mail a sender (nothing is sent: no job runs).
  static const SecretBox secrets = SecretBox::WithRandomKey();
  options.secrets = &secrets;
  options.mail_from = "support@example.test";
  return options;
}

ApiHarness::ApiHarness(const std::string& backend, ApiOptions options)
    : database_(backend), options_(std::move(options)) {
  if (options_.analytics == nullptr) {
    analytics_.MarkLoaded();
    options_.analytics = &analytics_;
  }
  api_ = std::make_unique<Api>(database_.store(), metrics_, options_);
}

TenantFixture ApiHarness::CreateTenant(const std::string& slug) {
  TenantFixture fixture;
  Status status = store().WriteSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto tenant, identity::CreateTenant(tx, slug, slug + " Ltd"));
    fixture = {tenant.id, tenant.slug};
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return fixture;
}

identity::User ApiHarness::CreateUser(const TenantFixture& tenant, identity::Role role, const std::string& email) {
  identity::User created;
  identity::NewUser user;
  user.email = email.empty() ? std::string(identity::RoleName(role)) + "-" + std::to_string(++request_counter_) + "@" +
                                   tenant.slug + ".example"
                             : email;
  user.name = "Test " + std::string(identity::RoleName(role));
  user.role = role;
  user.password = std::string(kPassword);
  Status status = store().Write(tenant.id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(created, identity::CreateUser(tx, identity::AuditContext::System("test"), user,
                                                      identity::PasswordHashLimits::Minimum()));
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return created;
}

Credentials ApiHarness::Login(const TenantFixture& tenant, const std::string& email, const std::string& password) {
  const nlohmann::json body{{"tenant", tenant.slug}, {"email", email}, {"password", password}};
  http::Response response = Send("POST", "/api/v1/auth/login", body.dump());
  EXPECT_EQ(response.status, 200) << response.body;
  Credentials credentials;
  for (const std::string& cookie : response.set_cookies) {
    constexpr std::string_view kSession = "tp_session=";
    if (cookie.starts_with(kSession)) {
      credentials.session_token = cookie.substr(kSession.size(), cookie.find(';') - kSession.size());
    }
  }
  credentials.csrf_token = BodyOf(response).value("csrf_token", "");
  return credentials;
}

Credentials ApiHarness::LoginAs(const TenantFixture& tenant, identity::Role role) {
  return Login(tenant, CreateUser(tenant, role).email);
}

Credentials ApiHarness::CreateApiKey(const Credentials& owner, const std::string& scope) {
  http::Response response =
      Send("POST", "/api/v1/api-keys", nlohmann::json{{"name", "test"}, {"scope", scope}}.dump(), owner);
  EXPECT_EQ(response.status, 201) << response.body;
  Credentials credentials;
  credentials.api_key = BodyOf(response).value("token", "");
  return credentials;
}

Credentials ApiHarness::IssueApiKey(const TenantFixture& tenant, const identity::User& user,
                                    identity::ApiKeyScope scope) {
  identity::Principal creator;
  creator.tenant_id = tenant.id;
  creator.user_id = user.id;
  creator.role = user.role;
  Credentials credentials;
  const Status status = store().Write(tenant.id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto created, identity::CreateApiKey(tx, identity::AuditContext::System("test"), creator, "test", scope));
    credentials.api_key = created.secret_token;
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return credentials;
}

http::Response ApiHarness::Send(const std::string& method, const std::string& target, const std::string& body,
                                const Credentials& as, const http::Headers& extra_headers) {
  http::Request request;
  request.method = method;
  const auto question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) {
    std::string_view query(target);
    query.remove_prefix(question + 1);
    while (!query.empty()) {
      const auto amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const auto eq = pair.find('=');
      request.query.emplace(std::string(pair.substr(0, eq)),
                            eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  if (!body.empty()) request.headers["Content-Type"] = "application/json";
  request.remote_ip = "127.0.0.1";
  request.request_id = "test-" + std::to_string(++request_counter_);
  if (!as.session_token.empty()) {
    request.headers["Cookie"] = "tp_session=" + as.session_token;
    if (!as.omit_csrf) request.headers["X-CSRF-Token"] = as.csrf_token;
  }
  if (!as.api_key.empty()) request.headers["Authorization"] = "Bearer " + as.api_key;
  for (const auto& [name, value] : extra_headers) request.headers[name] = value;
  // As the server does: a request with a body is first admitted from its header alone.
  if (!body.empty()) {
    Result<http::Admission> admitted = api_->Admit(request);
    if (!admitted.ok()) return http::ErrorResponse(admitted.status());
    last_admission_ = *admitted;
  }
  request.body = body;
  return api_->Handle(request);
}

nlohmann::json BodyOf(const http::Response& response) {
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

void ExpectError(const http::Response& response, int status, std::string_view code, std::string_view field) {
  EXPECT_EQ(response.status, status) << response.body;
  const nlohmann::json body = BodyOf(response);
  ASSERT_TRUE(body.contains("error")) << response.body;
  EXPECT_EQ(body["error"]["code"], code) << response.body;
  EXPECT_TRUE(body["error"]["message"].is_string());
  if (!field.empty()) {
    EXPECT_EQ(body["error"]["field"], field) << response.body;
  }
}

}  // namespace tp::api::testing
