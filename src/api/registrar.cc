#include "api/registrar.h"

#include <cctype>
#include <charconv>
#include <set>

#include "api/api.h"
#include "api/customer_access.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "http/content_encoding.h"
#include "http/errors.h"
#include "identity/api_keys.h"
#include "store/idempotency.h"

namespace tp::api {
namespace {

constexpr std::string_view kSessionCookie = "tp_session";
constexpr std::string_view kApiKeyPrefix = "tpk_";
constexpr size_t kMaxIdempotencyKeyLength = 255;
// A body that carries its own write key is decoded and parsed before anyone is authenticated, so it
// is held to far less than the authenticated limit.
constexpr std::size_t kMaxBodyWithWriteKey = 512 * 1024;

// The query parameters openapi.json lists for an operation of the /api/v1 interface, so that the
// document and the check cannot disagree. std::nullopt for the other routes (Segment's and Snowplow's
// paths, health checks), which take what their clients send.
std::optional<std::set<std::string>> DocumentedQueryParameters(std::string method, std::string_view pattern) {
  if (!pattern.starts_with("/api/v1/")) return std::nullopt;
  static const Json kDocument = Json::parse(OpenApiDocument());
  for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::set<std::string> names;
  const Json operation = kDocument["paths"].value(std::string(pattern), Json::object()).value(method, Json::object());
  for (const Json& parameter : operation.value("parameters", Json::array())) {
    if (parameter.value("in", "") == "query") names.insert(parameter.value("name", ""));
  }
  return names;
}

// A query parameter the endpoint does not take is an error naming it: a misspelt filter that silently
// answers with every row is worse than a 400, and the body's unknown fields are refused the same way.
Status CheckQueryParameters(const http::Request& request, const std::optional<std::set<std::string>>& documented) {
  if (!documented) return Status::Ok();
  for (const auto& [name, value] : request.query) {
    if (documented->contains(name)) continue;
    std::string accepted;
    for (const std::string& known : *documented) accepted += (accepted.empty() ? "" : ", ") + known;
    return InvalidArgument("unknown query parameter '" + name + "'" +
                               (accepted.empty() ? "; this endpoint takes none" : "; this endpoint takes " + accepted),
                           name);
  }
  return Status::Ok();
}

bool IsUnsafeMethod(std::string_view method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

struct Authenticated {
  identity::Principal principal;
  std::string csrf_hash;  // empty for API keys, which are not sent automatically by browsers
};

// The API key of an Authorization header: "Bearer tpk_…", or "Basic base64(tpk_… + ':')" as Segment's
// libraries send their write key (the key as user name, an empty password). Schemes are case-insensitive.
Result<std::string> ApiKeyFromAuthorization(std::string_view authorization) {
  const auto space = authorization.find(' ');
  const std::string_view scheme = authorization.substr(0, space);
  std::string_view credentials = space == std::string_view::npos ? std::string_view() : authorization.substr(space + 1);
  while (credentials.starts_with(' ')) credentials.remove_prefix(1);
  while (credentials.ends_with(' ')) credentials.remove_suffix(1);
  std::string token;
  if (http::EqualsIgnoreCase(scheme, "Bearer") && !credentials.empty()) {
    token = std::string(credentials);
    if (!token.starts_with(kApiKeyPrefix)) return Unauthenticated("the bearer token is not an API key");
  } else if (http::EqualsIgnoreCase(scheme, "Basic") && !credentials.empty()) {
    std::string decoded;
    if (!Base64Decode(credentials, decoded)) return Unauthenticated("the Basic credentials are not valid base64");
    const auto colon = decoded.find(':');
    if (colon == std::string::npos || colon + 1 != decoded.size() || !decoded.starts_with(kApiKeyPrefix)) {
      return Unauthenticated("Basic credentials must be an API key as the user name and an empty password");
    }
    token = decoded.substr(0, colon);
  } else {
    return Unauthenticated("Authorization must be 'Bearer <API key>' or 'Basic <base64 of API key + \":\">'");
  }
  return token;
}

Result<Authenticated> Authenticate(store::Store& store, const http::Request& request, const ApiOptions& options,
                                   Micros now) {
  if (auto authorization = request.Header("Authorization")) {
    TP_ASSIGN_OR_RETURN(const std::string token, ApiKeyFromAuthorization(*authorization));
    TP_ASSIGN_OR_RETURN(auto principal, identity::AuthenticateApiKey(store, token, now, options.credentials));
    return Authenticated{std::move(principal), {}};
  }
  if (auto token = request.Cookie(kSessionCookie)) {
    TP_ASSIGN_OR_RETURN(auto session,
                        identity::AuthenticateSession(store, *token, options.login, now, options.credentials));
    return Authenticated{std::move(session.principal), std::move(session.csrf_hash)};
  }
  return Unauthenticated("sign in (POST /api/v1/auth/login) or send an API key as a Bearer token");
}

bool HasHeaderCredentials(const http::Request& request) {
  return request.Header("Authorization") || request.Cookie(kSessionCookie);
}

// A browser event source without an Authorization header or session names its write key in the body.
Result<Authenticated> AuthenticateFromBody(store::Store& store, const http::Request& request,
                                           const ApiOptions& options, Micros now) {
  const Status missing = Unauthenticated(
      "send the write key as the HTTP Basic user name, as writeKey in the JSON body, or as a Bearer token");
  const Result<Json> body = ParseJson(request.body);
  if (!body.ok() || !body->is_object()) return missing;
  const auto key = body->find("writeKey");
  if (key == body->end() || !key->is_string()) return missing;
  const std::string& token = key->get_ref<const std::string&>();
  if (!token.starts_with(kApiKeyPrefix)) return Unauthenticated("writeKey is not an API key");
  TP_ASSIGN_OR_RETURN(auto principal, identity::AuthenticateApiKey(store, token, now, options.credentials));
  return Authenticated{std::move(principal), {}};
}

// A tracker without an Authorization header names its key in the URL: /snowplow/{write_key}/….
Result<Authenticated> AuthenticateFromPath(store::Store& store, const http::Request& request,
                                           const ApiOptions& options, Micros now) {
  const std::string_view token = request.PathParam("write_key");
  if (token.empty()) {
    return Unauthenticated("send an ingest key as a Bearer token, or in the URL: /snowplow/<key>" + request.path);
  }
  if (!token.starts_with(kApiKeyPrefix)) return Unauthenticated("the key in the URL is not an API key");
  TP_ASSIGN_OR_RETURN(auto principal, identity::AuthenticateApiKey(store, std::string(token), now, options.credentials));
  if (principal.api_key_scope != identity::ApiKeyScope::kIngest) {
    return PermissionDenied("a key in a URL is public (proxies log it, pages show it): use an ingest key");
  }
  return Authenticated{std::move(principal), {}};
}

// Event sources' bodies are JSON whatever their label (Callers): any media type without parameters
// other than charset=utf-8, or none, is read as JSON.
void ReadEventBodyAsJson(http::Request& request) {
  const std::optional<std::string> content_type = request.Header("Content-Type");
  if (!content_type || Utf8MediaType(content_type)) request.headers["Content-Type"] = "application/json";
}

void AllowAnyOrigin(http::Response& response) {
  response.headers["Access-Control-Allow-Origin"] = "*";
  response.headers["Access-Control-Expose-Headers"] = "Retry-After";
}

// Replaces a compressed body by its decoded form, so handlers, idempotency fingerprints and the
// JSON parser only ever see plain bodies.
Status DecodeBody(http::Request& request, std::size_t max_decoded_body) {
  auto encoding = request.Header("Content-Encoding");
  if (!encoding) return Status::Ok();
  if (request.spooled_body) {
    return Status(ErrorCode::kUnsupportedMedia, "send file uploads uncompressed (no Content-Encoding)");
  }
  TP_ASSIGN_OR_RETURN(request.body, http::DecodeContentEncoding(encoding, std::move(request.body), max_decoded_body));
  request.headers.erase("Content-Encoding");
  return Status::Ok();
}

// `writes`: the route changes data whatever its method (a tracker's GET pixel).
Status CheckCsrf(const http::Request& request, const Authenticated& caller, bool writes) {
  if (caller.csrf_hash.empty() || !(writes || IsUnsafeMethod(request.method))) return Status::Ok();
  const auto token = request.Header("X-CSRF-Token");
  if (!token || !ConstantTimeEquals(Sha256Hex(*token), caller.csrf_hash)) {
    return PermissionDenied("missing or invalid X-CSRF-Token header for a cookie-authenticated write");
  }
  return Status::Ok();
}

Status CheckIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxIdempotencyKeyLength) {
    return InvalidArgument("Idempotency-Key must be 1 to 255 characters", "Idempotency-Key");
  }
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidArgument("Idempotency-Key must be printable ASCII", "Idempotency-Key");
    }
  }
  return Status::Ok();
}

