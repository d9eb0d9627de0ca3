// Collision detection: who else has a case open, and who is writing a reply, so two agents do not answer
// the same customer twice. Each agent's client reports its activity every few seconds while the case is
// on screen (PUT /api/v1/cases/{id}/presence); a report older than kPresenceTimeout has ended. Kept in
// the store rather than in memory, so agents on different server processes see each other.
//
//   TP_ASSIGN_OR_RETURN(std::vector<Presence> others, ReportPresence(tx, case_id, user_id, Activity::kReplying, now));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/store.h"

namespace tp::cases {

inline constexpr Micros kPresenceTimeout = 30 * 1'000'000LL;

enum class Activity { kViewing, kReplying };
std::string_view ActivityName(Activity activity);          // "viewing", "replying"
Result<Activity> ParseActivity(std::string_view name);      // kInvalidArgument field "activity"

struct Presence {
  std::string user_id;
  Activity activity = Activity::kViewing;
  Micros seen_at = 0;
};

// Records that `user_id` is on case `case_id` (kNotFound when the tenant has no such case) and returns
// the others present within kPresenceTimeout, replying first.
Result<std::vector<Presence>> ReportPresence(store::TenantTx& tx, std::string_view case_id, std::string_view user_id,
                                             Activity activity, Micros now);
// The user left the case.
Status EndPresence(store::TenantTx& tx, std::string_view case_id, std::string_view user_id);

}  // namespace tp::cases
