// Profile merges: when two profiles turn out to be one person (an identify after anonymous browsing,
// an alias call, an agent's decision), the older, stronger-identified profile survives and the other
// redirects to it. Everything the merged profile had moves: identifiers, events, cases, survey
// responses, notes and trait history; traits combine latest-wins; computed attributes are recomputed.
// The merge is recorded and can be undone by an admin: the unmerge gives each profile back exactly the
// rows it had before (rows carry the profile they first belonged to), including rows merged into it
// earlier, and recomputes both. An undone merge also tells identity resolution that the two are
// different people, so the next event naming both does not merge them again.
//
//   TP_ASSIGN_OR_RETURN(Merge merge, MergeCustomers(tx, survivor_id, other_id, "manual", audit));
//   TP_RETURN_IF_ERROR(UndoMerge(tx, merge.id, audit).status());
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::ingest {

struct Merge {
  std::string id;  // "mrg_…"
  std::string survivor_id;
  std::string merged_id;
  std::string reason;  // "identify", "alias", "manual", "import"
  std::string actor_type;
  std::string actor_id;
  Micros created_at = 0;
  std::optional<Micros> undone_at;
};

// Merges `merged_id` into `survivor_id` (both followed to their live profiles first). kInvalidArgument
// field "customer_id" when they are the same profile; kConflict when both hold different user ids;
// kNotFound for an unknown id. Records "customer.merge".
Result<Merge> MergeCustomers(store::TenantTx& tx, std::string_view survivor_id, std::string_view merged_id,
                             std::string_view reason, const identity::AuditContext& audit);
// Undoes a merge. kNotFound for an unknown merge; kConflict when it was already undone. Records
// "customer.unmerge".
Result<Merge> UndoMerge(store::TenantTx& tx, std::string_view merge_id, const identity::AuditContext& audit);
Result<Merge> GetMerge(store::TenantTx& tx, std::string_view merge_id);
// True when a merge of these two profiles was undone: automatic merges leave them apart; an agent's
// manual merge may still join them.
Result<bool> WereSeparated(store::TenantTx& tx, std::string_view a, std::string_view b);
// Merges where the customer was the survivor or the merged profile, newest first.
Result<Page<Merge>> ListMerges(store::TenantTx& tx, std::string_view customer_id, const PageRequest& page);

// The profile and every profile merged into it, directly or through earlier merges (the ids that
// redirect to it). Erasure and export treat them all as the one person.
Result<std::vector<std::string>> ProfileAndMergedIds(store::TenantTx& tx, std::string_view customer_id);

// Recomputes a profile's traits (latest value of each trait in its history) and computed attributes
// from the rows it holds now. Used after merges, unmerges and erasures.
Status RecomputeProfile(store::TenantTx& tx, const std::string& customer_id);

}  // namespace tp::ingest
