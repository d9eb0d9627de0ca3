// What the files of this module share and nobody else needs: how a case row is read.
#pragma once

#include <string_view>

#include "cases/cases.h"
#include "store/store.h"

namespace tp::cases {

// The columns CaseFromRow reads, in its order.
inline constexpr std::string_view kCaseColumns =
    "id, customer_id, subject, status, priority, channel, team_id, assignee_id, created_at, updated_at, tags, "
    "follow_up_of, type, touchpoint, stage, order_ids, first_response_at, solved_at, custom_fields";

// Stored names come from this module, so an unknown one is a bug or a newer schema, never user input.
Result<Case> CaseFromRow(const store::Row& row);

}  // namespace tp::cases
