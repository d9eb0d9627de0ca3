#include "identity/sessions.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "changes/kinds.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "identity/teams.h"
#include "identity/tenants.h"
#include "identity/totp.h"
#include "identity/validation.h"

namespace tp::identity {
namespace {
constexpr std::string_view kFindLoginUser =
    "SELECT id, password_hash, totp_secret, totp_enabled, totp_last_step, locked_until, disabled "
    "FROM users WHERE tenant_id = $1 AND email = $2";
// One statement so that concurrent failures cannot both read the same count. On PostgreSQL and SQLite
// every right-hand side sees the row as it was before the UPDATE.
constexpr std::string_view kCountFailure =
    "UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 >= $3 THEN 0 ELSE failed_logins + 1 END, "
    "locked_until = CASE WHEN failed_logins + 1 >= $3 THEN $4 ELSE locked_until END "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kCountUnknownEmailFailure =
    "INSERT INTO login_throttle (tenant_id, email, failures, locked_until) VALUES ($1, $2, 1, NULL) "
    "ON CONFLICT (tenant_id, email) DO UPDATE SET "
    "failures = CASE WHEN login_throttle.failures + 1 >= $3 THEN 0 ELSE login_throttle.failures + 1 END, "
    "locked_until = CASE WHEN login_throttle.failures + 1 >= $3 THEN $4 ELSE login_throttle.locked_until END";
constexpr std::string_view kLockedUntil = "SELECT locked_until FROM users WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kUnknownEmailLockedUntil =
    "SELECT locked_until FROM login_throttle WHERE tenant_id = $1 AND email = $2";
// The conditions re-check, inside the writing transaction, what Login read before verifying the password
// outside any transaction: a code used meanwhile, an account disabled or locked meanwhile.
constexpr std::string_view kClaimTotpStep =
    "UPDATE users SET totp_last_step = $3 WHERE tenant_id = $1 AND id = $2 AND totp_last_step < $3";
constexpr std::string_view kResetFailures =
    "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE tenant_id = $1 AND id = $2 AND disabled = 0 "
    "AND (locked_until IS NULL OR locked_until <= $3)";
constexpr std::string_view kPruneSessions =
    "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND (expires_at <= $3 OR last_seen_at <= $4)";
constexpr std::string_view kInsertSession =
    "INSERT INTO sessions (token_hash, tenant_id, id, user_id, csrf_hash, created_at, last_seen_at, expires_at, "
    "ip, user_agent) VALUES ($2, $1, $3, $4, $5, $6, $6, $7, $8, $9)";
constexpr std::string_view kFindSession =
    "SELECT s.tenant_id, s.id, s.user_id, s.csrf_hash, s.last_seen_at, s.expires_at, u.role, "
    "u.contact_data_granted, u.disabled FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND "
    "u.id = s.user_id WHERE s.token_hash = $1";
constexpr std::string_view kDeleteSession = "DELETE FROM sessions WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kTouchSession =
    "UPDATE sessions SET last_seen_at = $3 WHERE tenant_id = $1 AND id = $2 AND last_seen_at < $3";
constexpr std::string_view kListSessions =
    "SELECT id, user_id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions "
    "WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id DESC";
constexpr std::string_view kDeleteSessionsOfUser =
    "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND id <> $3";

constexpr std::size_t kTokenBytes = 32;
constexpr std::size_t kMaxTokenLength = 128;
constexpr std::size_t kMaxIpBytes = 64;
constexpr std::size_t kMaxUserAgentBytes = 512;
constexpr std::size_t kMaxLoggedEmailBytes = 254;

Status InvalidCredentials() { return Unauthenticated("invalid credentials"); }

// Credential caches (identity/credential_cache.h) forget the user's sessions: one, or all when
// `session_id` is empty.
Status PublishSessionsEnded(store::TenantTx& tx, std::string_view user_id, std::string_view session_id) {
  nlohmann::json data{{"user_id", user_id}};
  if (!session_id.empty()) data["session_id"] = session_id;
  return tx.Publish(changes::kinds::kSessionEnded, std::string(session_id.empty() ? user_id : session_id),
                    data.dump());
}
Status NotSignedIn() { return Unauthenticated("not signed in"); }

// A hash of a random password with the given cost, verified against when the e-mail is unknown so that
// the failure takes as long as a wrong password. Made once per cost and process.
const std::string& DecoyHash(const PasswordHashLimits& limits) {
  static std::mutex mutex;
  static std::map<std::pair<std::uint64_t, std::size_t>, std::string> hashes;
  const std::lock_guard lock(mutex);
  auto [entry, inserted] = hashes.try_emplace({limits.ops_limit, limits.mem_limit});
  if (inserted) entry->second = HashPassword(RandomToken(), limits);
  return entry->second;
}

// How long recording a failed sign-in takes, as a moving average over this process's failures. A
// sign-in to a tenant that does not exist has nothing to record and waits this long instead, so that
// its answer comes as late as one for a real tenant.
class FailureRecordingTime {
 public:
  void Add(std::chrono::microseconds took) {
    const std::int64_t previous = average_us_.load(std::memory_order_relaxed);
    average_us_.store(previous == 0 ? took.count() : (previous * 7 + took.count()) / 8, std::memory_order_relaxed);
  }
  std::chrono::microseconds Average() const {
    return std::chrono::microseconds(average_us_.load(std::memory_order_relaxed));
  }

