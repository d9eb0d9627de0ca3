// How endpoints are declared. Every endpoint is registered through a Registrar, which wraps it in the
// same pipeline, so no endpoint can skip a step:
//
//   authenticate (session cookie, or an API key as a Bearer token or as the HTTP Basic user name) →
//   CSRF check for cookie-authenticated writes → Require(permission) → per-caller rate limit →
//   gzip body decoding (Content-Encoding) → Idempotency-Key replay for POST → handler →
//   ErrorCode mapped to status and JSON error (http/errors.h)
//
// The first three steps run as the route's pre-body check (http::AdmitFn) when the request has a body,
// so that nobody unauthenticated gets a body read, spooled or decompressed. Event sources (Callers) are
// checked in the handler instead, so that their errors carry CORS headers: a credential in the header
// or the path before the body is decoded, a write key inside the body once that body, held to 512 KiB
// (decoded), is parsed.
//
// A handler receives a Call (the request, who is calling, an audit context) and returns a response or
// a Status. Handlers stay thin: parse with FieldReader, call domain code, render JSON.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/json_body.h"
#include "api/rate_limiter.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/pagination.h"
#include "http/metrics.h"
#include "http/router.h"
#include "identity/audit.h"
#include "identity/permissions.h"
#include "identity/sessions.h"
#include "store/store.h"

namespace tp::analytics {
class Engine;
}  // namespace tp::analytics

namespace tp::api {

struct ApiOptions {
  identity::LoginPolicy login;
  bool secure_cookies = false;         // add Secure to cookies (set when served over HTTPS)
  double requests_per_second = 50;     // per caller; <= 0 disables
  double request_burst = 500;
  double logins_per_second = 1;        // per client IP
  double login_burst = 10;
  // Bodies sent with Content-Encoding: gzip may decompress to at most this many bytes (413 beyond);
  // serve sets it to 8× the body limit, at most 64 MiB.
  std::size_t max_decoded_body = 8u << 20;
  // Authentication reads a known credential from here instead of the store (identity/credential_cache.h);
  // serve keeps it current through the change feed.
  identity::CredentialCache* credentials = nullptr;
  // Seals webhook secrets; without it (a test that needs no webhooks) creating one fails with 503.
  const SecretBox* secrets = nullptr;
  // The sender of e-mail the platform writes itself (POST /api/v1/mail/test); empty: no SMTP configured.
  std::string mail_from;
  // Survey respondents (no sign-in) per client address: opening a link, saving, submitting.
  double respondent_requests_per_second = 2;
  double respondent_burst = 60;
  // Where the respondent's page files are (web/ of a checkout: public/ and node_modules/).
  std::string web_root;
  // How respondents reach this server ("https://cx.example.com"), for the URLs of survey links.
  std::string public_url;
  // The in-memory analytics engine serve keeps current (analytics_source/); without it, or while it
  // loads, POST /api/v1/analytics/query answers 503.
  const analytics::Engine* analytics = nullptr;
};

struct Call {
  http::Request& request;
  identity::Principal principal;
  identity::AuditContext audit;
  Micros now;
};

// Who may call an endpoint from a web page. Event sources are called from any site and answer with
// Access-Control-Allow-Origin: *; an ingest key is public there anyway, and it can only send events.
// Their bodies are JSON whatever Content-Type says (only a charset other than UTF-8 is refused), as
// the SDKs label them: analytics.js sends text/plain (a "simple" request, no CORS preflight),
// RudderStack's Node SDK application/x-www-form-urlencoded for its gzip bodies.
enum class Callers {
  kSameOrigin,
  // Segment's libraries: the key in the Authorization header, or as `writeKey` in the JSON body.
  kBrowserEventSources,
  // Snowplow trackers, which cannot always set headers (the GET pixel): the key in the Authorization
  // header, or as the route's {write_key} path segment, which must then be an ingest key (a URL ends up
  // in proxies' logs and in page source). Every request counts as a write, GET too (CSRF).
  kTrackers,
};

class Registrar;
// Handlers are plain functions; the registrar passes itself for access to the store and options.
using Endpoint = Result<http::Response> (*)(Registrar&, Call&);
using PublicEndpoint = Result<http::Response> (*)(Registrar&, http::Request&);

// Where a registered endpoint documents itself for the permission-matrix test and docs/security.md.
struct EndpointInfo {
  std::string method;
  std::string pattern;
  std::optional<identity::Permission> permission;  // nullopt: public
};

class Registrar {
 public:
  Registrar(store::Store& store, http::Metrics& metrics, http::Router& router, const ApiOptions& options);

