#include "identity/users.h"

#include <nlohmann/json.hpp>

#include "changes/kinds.h"
#include "common/ids.h"
#include "identity/sessions.h"
#include "identity/totp.h"
#include "identity/validation.h"

namespace tp::identity {
namespace {
constexpr std::string_view kSelectUser =
    "SELECT id, tenant_id, email, name, role, totp_enabled, contact_data_granted, disabled, created_at, updated_at "
    "FROM users WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListUsers =
    "SELECT id, tenant_id, email, name, role, totp_enabled, contact_data_granted, disabled, created_at, updated_at "
    "FROM users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3";
constexpr std::string_view kFindEmail = "SELECT id FROM users WHERE tenant_id = $1 AND email = $2";
constexpr std::string_view kInsertUser =
    "INSERT INTO users (tenant_id, id, email, name, role, password_hash, contact_data_granted, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
constexpr std::string_view kUpdateUser =
    "UPDATE users SET name = $3, role = $4, disabled = $5, contact_data_granted = $6, updated_at = $7 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kCountOtherEnabledAdmins =
    "SELECT COUNT(*) FROM users WHERE tenant_id = $1 AND id <> $2 AND role = 'admin' AND disabled = 0";
constexpr std::string_view kSelectCredentials =
    "SELECT password_hash, totp_secret, totp_last_step FROM users WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kUpdatePassword =
    "UPDATE users SET password_hash = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kStoreTotpSecret =
    "UPDATE users SET totp_secret = $3, totp_enabled = 0, updated_at = $4 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kEnableTotp =
    "UPDATE users SET totp_enabled = 1, totp_last_step = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDisableTotp =
    "UPDATE users SET totp_secret = NULL, totp_enabled = 0, totp_last_step = 0, updated_at = $3 "
    "WHERE tenant_id = $1 AND id = $2";

constexpr std::size_t kMaxUserNameBytes = 200;

store::Value Flag(bool value) { return std::int64_t{value ? 1 : 0}; }

User UserFromRow(const store::Row& row) {
  return User{.id = row.Text(0),
              .tenant_id = row.Text(1),
              .email = row.Text(2),
              .name = row.Text(3),
              // An unknown role in the database (a newer schema, a manual edit) gets the least privilege.
              .role = ParseRole(row.Text(4)).value_or(Role::kViewer),
              .totp_enabled = row.Int(5) != 0,
              .contact_data_granted = row.Int(6) != 0,
              .disabled = row.Int(7) != 0,
              .created_at = row.Int(8),
              .updated_at = row.Int(9)};
}

std::string UserJson(const User& user) {
  return nlohmann::json{{"id", user.id},
                        {"email", user.email},
                        {"name", user.name},
                        {"role", RoleName(user.role)},
                        {"totp_enabled", user.totp_enabled},
                        {"contact_data_granted", user.contact_data_granted},
                        {"disabled", user.disabled}}
      .dump();
}

struct Credentials {
  std::string password_hash;
  std::optional<std::string> totp_secret;
  std::int64_t totp_last_step = 0;
};

Result<Credentials> LoadCredentials(store::TenantTx& tx, std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectCredentials, {std::string(user_id)}));
  if (!row) return NotFound("no user " + std::string(user_id));
  return Credentials{.password_hash = row->Text(0), .totp_secret = row->OptionalText(1), .totp_last_step = row->Int(2)};
}

Status WrongCurrentPassword() {
  // 400, not 401: the caller is signed in, and a 401 would tell a web client its session ended.
  return InvalidArgument("the current password is wrong", "current_password");
}

bool IsEnabledAdmin(const User& user) { return user.role == Role::kAdmin && !user.disabled; }
}  // namespace

Result<User> CreateUser(store::TenantTx& tx, const AuditContext& audit, const NewUser& user,
                        const PasswordHashLimits& limits) {
  TP_ASSIGN_OR_RETURN(std::string email, ValidEmail(user.email, "email"));
  TP_ASSIGN_OR_RETURN(std::string name, CleanName(user.name, "name", kMaxUserNameBytes));
  TP_RETURN_IF_ERROR(ValidateNewPassword(user.password));
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> existing, tx.QueryOne(kFindEmail, {email}));
  if (existing) return Conflict("a user with this e-mail already exists", "email");

  const Micros now = NowMicros();
  User created{.id = NewId("usr_"),
               .tenant_id = tx.tenant_id(),
               .email = std::move(email),
               .name = std::move(name),
               .role = user.role,
               .contact_data_granted = user.contact_data_granted,
               .created_at = now,
               .updated_at = now};
  TP_RETURN_IF_ERROR(tx.Execute(kInsertUser, {created.id, created.email, created.name,
                                              std::string(RoleName(created.role)), HashPassword(user.password, limits),
                                              Flag(created.contact_data_granted), now}));
  TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "user.create", "user", created.id, {}, UserJson(created)));
  return created;
}

Result<User> GetUser(store::TenantTx& tx, std::string_view user_id) {
  if (!LooksLikeId(user_id, "usr_")) return NotFound("no user " + std::string(user_id));
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectUser, {std::string(user_id)}));
  if (!row) return NotFound("no user " + std::string(user_id));
  return UserFromRow(*row);
}

Result<User> FindUserByEmail(store::TenantTx& tx, std::string_view email) {
  TP_ASSIGN_OR_RETURN(std::string normalised, ValidEmail(email, "email"));
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kFindEmail, {normalised}));
  if (!row) return NotFound("no user with e-mail " + normalised);
  return GetUser(tx, row->Text(0));
}

