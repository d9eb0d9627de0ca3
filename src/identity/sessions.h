// Sign-in and browser sessions. Login checks the password (and TOTP code when enabled), applies the
// lock-out policy and starts a session; AuthenticateSession turns the session cookie back into a
// Principal on every request.
//
// A session has two random 32-byte tokens, stored only as SHA-256 digests: `token` (the HttpOnly
// cookie) and `csrf_token` (handed to the page, sent back as X-CSRF-Token on cookie-authenticated
// writes). A stolen database therefore yields no usable session.
//
//   TP_ASSIGN_OR_RETURN(NewSession session, Login(store, attempt, LoginPolicy{}, NowMicros()));
//   ...
//   TP_ASSIGN_OR_RETURN(SessionAuth auth, AuthenticateSession(store, cookie, LoginPolicy{}, NowMicros()));
//   if (is_write && !CsrfTokenMatches(auth, request.header("X-CSRF-Token"))) ...
//
// Functions taking a Store run their own transactions and are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "identity/audit.h"
#include "identity/credential_cache.h"
#include "identity/passwords.h"
#include "identity/permissions.h"
#include "identity/users.h"
#include "store/store.h"

namespace tp::identity {

struct LoginPolicy {
  static constexpr Micros kMinute = 60'000'000;

  int max_failed_logins = 5;          // consecutive failures before the account locks
  Micros lockout = 15 * kMinute;      // how long it stays locked
  Micros session_ttl = 12 * 60 * kMinute;
  Micros idle_timeout = 2 * 60 * kMinute;
  // The cost of the decoy hash checked for unknown e-mails; match the one users are created with, so
  // that both paths take as long.
  PasswordHashLimits password_limits = PasswordHashLimits::Interactive();
};

struct LoginAttempt {
  std::string tenant_slug;
  std::string email;
  std::string password;
  std::string totp_code;  // empty when the client has not asked the user for one yet
  std::string ip;
  std::string user_agent;
  std::string request_id;  // for the audit log
};

struct NewSession {
  std::string token;       // the session cookie value; never stored
  std::string csrf_token;  // never stored
  std::string session_id;  // "ses_…"
  User user;
  Micros expires_at = 0;
};

// Errors, all recorded as "auth.login_failed" when the tenant is known:
// - unknown tenant or e-mail, wrong password, disabled user: kUnauthenticated "invalid credentials",
//   the same for each so that the answer does not reveal which e-mails exist; an unknown e-mail still
//   costs one argon2 verification so that timing does not reveal it either;
// - TOTP enabled and no code: kUnauthenticated with field "totp_code" ("a one-time code is required");
// - wrong or replayed code: kUnauthenticated "invalid credentials";
// - locked account: kRateLimited with retry_after_seconds, even for the right password.
// A wrong password or code counts as a failure; max_failed_logins consecutive failures lock the
// account for `lockout` and reset the counter. Success resets it, prunes the user's expired sessions
// and records "auth.login".
Result<NewSession> Login(store::Store& store, const LoginAttempt& attempt, const LoginPolicy& policy, Micros now);

struct SessionAuth {
  Principal principal;    // kind kSession, with the user's current role, grant and teams
  std::string csrf_hash;  // SHA-256 hex of the session's CSRF token
};

// kUnauthenticated when the token is unknown, the session expired (session_ttl) or idled out
// (idle_timeout) — such a session is deleted — or the user is disabled. Refreshes last_seen_at at most
// once a minute, so most requests only read.
// With a cache, a known session reads nothing (identity/credential_cache.h).
Result<SessionAuth> AuthenticateSession(store::Store& store, std::string_view token, const LoginPolicy& policy,
                                        Micros now, CredentialCache* cache = nullptr);
// Constant-time check of an X-CSRF-Token header against the session's CSRF hash.
bool CsrfTokenMatches(const SessionAuth& auth, std::string_view csrf_token);

// Deletes the principal's session (OK when it is already gone).
// A wrong current password on a signed-in request (password change, TOTP disable) counts towards
// the user's lock-out like a failed sign-in, so a stolen session cannot guess the password. Run it in
// its own transaction, after the one that found the mismatch has rolled back.
Status CountPasswordFailure(store::Store& store, const Principal& principal, const LoginPolicy& policy, Micros now);
// kRateLimited (with Retry-After) while the user is locked out.
Status CheckNotLockedOut(store::TenantTx& tx, std::string_view user_id, Micros now);

Status Logout(store::Store& store, const Principal& principal);

struct SessionInfo {
  std::string id;
  std::string user_id;
  Micros created_at = 0;
  Micros last_seen_at = 0;
  Micros expires_at = 0;
  std::string ip;
  std::string user_agent;
};

// The user's sessions, newest first.
Result<std::vector<SessionInfo>> ListSessions(store::TenantTx& tx, std::string_view user_id);
// Signs the user out everywhere. kNotFound for an unknown user. Records "user.sessions_revoke".
Status RevokeSessions(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id);
// Deletes the user's sessions except `keep_session_id` (empty: all), recording nothing: for changes that
// end sessions as a consequence and record their own audit entry (UpdateUser, ChangePassword).
Status DeleteSessionsOfUser(store::TenantTx& tx, std::string_view user_id, std::string_view keep_session_id);

}  // namespace tp::identity
