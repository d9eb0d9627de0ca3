// The data-subject rights of GDPR for customers: access (everything held about a person in one JSON
// document) and erasure (the person removed from every table and the search index, leaving only an
// audit record that an erasure happened and of which profile id).
//
//   TP_ASSIGN_OR_RETURN(nlohmann::json everything, ExportCustomerData(tx, customer_id));
//   TP_ASSIGN_OR_RETURN(ErasureReport report, EraseCustomer(tx, customer_id, audit));
//
// Both work on the live profile and every profile merged into it (a merged profile is the same
// person). A table added later that holds customer data must be added here; privacy_test scans every
// table of the schema for leftovers, so forgetting one fails the test.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::privacy {

// kNotFound for an unknown customer. Records "customer.export" (who asked; not what was exported).
Result<nlohmann::json> ExportCustomerData(store::TenantTx& tx, std::string_view customer_id,
                                          const identity::AuditContext& audit);

struct ErasureReport {
  std::string customer_id;       // the live profile that was erased
  std::int64_t profiles = 0;     // it and the profiles merged into it
  std::int64_t events = 0;
  std::int64_t cases = 0;
  std::int64_t feedback_responses = 0;  // unlinked and stripped of comments: scores stay in aggregates
  std::int64_t notes = 0;
  std::int64_t identifiers = 0;
  std::int64_t audit_entries_redacted = 0;  // snapshots and target removed
};

// kNotFound for an unknown customer. Records "customer.erase" with the counts only.
Result<ErasureReport> EraseCustomer(store::TenantTx& tx, std::string_view customer_id,
                                    const identity::AuditContext& audit);

}  // namespace tp::privacy
