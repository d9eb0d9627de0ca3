// Test helpers for the CX modules' tests (profiles, cases, feedback, demo): a tenant to work in and
// one-line transactions that hand back the function's result.
//
//   const std::string tenant_id = CreateTestTenant(db.store(), "acme");
//   Result<Customer> customer = WriteResult<Customer>(db.store(), tenant_id, [&](store::TenantTx& tx) {
//     return CreateCustomer(tx, {.name = "Jana"}, identity::AuditContext::System());
//   });
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>

#include "common/status.h"
#include "identity/tenants.h"
#include "store/store.h"

namespace tp::profiles {

// Creates a tenant and returns its id; a failure fails the current test.
inline std::string CreateTestTenant(store::Store& store, const std::string& slug) {
  std::string tenant_id;
  const Status status = store.WriteSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(identity::Tenant tenant, identity::CreateTenant(tx, slug, "Tenant " + slug));
    tenant_id = tenant.id;
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return tenant_id;
}

namespace internal {
template <typename T, typename Run>
Result<T> RunForResult(Run run, const std::function<Result<T>(store::TenantTx&)>& fn) {
  std::optional<T> value;
  const Status status = run([&](store::TenantTx& tx) -> Status {
    Result<T> result = fn(tx);
    if (!result.ok()) return result.status();
    value = std::move(result).value();
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return std::move(*value);
}
}  // namespace internal

// Runs `fn` in a write transaction (committed when it succeeds) and returns its result.
template <typename T>
Result<T> WriteResult(store::Store& store, const std::string& tenant_id,
                      const std::function<Result<T>(store::TenantTx&)>& fn) {
  return internal::RunForResult<T>(
      [&](const std::function<Status(store::TenantTx&)>& body) { return store.Write(tenant_id, body); }, fn);
}

template <typename T>
Result<T> ReadResult(store::Store& store, const std::string& tenant_id,
                     const std::function<Result<T>(store::TenantTx&)>& fn) {
  return internal::RunForResult<T>(
      [&](const std::function<Status(store::TenantTx&)>& body) { return store.Read(tenant_id, body); }, fn);
}

}  // namespace tp::profiles
