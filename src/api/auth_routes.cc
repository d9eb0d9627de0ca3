// Sign-in, sign-out, the current session, password change and TOTP second factor.
//
// A browser session is two cookies: tp_session (HttpOnly: the session token, never readable by
// scripts) and tp_csrf (readable, so the web app can echo it in X-CSRF-Token on every write). Both are
// SameSite=Strict; the CSRF check itself is in the Registrar pipeline.
#include "api/render.h"
#include "api/routes.h"
#include "identity/sessions.h"
#include "identity/totp.h"
#include "identity/users.h"

namespace tp::api {
namespace {

std::string Cookie(std::string_view name, std::string_view value, std::int64_t max_age_seconds, bool http_only,
                   bool secure) {
  std::string cookie = std::string(name) + "=" + std::string(value) +
                       "; Path=/; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
  if (http_only) cookie += "; HttpOnly";
  if (secure) cookie += "; Secure";
  return cookie;
}

Status RequireSession(const identity::Principal& principal) {
  if (principal.kind != identity::Principal::Kind::kSession) {
    return FailedPrecondition("this needs a signed-in user, not an API key");
  }
  return Status::Ok();
}

// Runs a write that checks the caller's current password; a wrong one counts towards lock-out, and a
// locked-out user is refused before the password is checked at all.
Status CountingWrongPasswords(Registrar& registrar, const Call& call,
                              const std::function<Status(store::TenantTx&)>& write) {
  Status status = registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(identity::CheckNotLockedOut(tx, call.principal.user_id, call.now));
    return write(tx);
  });
  if (status.field() == "current_password") {
    TP_RETURN_IF_ERROR(identity::CountPasswordFailure(registrar.store(), call.principal, registrar.options().login, call.now));
  }
  return status;
}

Result<http::Response> Login(Registrar& registrar, http::Request& request) {
  if (int wait = registrar.login_limiter().Acquire(request.remote_ip); wait > 0) {
    return Status(ErrorCode::kRateLimited, "too many sign-in attempts from this address").WithRetryAfter(wait);
  }
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(request));
  FieldReader fields(body);
  identity::LoginAttempt attempt;
  TP_ASSIGN_OR_RETURN(attempt.tenant_slug, fields.RequiredString("tenant", 63));
  TP_ASSIGN_OR_RETURN(attempt.email, fields.RequiredString("email", 254));
  TP_ASSIGN_OR_RETURN(attempt.password, fields.RequiredString("password", 256));
  TP_ASSIGN_OR_RETURN(auto totp_code, fields.OptionalString("totp_code", 10));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  attempt.totp_code = totp_code.value_or("");
  attempt.ip = request.remote_ip;
  attempt.user_agent = request.Header("User-Agent").value_or("").substr(0, 300);
  attempt.request_id = request.request_id;

  const Micros now = NowMicros();
  const auto& options = registrar.options();
  TP_ASSIGN_OR_RETURN(auto session, identity::Login(registrar.store(), attempt, options.login, now));
  const std::int64_t max_age = (session.expires_at - now) / 1'000'000;
  http::Response response = JsonResponse(200, Json{{"user", UserJson(session.user)},
                                                   {"csrf_token", session.csrf_token},
                                                   {"expires_at", TimestampJson(session.expires_at)}});
  response.set_cookies.push_back(Cookie("tp_session", session.token, max_age, true, options.secure_cookies));
  response.set_cookies.push_back(Cookie("tp_csrf", session.csrf_token, max_age, false, options.secure_cookies));
  return response;
}

Result<http::Response> Logout(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RequireSession(call.principal));
  TP_RETURN_IF_ERROR(identity::Logout(registrar.store(), call.principal));
  http::Response response = http::Response::NoContent();
  const bool secure = registrar.options().secure_cookies;
  response.set_cookies.push_back(Cookie("tp_session", "", 0, true, secure));
  response.set_cookies.push_back(Cookie("tp_csrf", "", 0, false, secure));
  return response;
}

Result<http::Response> CurrentSession(Registrar& registrar, Call& call) {
  Json body{{"tenant_id", call.principal.tenant_id},
            {"auth", call.principal.kind == identity::Principal::Kind::kSession ? "session" : "api_key"},
            {"role", identity::RoleName(call.principal.role)},
            {"team_ids", call.principal.team_ids}};
  Json permissions = Json::array();
  for (identity::Permission permission : identity::AllPermissions()) {
    if (identity::HasPermission(call.principal, permission)) permissions.push_back(identity::PermissionName(permission));
  }
  body["permissions"] = std::move(permissions);
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto user, identity::GetUser(tx, call.principal.user_id));
    body["user"] = UserJson(user);
    return Status::Ok();
  }));
  return JsonResponse(200, body);
}

Result<http::Response> ChangePassword(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RequireSession(call.principal));
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  TP_ASSIGN_OR_RETURN(std::string current, fields.RequiredString("current_password", 256));
  TP_ASSIGN_OR_RETURN(std::string replacement, fields.RequiredString("new_password", 256));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_RETURN_IF_ERROR(CountingWrongPasswords(registrar, call, [&](store::TenantTx& tx) {
    return identity::ChangePassword(tx, call.audit, call.principal.user_id, current, replacement,
                                    call.principal.session_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> BeginTotp(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RequireSession(call.principal));
  std::string secret, email;
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto user, identity::GetUser(tx, call.principal.user_id));
    email = user.email;
    TP_ASSIGN_OR_RETURN(secret, identity::BeginTotpEnrollment(tx, call.audit, call.principal.user_id));
    return Status::Ok();
  }));
  return JsonResponse(200, Json{{"secret", secret}, {"otpauth_uri", identity::TotpUri("touchpoint", email, secret)}});
}

Result<http::Response> ConfirmTotp(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RequireSession(call.principal));
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  TP_ASSIGN_OR_RETURN(std::string code, fields.RequiredString("totp_code", 10));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return identity::ConfirmTotpEnrollment(tx, call.audit, call.principal.user_id, code, call.now);
  }));
  return http::Response::NoContent();
}

Result<http::Response> DisableTotp(Registrar& registrar, Call& call) {
  TP_RETURN_IF_ERROR(RequireSession(call.principal));
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  TP_ASSIGN_OR_RETURN(std::string password, fields.RequiredString("current_password", 256));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_RETURN_IF_ERROR(CountingWrongPasswords(registrar, call, [&](store::TenantTx& tx) {
    return identity::DisableTotp(tx, call.audit, call.principal.user_id, password);
  }));
  return http::Response::NoContent();
}

}  // namespace

void RegisterAuthRoutes(Registrar& registrar) {
  using identity::Permission;
  registrar.Public("POST", "/api/v1/auth/login", Login);
  // Any signed-in user of the tenant holds tenant:read, so it is the permission of the self-service endpoints.
  registrar.Protected("POST", "/api/v1/auth/logout", Permission::kTenantRead, Logout);
  registrar.Protected("GET", "/api/v1/auth/session", Permission::kTenantRead, CurrentSession);
  registrar.Protected("POST", "/api/v1/auth/password", Permission::kTenantRead, ChangePassword);
  registrar.Protected("POST", "/api/v1/auth/totp/setup", Permission::kTenantRead, BeginTotp);
  registrar.Protected("POST", "/api/v1/auth/totp/confirm", Permission::kTenantRead, ConfirmTotp);
  registrar.Protected("POST", "/api/v1/auth/totp/disable", Permission::kTenantRead, DisableTotp);
}

}  // namespace tp::api
