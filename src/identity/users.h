// Users of a tenant: people who sign in, with a role (identity/permissions.h), an optional TOTP second
// factor and a lock-out counter (maintained by Login, identity/sessions.h). A User never carries the
// password hash or the TOTP secret; they stay in this module.
//
//   TP_RETURN_IF_ERROR(store.Write(tenant_id, [&](store::TenantTx& tx) -> Status {
//     TP_ASSIGN_OR_RETURN(User user, CreateUser(tx, audit, {.email = "Ana@Acme.example", .name = "Ana",
//                                                          .role = Role::kAgent, .password = password}));
//     ...
//   }));
//
// Every function works inside the transaction's tenant only: an id from another tenant is kNotFound.
// Functions that hash a password do it inside the caller's transaction; they are rare admin actions, and
// the hash cost is PasswordHashLimits (identity/passwords.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "identity/passwords.h"
#include "identity/permissions.h"
#include "store/store.h"

namespace tp::identity {

struct User {
  std::string id;  // "usr_…"
  std::string tenant_id;
  std::string email;  // lower-case
  std::string name;
  Role role = Role::kViewer;
  bool totp_enabled = false;
  bool contact_data_granted = false;
  bool disabled = false;
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct NewUser {
  std::string email;
  std::string name;
  Role role = Role::kViewer;
  std::string password;
  bool contact_data_granted = false;
};

// Validates (fields "email", "name", "password"), lower-cases the e-mail and hashes the password.
// kConflict field "email" when the tenant already has a user with this e-mail. Records "user.create".
Result<User> CreateUser(store::TenantTx& tx, const AuditContext& audit, const NewUser& user,
                        const PasswordHashLimits& limits = PasswordHashLimits::Interactive());
// kNotFound when the tenant has no such user.
Result<User> GetUser(store::TenantTx& tx, std::string_view user_id);
// The user with this e-mail (compared lower-cased), or kNotFound.
Result<User> FindUserByEmail(store::TenantTx& tx, std::string_view email);
// Ordered by id (creation time).
Result<Page<User>> ListUsers(store::TenantTx& tx, const PageRequest& page);

struct UserPatch {
  std::optional<std::string> name;
  std::optional<Role> role;
  std::optional<bool> disabled;
  std::optional<bool> contact_data_granted;
};

// Applies the fields that are set. Disabling a user or changing their role deletes their sessions (they
// sign in again under the new rules; their API keys follow the user's current state on every request).
// kFailedPrecondition when the change would leave the tenant without an enabled admin. Records
// "user.update" with before and after.
Result<User> UpdateUser(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                        const UserPatch& patch);

// kUnauthenticated field "current_password" when it is wrong; kInvalidArgument field "new_password"
// when the new one fails ValidateNewPassword. Deletes every session of the user except
// `keep_session_id` (the one making the change; empty to end them all). Records "user.password_change".
Status ChangePassword(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                      std::string_view current_password, std::string_view new_password,
                      std::string_view keep_session_id,
                      const PasswordHashLimits& limits = PasswordHashLimits::Interactive());

// TOTP enrolment is two steps so that a user cannot lock themselves out with a secret their app never
// received: Begin stores a new secret (not yet required at login) and returns it for the QR code
// (TotpUri, identity/totp.h); Confirm enables it once the user proves their app produces valid codes.
// Begin is kFailedPrecondition when TOTP is already enabled (disable it first, with the password).
Result<std::string> BeginTotpEnrollment(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id);
// kFailedPrecondition when no enrolment was begun or TOTP is already on; kInvalidArgument field
// "totp_code" when the code does not match. Records "user.totp_enable".
Status ConfirmTotpEnrollment(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                             std::string_view code, Micros now);
// Removes the secret. kUnauthenticated field "current_password" when the password is wrong.
// Records "user.totp_disable".
Status DisableTotp(store::TenantTx& tx, const AuditContext& audit, std::string_view user_id,
                   std::string_view current_password);

}  // namespace tp::identity