// Who calls, and whether they may, from the header alone.
Result<Authenticated> AuthenticateAndRequire(store::Store& store, const http::Request& request,
                                             const ApiOptions& options, identity::Permission permission,
                                             Micros now, bool writes = false) {
  TP_ASSIGN_OR_RETURN(Authenticated caller, Authenticate(store, request, options, now));
  TP_RETURN_IF_ERROR(CheckCsrf(request, caller, writes));
  TP_RETURN_IF_ERROR(identity::Require(caller.principal, permission));
  return caller;
}

}  // namespace

Registrar::Registrar(store::Store& store, http::Metrics& metrics, http::Router& router, const ApiOptions& options)
    : store_(store),
      metrics_(metrics),
      router_(router),
      options_(options),
      request_limiter_(options.requests_per_second, options.request_burst),
      login_limiter_(options.logins_per_second, options.login_burst),
      respondent_limiter_(options.respondent_requests_per_second, options.respondent_burst) {}

void Registrar::Public(std::string method, std::string pattern, PublicEndpoint endpoint) {
  endpoints_.push_back({method, pattern, std::nullopt});
  auto query = DocumentedQueryParameters(method, pattern);
  router_.Add(std::move(method), std::move(pattern),
              [this, endpoint, query = std::move(query)](http::Request& request) {
                if (Status known = CheckQueryParameters(request, query); !known.ok()) return Finish(known);
                if (Status decoded = DecodeBody(request, options_.max_decoded_body); !decoded.ok()) return Finish(decoded);
                return Finish(endpoint(*this, request));
              });
}

