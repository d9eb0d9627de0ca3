// For the bench programs that work on a store directly: the id of the tenant a slug names, the way
// `touchpoint tenant add --slug` created it.
#pragma once

#include <string>

#include "common/status.h"
#include "store/store.h"

namespace tp::bench {

// kNotFound, naming the command that creates it, when there is no such tenant.
inline Result<std::string> TenantIdBySlug(store::Store& store, const std::string& slug) {
  std::string tenant_id;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT id FROM tenants WHERE slug = $1", {slug}));
    if (!row) return NotFound("no tenant " + slug + " (create it with touchpoint tenant add)");
    tenant_id = row->Text(0);
    return Status::Ok();
  }));
  return tenant_id;
}

}  // namespace tp::bench