 private:
  std::atomic<std::int64_t> average_us_{0};
};

FailureRecordingTime& RecordingTime() {
  static FailureRecordingTime time;
  return time;
}

struct LoginUser {
  std::string id;
  std::string password_hash;
  std::optional<std::string> totp_secret;
  bool totp_enabled = false;
  std::int64_t totp_last_step = 0;
  std::optional<Micros> locked_until;
  bool disabled = false;
};

struct LoginTarget {
  std::string tenant_id;
  std::optional<LoginUser> user;  // empty: no user with this e-mail
};

// std::nullopt when there is no such tenant.
Result<std::optional<LoginTarget>> FindLoginTarget(store::Store& store, std::string_view slug,
                                                   const std::string& email) {
  std::optional<LoginTarget> target;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& tx) -> Status {
    Result<Tenant> tenant = FindTenantBySlug(tx, slug);
    if (tenant.status().code() == ErrorCode::kNotFound) return Status::Ok();
    TP_RETURN_IF_ERROR(tenant);
    target = LoginTarget{.tenant_id = tenant->id};
    store::TenantTx tenant_tx = tx.InTenant(tenant->id);
    TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tenant_tx.QueryOne(kFindLoginUser, {email}));
    if (!row) return Status::Ok();
    target->user = LoginUser{.id = row->Text(0),
                             .password_hash = row->Text(1),
                             .totp_secret = row->OptionalText(2),
                             .totp_enabled = row->Int(3) != 0,
                             .totp_last_step = row->Int(4),
                             .locked_until = row->OptionalInt(5),
                             .disabled = row->Int(6) != 0};
    return Status::Ok();
  }));
  return target;
}

// The e-mail as attempted, normalised and cut short: it came from the client, and it keys both the
// audit entry and the throttle of e-mails without an account.
std::string AttemptedEmail(const LoginAttempt& attempt) {
  return TrimAndLowerAscii(attempt.email).substr(0, kMaxLoggedEmailBytes);
}

AuditContext LoginAuditContext(const LoginTarget& target, const LoginAttempt& attempt) {
  return AuditContext{.actor_type = target.user ? "user" : "anonymous",
                      .actor_id = target.user ? target.user->id : "",
                      .request_id = attempt.request_id,
                      .ip = PrintableAscii(attempt.ip, kMaxIpBytes)};
}

enum class Counted { kNo, kYes };