Result<Page<User>> ListUsers(store::TenantTx& tx, const PageRequest& page) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kListUsers, {page.after_id, std::int64_t{page.limit} + 1}));
  std::vector<User> users;
  users.reserve(rows.size());
  for (const store::Row& row : rows) users.push_back(UserFromRow(row));
  return MakePage(std::move(users), page.limit, [](const User& user) { return user.id; });
}

Result<User> UpdateUser(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                        const UserPatch& patch) {
  TP_ASSIGN_OR_RETURN(const User before, GetUser(tx, user_id));
  User after = before;
  if (patch.name) {
    TP_ASSIGN_OR_RETURN(after.name, CleanName(*patch.name, "name", kMaxUserNameBytes));
  }
  after.role = patch.role.value_or(before.role);
  after.disabled = patch.disabled.value_or(before.disabled);
  after.contact_data_granted = patch.contact_data_granted.value_or(before.contact_data_granted);
  if (after.name == before.name && after.role == before.role && after.disabled == before.disabled &&
      after.contact_data_granted == before.contact_data_granted) {
    return before;
  }

  if (IsEnabledAdmin(before) && !IsEnabledAdmin(after)) {
    TP_ASSIGN_OR_RETURN(store::Rows admins, tx.Query(kCountOtherEnabledAdmins, {before.id}));
    if (admins.empty() || admins.front().Int(0) == 0) {
      return FailedPrecondition("the tenant must keep at least one enabled admin",
                                after.role != before.role ? "role" : "disabled");
    }
  }

  after.updated_at = NowMicros();
  TP_RETURN_IF_ERROR(tx.Execute(kUpdateUser, {after.id, after.name, std::string(RoleName(after.role)),
                                              Flag(after.disabled), Flag(after.contact_data_granted),
                                              after.updated_at}));
  // A session caches nothing, but ending it makes the change visible to the person at once instead of
  // leaving a browser open with a UI built for the old role.
  if (after.role != before.role || (after.disabled && !before.disabled)) {
    TP_RETURN_IF_ERROR(DeleteSessionsOfUser(tx, after.id, ""));
  }
  TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "user.update", "user", after.id, UserJson(before), UserJson(after)));
  // Role, disabled flag and contact-data grant are part of every credential's principal.
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kUserUpdated, after.id, nlohmann::json{{"user_id", after.id}}.dump()));
  return after;
}

Status ChangePassword(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                      std::string_view current_password, std::string_view new_password,
                      std::string_view keep_session_id, const PasswordHashLimits& limits) {
  if (Status valid = ValidateNewPassword(new_password); !valid.ok()) {
    return InvalidArgument(valid.message(), "new_password");
  }
  TP_ASSIGN_OR_RETURN(const User user, GetUser(tx, user_id));
  TP_ASSIGN_OR_RETURN(const Credentials credentials, LoadCredentials(tx, user.id));
  if (!VerifyPassword(credentials.password_hash, current_password)) return WrongCurrentPassword();
  TP_RETURN_IF_ERROR(tx.Execute(kUpdatePassword, {user.id, HashPassword(new_password, limits), NowMicros()}));
  TP_RETURN_IF_ERROR(DeleteSessionsOfUser(tx, user.id, keep_session_id));
  return RecordAudit(tx, audit, "user.password_change", "user", user.id);
}

Result<std::string> BeginTotpEnrollment(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(const User user, GetUser(tx, user_id));
  if (user.totp_enabled) {
    return FailedPrecondition("two-factor authentication is already on; turn it off first", "totp");
  }
  std::string secret = NewTotpSecret();
  TP_RETURN_IF_ERROR(tx.Execute(kStoreTotpSecret, {user.id, secret, NowMicros()}));
  TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "user.totp_begin", "user", user.id));
  return secret;
}

Status ConfirmTotpEnrollment(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                             std::string_view code, Micros now) {
  TP_ASSIGN_OR_RETURN(const User before, GetUser(tx, user_id));
  if (before.totp_enabled) return FailedPrecondition("two-factor authentication is already on", "totp");
  TP_ASSIGN_OR_RETURN(const Credentials credentials, LoadCredentials(tx, before.id));
  if (!credentials.totp_secret) return FailedPrecondition("begin the enrolment first", "totp");
  const std::optional<std::int64_t> step = MatchTotp(*credentials.totp_secret, code, now, credentials.totp_last_step);
  if (!step) return InvalidArgument("the code does not match; check the device's clock", "totp_code");
  User after = before;
  after.totp_enabled = true;
  after.updated_at = NowMicros();
  TP_RETURN_IF_ERROR(tx.Execute(kEnableTotp, {after.id, *step, after.updated_at}));
  return RecordAudit(tx, audit, "user.totp_enable", "user", after.id, UserJson(before), UserJson(after));
}

Status DisableTotp(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                   std::string_view current_password) {
  TP_ASSIGN_OR_RETURN(const User before, GetUser(tx, user_id));
  TP_ASSIGN_OR_RETURN(const Credentials credentials, LoadCredentials(tx, before.id));
  if (!VerifyPassword(credentials.password_hash, current_password)) return WrongCurrentPassword();
  User after = before;
  after.totp_enabled = false;
  after.updated_at = NowMicros();
  TP_RETURN_IF_ERROR(tx.Execute(kDisableTotp, {after.id, after.updated_at}));
  return RecordAudit(tx, audit, "user.totp_disable", "user", after.id, UserJson(before), UserJson(after));
}

}  // namespace tp::identity
