#include "cases/presence.h"

#include <algorithm>

#include "cases/cases.h"

namespace tp::cases {

std::string_view ActivityName(Activity activity) { return activity == Activity::kReplying ? "replying" : "viewing"; }

Result<Activity> ParseActivity(std::string_view name) {
  if (name == "viewing") return Activity::kViewing;
  if (name == "replying") return Activity::kReplying;
  return InvalidArgument("activity must be viewing or replying", "activity");
}

Result<std::vector<Presence>> ReportPresence(store::TenantTx& tx, std::string_view case_id, std::string_view user_id,
                                             Activity activity, Micros now) {
  TP_RETURN_IF_ERROR(GetCase(tx, case_id).status());
  TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO case_presence (tenant_id, case_id, user_id, activity, seen_at) "
                                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, case_id, user_id) "
                                "DO UPDATE SET activity = excluded.activity, seen_at = excluded.seen_at",
                                {std::string(case_id), std::string(user_id), std::string(ActivityName(activity)), now})
                         .status());
  // Ended visits of this case go as they are noticed, so the table holds only the current ones.
  TP_RETURN_IF_ERROR(tx.Execute("DELETE FROM case_presence WHERE tenant_id = $1 AND case_id = $2 AND seen_at < $3",
                                {std::string(case_id), now - kPresenceTimeout})
                         .status());
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query("SELECT user_id, activity, seen_at FROM case_presence WHERE tenant_id = $1 AND "
                               "case_id = $2 AND user_id <> $3 ORDER BY activity DESC, seen_at DESC",
                               {std::string(case_id), std::string(user_id)}));
  std::vector<Presence> others;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(const Activity other, ParseActivity(row.Text(1)));
    others.push_back({.user_id = row.Text(0), .activity = other, .seen_at = row.Int(2)});
  }
  return others;
}

Status EndPresence(store::TenantTx& tx, std::string_view case_id, std::string_view user_id) {
  return tx
      .Execute("DELETE FROM case_presence WHERE tenant_id = $1 AND case_id = $2 AND user_id = $3",
               {std::string(case_id), std::string(user_id)})
      .status();
}

}  // namespace tp::cases