// Records "auth.login_failed" and, when the failure counts, advances the user's lock-out counter.
Status RecordFailure(store::Store& store, const LoginTarget& target, const LoginAttempt& attempt,
                     const LoginPolicy& policy, Micros now, std::string_view reason, Counted counted) {
  // The attempted e-mail is what an administrator needs to see a password-guessing campaign; it came
  // from the client, so it is cut short and any broken UTF-8 is replaced rather than rejected.
  const std::string details =
      nlohmann::json{{"email", AttemptedEmail(attempt)}, {"reason", reason}}
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return store.Write(target.tenant_id, [&](store::TenantTx& tx) -> Status {
    if (counted == Counted::kYes && target.user) {
      TP_RETURN_IF_ERROR(tx.Execute(kCountFailure, {target.user->id, std::int64_t{policy.max_failed_logins},
                                                    now + policy.lockout}));
    } else if (counted == Counted::kYes) {
      TP_RETURN_IF_ERROR(tx.Execute(kCountUnknownEmailFailure, {AttemptedEmail(attempt),
                                                                std::int64_t{policy.max_failed_logins},
                                                                now + policy.lockout}));
    }
    return RecordAudit(tx, LoginAuditContext(target, attempt), "auth.login_failed", "user",
                       target.user ? target.user->id : "", {}, details);
  });
}

Status TimedRecordFailure(store::Store& store, const LoginTarget& target, const LoginAttempt& attempt,
                          const LoginPolicy& policy, Micros now, std::string_view reason, Counted counted) {
  const auto started = std::chrono::steady_clock::now();
  TP_RETURN_IF_ERROR(RecordFailure(store, target, attempt, policy, now, reason, counted));
  RecordingTime().Add(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started));
  return Status::Ok();
}

Status FailLogin(store::Store& store, const LoginTarget& target, const LoginAttempt& attempt,
                 const LoginPolicy& policy, Micros now, std::string_view reason, Counted counted) {
  TP_RETURN_IF_ERROR(TimedRecordFailure(store, target, attempt, policy, now, reason, counted));
  return InvalidCredentials();
}

// Ceiling, so that a client waiting exactly this long finds the account unlocked.
int SecondsUntil(Micros from, Micros to) {
  constexpr Micros kSecond = 1'000'000;
  return static_cast<int>((to - from + kSecond - 1) / kSecond);
}

Status LockedOut(store::Store& store, const LoginTarget& target, const LoginAttempt& attempt,
                 const LoginPolicy& policy, Micros now, Micros locked_until) {
  TP_RETURN_IF_ERROR(TimedRecordFailure(store, target, attempt, policy, now, "locked", Counted::kNo));
  return Status(ErrorCode::kRateLimited, "too many failed sign-ins; try again later")
      .WithRetryAfter(SecondsUntil(now, locked_until));
}

SessionRecord SessionFromRow(const store::Row& row) {
  return SessionRecord{.tenant_id = row.Text(0),
                    .id = row.Text(1),
                    .user_id = row.Text(2),
                    .csrf_hash = row.Text(3),
                    .last_seen_at = row.Int(4),
                    .expires_at = row.Int(5),
                    .role = ParseRole(row.Text(6)).value_or(Role::kViewer),
                    .contact_data_granted = row.Int(7) != 0,
                    .disabled = row.Int(8) != 0};
}

bool SessionExpired(const SessionRecord& session, const LoginPolicy& policy, Micros now) {
  return session.expires_at <= now || session.last_seen_at + policy.idle_timeout <= now;
}
}  // namespace

Status CountPasswordFailure(store::Store& store, const Principal& principal, const LoginPolicy& policy, Micros now) {
  return store.Write(principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    return tx.Execute(kCountFailure, {principal.user_id, std::int64_t{policy.max_failed_logins}, now + policy.lockout})
        .status();
  });
}

Status CheckNotLockedOut(store::TenantTx& tx, std::string_view user_id, Micros now) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kLockedUntil, {std::string(user_id)}));
  if (row && !row->IsNull(0) && row->Int(0) > now) {
    return Status(ErrorCode::kRateLimited, "too many wrong passwords; try again later")
        .WithRetryAfter(SecondsUntil(now, row->Int(0)));
  }
  return Status::Ok();
}