void Registrar::Protected(std::string method, std::string pattern, identity::Permission permission,
                          Endpoint endpoint, Callers callers) {
  endpoints_.push_back({method, pattern, permission});
  const bool event_source = callers != Callers::kSameOrigin;
  if (event_source) {
    // The preflight a browser sends first when a page adds headers (Authorization, Content-Encoding).
    router_.Add("OPTIONS", pattern, [method](http::Request&) {
      http::Response response = http::Response::NoContent();
      AllowAnyOrigin(response);
      response.headers["Access-Control-Allow-Methods"] = method + ", OPTIONS";
      response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Content-Encoding";
      response.headers["Access-Control-Max-Age"] = "86400";
      return response;
    });
  }
  auto query = DocumentedQueryParameters(method, pattern);
  router_.Add(
      std::move(method), std::move(pattern),
      [this, permission, endpoint, callers, event_source, query = std::move(query)](http::Request& request) {
        if (Status known = CheckQueryParameters(request, query); !known.ok()) return Finish(known);
        http::Response response = Finish(RunProtected(request, permission, endpoint, callers));
        if (event_source) AllowAnyOrigin(response);
        return response;
      },
      // Event sources are left to the handler, whose errors carry the CORS headers that let a page read
      // them; it too authenticates a header credential before it decodes the body.
      event_source ? http::AdmitFn() : [this, permission](http::Request& request) -> Result<http::Admission> {
        TP_ASSIGN_OR_RETURN(Authenticated caller,
                            AuthenticateAndRequire(store_, request, options_, permission, NowMicros()));
        http::Admission admission{caller.principal.actor_id()};
        request.admitted = std::move(caller);  // RunProtected takes it from there
        return admission;
      });
}

Result<http::Response> Registrar::RunProtected(http::Request& request, identity::Permission permission,
                                               Endpoint endpoint, Callers callers) {
  const Micros now = NowMicros();
  const bool event_source = callers != Callers::kSameOrigin;
  if (event_source) ReadEventBodyAsJson(request);
  Authenticated caller;
  if (auto* admitted = std::any_cast<Authenticated>(&request.admitted)) {
    caller = std::move(*admitted);
  } else if (callers == Callers::kTrackers && !HasHeaderCredentials(request)) {
    TP_ASSIGN_OR_RETURN(caller, AuthenticateFromPath(store_, request, options_, now));
    TP_RETURN_IF_ERROR(identity::Require(caller.principal, permission));
  } else if (event_source && !HasHeaderCredentials(request)) {
    TP_RETURN_IF_ERROR(DecodeBody(request, kMaxBodyWithWriteKey));
    if (request.body.size() > kMaxBodyWithWriteKey) {
      return Status(ErrorCode::kPayloadTooLarge, "a body carrying its write key is limited to " +
                                                     std::to_string(kMaxBodyWithWriteKey) +
                                                     " bytes; send the key in the Authorization header instead");
    }
    TP_ASSIGN_OR_RETURN(caller, AuthenticateFromBody(store_, request, options_, now));
    TP_RETURN_IF_ERROR(identity::Require(caller.principal, permission));
  } else {  // no pre-body check ran: a request without a body, or from an event source
    TP_ASSIGN_OR_RETURN(caller, AuthenticateAndRequire(store_, request, options_, permission, now,
                                                       /*writes=*/callers == Callers::kTrackers));
  }
  if (int wait = request_limiter_.Acquire(caller.principal.actor_id()); wait > 0) {
    return Status(ErrorCode::kRateLimited, "too many requests; slow down").WithRetryAfter(wait);
  }
  TP_RETURN_IF_ERROR(DecodeBody(request, options_.max_decoded_body));
  Call call{request, std::move(caller.principal), {}, now};
  call.audit = identity::AuditContext::For(call.principal, request.request_id, request.remote_ip);
  Result<http::Response> result = request.method == "POST" && request.Header("Idempotency-Key")
                                      ? RunIdempotent(call, endpoint)
                                      : endpoint(*this, call);
  if (result.ok() || SeesContactData(call)) return result;
  // Error messages are an output too: any contact data in them is masked for callers who may not see it.
  const Status& error = result.status();
  const std::string field = profiles::ContactDataClassifier::IsContactText(error.field())
                                ? std::string(profiles::kMaskedContactData)
                                : error.field();
  Status masked(error.code(), profiles::ContactDataClassifier::MaskContactText(error.message()), field);
  if (!error.retry_after_seconds()) return masked;
  return std::move(masked).WithRetryAfter(*error.retry_after_seconds());
}

