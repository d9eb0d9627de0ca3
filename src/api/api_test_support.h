// An in-process harness for API tests: a fresh migrated store on one backend, the full Api, and
// helpers that build requests the way the HTTP server would and sign in the way a browser does.
// No sockets: the server itself is tested in http/, and end to end in tests/.
#pragma once

#include <memory>
#include <string>

#include "analytics/engine.h"
#include "api/api.h"
#include "identity/permissions.h"
#include "identity/users.h"
#include "store/testing.h"

namespace tp::api::testing {

struct Credentials {
  std::string session_token;  // sent as the tp_session cookie
  std::string csrf_token;     // sent as X-CSRF-Token on writes unless omit_csrf
  std::string api_key;        // sent as a Bearer token
  bool omit_csrf = false;
};

struct TenantFixture {
  std::string id;
  std::string slug;
};

class ApiHarness {
 public:
  explicit ApiHarness(const std::string& backend, ApiOptions options = DefaultOptions());

  static ApiOptions DefaultOptions();  // fast password hashing, no rate limits
  static constexpr std::string_view kPassword = "correct horse battery";

  Api& api() { return *api_; }
  // The analytics engine POST /api/v1/analytics/query reads, unless the options named another: empty
  // and loaded (tests fill it with analytics_source::LoadTenant).
  analytics::Engine& analytics() { return analytics_; }
  store::Store& store() { return database_.store(); }

  TenantFixture CreateTenant(const std::string& slug);
  identity::User CreateUser(const TenantFixture& tenant, identity::Role role, const std::string& email = "");
  // Signs in through POST /api/v1/auth/login; fails the test if that does not succeed.
  Credentials Login(const TenantFixture& tenant, const std::string& email, const std::string& password = std::string(kPassword));
  Credentials LoginAs(const TenantFixture& tenant, identity::Role role);
  Credentials CreateApiKey(const Credentials& owner, const std::string& scope);
  // A key of `user` made in the domain, not over the API, so that roles that may not create keys
  // themselves (viewers) get one too.
  Credentials IssueApiKey(const TenantFixture& tenant, const identity::User& user, identity::ApiKeyScope scope);

  // `target` is a path with an optional query string; `body` is sent as application/json when not empty.
  // A request with a body goes through Api::Admit with its header first, as the server sends it.
  http::Response Send(const std::string& method, const std::string& target, const std::string& body = "",
                      const Credentials& as = {}, const http::Headers& extra_headers = {});
  // What Api::Admit answered for the last request with a body that it admitted.
  const http::Admission& last_admission() const { return last_admission_; }

 private:
  store::TestDatabase database_;
  analytics::Engine analytics_;
  ApiOptions options_;
  http::Metrics metrics_;
  std::unique_ptr<Api> api_;
  int request_counter_ = 0;
  http::Admission last_admission_;
};

// The parsed JSON body of a response (null when the body is not JSON).
nlohmann::json BodyOf(const http::Response& response);
// Expects an error response: the status, {"error": {"code", "message", "field"}}, and the field when given.
void ExpectError(const http::Response& response, int status, std::string_view code, std::string_view field = {});

}  // namespace tp::api::testing