Result<NewSession> Login(store::Store& store, const LoginAttempt& attempt, const LoginPolicy& policy, Micros now) {
  TP_ASSIGN_OR_RETURN(std::optional<LoginTarget> target,
                      FindLoginTarget(store, TrimAndLowerAscii(attempt.tenant_slug), TrimAndLowerAscii(attempt.email)));
  // Every path verifies one password hash (the decoy when there is no account) and records the failure
  // (or waits as long as that takes), so that response time does not tell which tenants and e-mails
  // exist, nor which accounts are locked.
  if (!target || !target->user) {
    (void)VerifyPassword(DecoyHash(policy.password_limits), attempt.password);
    if (!target) {
      std::this_thread::sleep_for(RecordingTime().Average());
      return InvalidCredentials();
    }
    std::optional<Micros> locked_until;
    TP_RETURN_IF_ERROR(store.Read(target->tenant_id, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kUnknownEmailLockedUntil,
                                                {AttemptedEmail(attempt)}));
      if (row) locked_until = row->OptionalInt(0);
      return Status::Ok();
    }));
    if (!locked_until || *locked_until <= now) {
      return FailLogin(store, *target, attempt, policy, now, "unknown_email", Counted::kYes);
    }
    return LockedOut(store, *target, attempt, policy, now, *locked_until);
  }
  const LoginUser& user = *target->user;
  // Verified outside any transaction: argon2 takes a tenth of a second and must not hold a write lock.
  // A locked account is verified too, and the result ignored: the lock-out holds even for the right
  // password.
  const bool password_matches = VerifyPassword(user.password_hash, attempt.password);
  if (user.locked_until && *user.locked_until > now) {
    return LockedOut(store, *target, attempt, policy, now, *user.locked_until);
  }
  if (!password_matches) {
    return FailLogin(store, *target, attempt, policy, now, "wrong_password", Counted::kYes);
  }
  if (user.disabled) return FailLogin(store, *target, attempt, policy, now, "disabled", Counted::kNo);

  std::optional<std::int64_t> totp_step;
  if (user.totp_enabled) {
    if (TrimAscii(attempt.totp_code).empty()) {
      return Status(ErrorCode::kUnauthenticated, "a one-time code is required", "totp_code");
    }
    totp_step = MatchTotp(user.totp_secret.value_or(""), attempt.totp_code, now, user.totp_last_step);
    if (!totp_step) return FailLogin(store, *target, attempt, policy, now, "wrong_totp_code", Counted::kYes);
  }

  NewSession session{.token = RandomToken(kTokenBytes),
                     .csrf_token = RandomToken(kTokenBytes),
                     .session_id = NewId("ses_"),
                     .expires_at = now + policy.session_ttl};
  bool refused = false;
  TP_RETURN_IF_ERROR(store.Write(target->tenant_id, [&](store::TenantTx& tx) -> Status {
    refused = false;
    if (totp_step) {
      TP_ASSIGN_OR_RETURN(std::int64_t claimed, tx.Execute(kClaimTotpStep, {user.id, *totp_step}));
      if (claimed == 0) {
        refused = true;
        return Status::Ok();
      }
    }
    TP_ASSIGN_OR_RETURN(std::int64_t reset, tx.Execute(kResetFailures, {user.id, now}));
    if (reset == 0) {
      refused = true;
      return Status::Ok();
    }
    TP_RETURN_IF_ERROR(tx.Execute(kPruneSessions, {user.id, now, now - policy.idle_timeout}));
    TP_RETURN_IF_ERROR(tx.Execute(
        kInsertSession, {Sha256Hex(session.token), session.session_id, user.id, Sha256Hex(session.csrf_token), now,
                         session.expires_at, PrintableAscii(attempt.ip, kMaxIpBytes),
                         PrintableAscii(attempt.user_agent, kMaxUserAgentBytes)}));
    TP_ASSIGN_OR_RETURN(session.user, GetUser(tx, user.id));
    return RecordAudit(tx, LoginAuditContext(*target, attempt), "auth.login", "user", user.id, {},
                       nlohmann::json{{"session_id", session.session_id}, {"totp", totp_step.has_value()}}.dump());
  }));
  if (refused) return FailLogin(store, *target, attempt, policy, now, "changed_during_login", Counted::kYes);
  return session;
}

