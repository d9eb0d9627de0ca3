// Shared fixture for the identity tests: a fresh migrated store per test on each backend
// (store/testing.h), fast argon2 limits, and helpers that run domain calls in a transaction.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "common/crypto.h"
#include "identity/audit.h"
#include "identity/passwords.h"
#include "identity/sessions.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "store/testing.h"

namespace tp::identity::testing {

inline constexpr std::string_view kPassword = "correct horse battery";
inline constexpr Micros kMinute = LoginPolicy::kMinute;
// 2026-01-01T00:00:00Z: tests pass explicit times to everything that takes `now`.
inline constexpr Micros kT0 = 1'767'225'600'000'000;

inline PasswordHashLimits FastHash() { return PasswordHashLimits::Minimum(); }
inline LoginPolicy FastPolicy() {
  LoginPolicy policy;
  policy.password_limits = FastHash();
  return policy;
}

// The value of a Result, or an exception (which GoogleTest reports as a failure of the test).
template <typename T>
T Unwrap(Result<T> result) {
  if (!result.ok()) throw std::runtime_error("unexpected error: " + result.status().ToString());
  return std::move(result).value();
}

class IdentityTest : public ::testing::TestWithParam<std::string> {
 protected:
  IdentityTest() : database_(GetParam()) { InitCrypto(); }

  store::Store& store() { return database_.store(); }

  // Runs `fn(TenantTx&)` in one write transaction of `tenant_id` and returns what it returned (a Status
  // or a Result), or the transaction's error when the commit failed.
  template <typename Fn>
  auto Write(const std::string& tenant_id, Fn&& fn) {
    using R = decltype(fn(std::declval<store::TenantTx&>()));
    std::optional<R> result;
    const Status status = store().Write(tenant_id, [&](store::TenantTx& tx) -> Status {
      result.emplace(fn(tx));
      return internal::AsStatus(*result);
    });
    if (!status.ok()) return R(status);
    return std::move(*result);
  }

  Tenant MakeTenant(const std::string& slug) {
    std::optional<Tenant> tenant;
    const Status status = store().WriteSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(tenant, CreateTenant(tx, slug, slug + " Ltd"));
      return Status::Ok();
    });
    if (!status.ok()) throw std::runtime_error("CreateTenant: " + status.ToString());
    return *tenant;
  }

  User MakeUser(const Tenant& tenant, const std::string& email, Role role = Role::kAgent) {
    return Unwrap(Write(tenant.id, [&](store::TenantTx& tx) {
      return CreateUser(tx, System(),
                        {.email = email, .name = "User " + email, .role = role, .password = std::string(kPassword)},
                        FastHash());
    }));
  }

  Result<NewSession> LogIn(const Tenant& tenant, const std::string& email, std::string_view password = kPassword,
                           Micros now = kT0, const std::string& totp_code = "") {
    return Login(store(),
                 {.tenant_slug = tenant.slug,
                  .email = email,
                  .password = std::string(password),
                  .totp_code = totp_code,
                  .ip = "192.0.2.1",
                  .user_agent = "identity_test",
                  .request_id = "req-login"},
                 FastPolicy(), now);
  }

  std::vector<AuditEntry> AuditOf(const Tenant& tenant, AuditFilter filter = {}) {
    PageRequest page;
    page.limit = PageRequest::kMaxLimit;
    return Unwrap(Write(tenant.id, [&](store::TenantTx& tx) { return ListAudit(tx, filter, page); })).items;
  }

  static AuditContext System() { return AuditContext::System("req-test"); }

 private:
  store::TestDatabase database_;
};

}  // namespace tp::identity::testing