  store::Store& store() { return store_; }
  const ApiOptions& options() const { return options_; }
  http::Metrics& metrics() { return metrics_; }
  RateLimiter& login_limiter() { return login_limiter_; }
  RateLimiter& respondent_limiter() { return respondent_limiter_; }

  void Public(std::string method, std::string pattern, PublicEndpoint endpoint);
  void Protected(std::string method, std::string pattern, identity::Permission permission, Endpoint endpoint,
                 Callers callers = Callers::kSameOrigin);

  const std::vector<EndpointInfo>& endpoints() const { return endpoints_; }

 private:
  Result<http::Response> RunProtected(http::Request& request, identity::Permission permission, Endpoint endpoint,
                                      Callers callers);
  Result<http::Response> RunIdempotent(Call& call, Endpoint endpoint);
  http::Response Finish(const Result<http::Response>& result);

  store::Store& store_;
  http::Metrics& metrics_;
  http::Router& router_;
  const ApiOptions& options_;
  RateLimiter request_limiter_;
  RateLimiter login_limiter_;
  RateLimiter respondent_limiter_;
  std::vector<EndpointInfo> endpoints_;
};

// Small rendering helpers shared by the handlers.
http::Response JsonResponse(int status, const Json& body);
Result<PageRequest> PageFromQuery(const http::Request& request);
template <typename T, typename Render>
Json PageJson(const Page<T>& page, Render render) {
  Json items = Json::array();
  for (const T& item : page.items) items.push_back(render(item));
  return Json{{"items", std::move(items)},
              {"next_cursor", page.next_cursor.empty() ? Json(nullptr) : Json(page.next_cursor)}};
}
Json TimestampJson(std::optional<Micros> micros);
// An optional RFC 3339 query parameter; a malformed one is 400 naming the parameter.
Result<std::optional<Micros>> TimestampFromQuery(const http::Request& request, std::string_view name);
// The whole number in query parameter `name`, std::nullopt when absent; kInvalidArgument naming it when it
// is not a number from min to max.
Result<std::optional<std::int64_t>> IntFromQuery(const http::Request& request, std::string_view name, std::int64_t min,
                                                 std::int64_t max);

// Runs `fn` (store::TenantTx& → Result<Json>) in one transaction of the caller's tenant and answers
// `status` with the JSON it returns; any error rolls the transaction back and becomes the response.
template <typename Fn>
Result<http::Response> ReadJson(Registrar& registrar, const Call& call, int status, Fn&& fn) {
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(body, fn(tx));
    return Status::Ok();
  }));
  return JsonResponse(status, body);
}
template <typename Fn>
Result<http::Response> WriteJson(Registrar& registrar, const Call& call, int status, Fn&& fn) {
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(body, fn(tx));
    return Status::Ok();
  }));
  return JsonResponse(status, body);
}
// Parses an optional enum-valued field with one of the domain parsers; the error names the field.
template <typename T>
Result<std::optional<T>> ParseOptional(const std::optional<std::string>& text, Result<T> (*parse)(std::string_view),
                                       std::string_view field) {
  if (!text) return std::optional<T>();
  Result<T> parsed = parse(*text);
  if (!parsed.ok()) return InvalidArgument(parsed.status().message(), std::string(field));
  return std::optional<T>(*parsed);
}
// Reads a path parameter that must be an id with `prefix`; a malformed id is simply not found.
Result<std::string> PathId(const http::Request& request, std::string_view name, std::string_view prefix);

}  // namespace tp::api
