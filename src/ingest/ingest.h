// Ingestion: turns validated messages (events/events.h) into profile changes. For each message it
// resolves the identifiers to one live profile (creating one, or merging profiles the message proves
// to be the same person), stores the event once per message id, applies identify traits (latest wins,
// every change kept in the trait history) and keeps the computed attributes current (first/last seen,
// channels, orders, revenue, refunds).
//
//   std::vector<events::Message> messages = ...;          // parsed by the HTTP layer or an importer
//   TP_ASSIGN_OR_RETURN(IngestSummary summary, IngestMessages(tx, messages, audit));
//
// A batch runs in the caller's transaction: all of it is committed or none. Messages are applied in
// the order given; a message whose message id the tenant already has changes nothing (retries are
// safe). Resolution within a batch sees the batch's own earlier messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "events/events.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::ingest {

struct IngestSummary {
  int stored = 0;       // new events
  int duplicates = 0;   // message ids the tenant already had
  int merges = 0;       // profiles merged because a message tied them together
  int profiles_created = 0;
  // The profile each message was attributed to, in input order.
  std::vector<std::string> customer_ids;
};

Result<IngestSummary> IngestMessages(store::TenantTx& tx, const std::vector<events::Message>& messages,
                                     const identity::AuditContext& audit);

// IngestMessages for one request of a caller (POST /v1/batch and the other /v1/* calls, POST
// /api/v1/events), plus its one "events.ingest" audit entry in the same transaction. The entry holds
// counts only (messages sent, stored, duplicates, rejected, merges, profiles created), never
// identifiers or properties, so that it needs no redaction when a person is erased. A CSV import
// records its own entry per file instead (transfer/import.h).
Result<IngestSummary> IngestRequest(store::TenantTx& tx, const std::vector<events::Message>& messages,
                                    int rejected, const identity::AuditContext& audit);

// The live profile `customer_id` ends at after following merges (itself when never merged).
// kNotFound when the tenant has no such customer.
Result<std::string> LiveCustomerId(store::TenantTx& tx, std::string_view customer_id);

}  // namespace tp::ingest