Result<http::Response> Registrar::RunIdempotent(Call& call, Endpoint endpoint) {
  const std::string key_text = *call.request.Header("Idempotency-Key");
  TP_RETURN_IF_ERROR(CheckIdempotencyKey(key_text));
  const store::IdempotencyKey key{call.principal.tenant_id, call.principal.actor_id(), key_text};
  const std::string fingerprint = Sha256Hex(call.request.method + " " + call.request.path + "\n" + call.request.body);
  TP_ASSIGN_OR_RETURN(auto remembered, store::ClaimIdempotencyKey(store_, key, fingerprint, call.now));
  if (remembered) {
    http::Response replay = http::Response::Json(remembered->status, remembered->body);
    replay.headers["Idempotent-Replayed"] = "true";
    return replay;
  }
  Result<http::Response> result = endpoint(*this, call);
  const http::Response response = result.ok() ? *result : http::ErrorResponse(result.status());
  if (response.status >= 500) {
    TP_RETURN_IF_ERROR(store::ReleaseIdempotencyKey(store_, key));
  } else {
    TP_RETURN_IF_ERROR(store::CompleteIdempotencyKey(store_, key, {response.status, response.body}));
  }
  return response;
}

http::Response Registrar::Finish(const Result<http::Response>& result) {
  if (result.ok()) return *result;
  if (result.status().code() == ErrorCode::kUnavailable) metrics_.CountStoreError();
  return http::ErrorResponse(result.status());
}

http::Response JsonResponse(int status, const Json& body) {
  return http::Response::Json(status, body.dump(-1, ' ', false, Json::error_handler_t::replace));
}

Result<PageRequest> PageFromQuery(const http::Request& request) {
  const auto cursor = request.QueryParam("cursor");
  const auto limit = request.QueryParam("limit");
  return PageRequest::Parse(cursor ? std::optional<std::string_view>(*cursor) : std::nullopt,
                            limit ? std::optional<std::string_view>(*limit) : std::nullopt);
}

Json TimestampJson(std::optional<Micros> micros) {
  return micros ? Json(FormatTimestamp(*micros)) : Json(nullptr);
}

Result<std::optional<Micros>> TimestampFromQuery(const http::Request& request, std::string_view name) {
  auto text = request.QueryParam(name);
  if (!text) return std::optional<Micros>();
  auto parsed = ParseTimestamp(*text);
  if (!parsed) return InvalidArgument(std::string(name) + " must be an RFC 3339 timestamp", std::string(name));
  return parsed;
}

Result<std::optional<std::int64_t>> IntFromQuery(const http::Request& request, std::string_view name, std::int64_t min,
                                                 std::int64_t max) {
  const auto text = request.QueryParam(name);
  if (!text) return std::optional<std::int64_t>();
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    return InvalidArgument(std::string(name) + " must be a whole number from " + std::to_string(min) + " to " +
                               std::to_string(max),
                           std::string(name));
  }
  return std::optional<std::int64_t>(value);
}

Result<std::string> PathId(const http::Request& request, std::string_view name, std::string_view prefix) {
  const std::string_view id = request.PathParam(name);
  if (!LooksLikeId(id, prefix)) return NotFound("no such " + std::string(name));
  return std::string(id);
}

}  // namespace tp::api