Result<SessionAuth> AuthenticateSession(store::Store& store, std::string_view token, const LoginPolicy& policy,
                                        Micros now, CredentialCache* cache) {
  if (token.empty() || token.size() > kMaxTokenLength) return NotSignedIn();
  const std::string token_hash = Sha256Hex(token);
  std::optional<SessionRecord> session = cache != nullptr ? cache->FindSession(token_hash, now) : std::nullopt;
  if (!session) {
    TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kFindSession, {token_hash}));
      if (!row) return Status::Ok();
      session = SessionFromRow(*row);
      if (SessionExpired(*session, policy, now) || session->disabled) return Status::Ok();
      store::TenantTx tenant_tx = tx.InTenant(session->tenant_id);
      TP_ASSIGN_OR_RETURN(session->team_ids, TeamIdsOfUser(tenant_tx, session->user_id));
      return Status::Ok();
    }));
    if (session && cache != nullptr) cache->PutSession(token_hash, *session, now);
  }
  if (!session) return NotSignedIn();
  if (SessionExpired(*session, policy, now)) {
    if (cache != nullptr) cache->ForgetSession(token_hash);
    TP_RETURN_IF_ERROR(store.Write(session->tenant_id, [&](store::TenantTx& tx) -> Status {
      TP_RETURN_IF_ERROR(tx.Execute(kDeleteSession, {session->id}).status());
      return PublishSessionsEnded(tx, session->user_id, session->id);
    }));
    return Unauthenticated("the session has expired; sign in again");
  }
  if (session->disabled) return NotSignedIn();
  // Writing on every request would turn each read into a write; a minute is far below idle_timeout.
  if (now - session->last_seen_at >= LoginPolicy::kMinute) {
    TP_RETURN_IF_ERROR(store.Write(session->tenant_id, [&](store::TenantTx& tx) -> Status {
      return tx.Execute(kTouchSession, {session->id, now}).status();
    }));
    session->last_seen_at = now;
    if (cache != nullptr) cache->PutSession(token_hash, *session, now);
  }
  SessionAuth auth;
  auth.principal = Principal{.kind = Principal::Kind::kSession,
                             .tenant_id = session->tenant_id,
                             .user_id = session->user_id,
                             .role = session->role,
                             .contact_data_granted = session->contact_data_granted,
                             .team_ids = std::move(session->team_ids),
                             .session_id = session->id};
  auth.csrf_hash = std::move(session->csrf_hash);
  return auth;
}

bool CsrfTokenMatches(const SessionAuth& auth, std::string_view csrf_token) {
  if (csrf_token.empty() || csrf_token.size() > kMaxTokenLength) return false;
  return ConstantTimeEquals(Sha256Hex(csrf_token), auth.csrf_hash);
}

Status Logout(store::Store& store, const Principal& principal) {
  if (principal.kind != Principal::Kind::kSession) return FailedPrecondition("only a session can sign out");
  return store.Write(principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(tx.Execute(kDeleteSession, {principal.session_id}).status());
    return PublishSessionsEnded(tx, principal.user_id, principal.session_id);
  });
}

Result<std::vector<SessionInfo>> ListSessions(store::TenantTx& tx, std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kListSessions, {std::string(user_id)}));
  std::vector<SessionInfo> sessions;
  sessions.reserve(rows.size());
  for (const store::Row& row : rows) {
    sessions.push_back(SessionInfo{.id = row.Text(0),
                                   .user_id = row.Text(1),
                                   .created_at = row.Int(2),
                                   .last_seen_at = row.Int(3),
                                   .expires_at = row.Int(4),
                                   .ip = row.Text(5),
                                   .user_agent = row.Text(6)});
  }
  return sessions;
}

Status RevokeSessions(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(const User user, GetUser(tx, user_id));
  TP_RETURN_IF_ERROR(DeleteSessionsOfUser(tx, user.id, ""));
  return RecordAudit(tx, audit, "user.sessions_revoke", "user", user.id);
}

Status DeleteSessionsOfUser(store::TenantTx& tx, std::string_view user_id, std::string_view keep_session_id) {
  TP_ASSIGN_OR_RETURN(const std::int64_t deleted,
                      tx.Execute(kDeleteSessionsOfUser, {std::string(user_id), std::string(keep_session_id)}));
  if (deleted == 0) return Status::Ok();
  return PublishSessionsEnded(tx, user_id, "");
}

}  // namespace tp::identity
