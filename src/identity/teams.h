// Teams (departments): marketing, sales, service, IT or custom groups of users. Teams own touchpoints and
// cases; an agent sees the cases of their teams (identity/permissions.h).
//
//   TP_ASSIGN_OR_RETURN(Team team, CreateTeam(tx, audit, {.name = "Returns desk", .kind = "service"}));
//   TP_RETURN_IF_ERROR(AddTeamMember(tx, audit, team.id, user.id));
//
// Every function works inside the transaction's tenant only: an id from another tenant is kNotFound.
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

namespace tp::identity {

struct Team {
  std::string id;  // "team_…"
  std::string name;
  std::string kind;  // one of TeamKinds()
  std::string description;
  Micros created_at = 0;
  std::vector<std::string> member_ids;  // user ids, sorted
};

// "marketing", "sales", "service", "it", "custom".
const std::vector<std::string_view>& TeamKinds();

struct NewTeam {
  std::string name;
  std::string kind = "custom";
  std::string description;
};

// kInvalidArgument field "name" / "kind" / "description"; kConflict field "name" when the tenant already
// has a team of that name. Records "team.create".
Result<Team> CreateTeam(store::TenantTx& tx, const AuditContext& audit, const NewTeam& team);
Result<Team> GetTeam(store::TenantTx& tx, std::string_view team_id);
// Ordered by id (creation time), members included.
Result<Page<Team>> ListTeams(store::TenantTx& tx, const PageRequest& page);

struct TeamPatch {
  std::optional<std::string> name;
  std::optional<std::string> description;
};

// Records "team.update" with before and after.
Result<Team> UpdateTeam(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id,
                        const TeamPatch& patch);
// Deletes the team and its memberships. Records "team.delete" with the team as it was.
Status DeleteTeam(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id);

// kNotFound for an unknown team or user. Adding a member twice, or removing a non-member, is OK and
// records nothing; a real change records "team.member_add" / "team.member_remove".
Status AddTeamMember(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id,
                     std::string_view user_id);
Status RemoveTeamMember(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id,
                        std::string_view user_id);

// The teams a user belongs to, sorted; empty for an unknown user.
Result<std::vector<std::string>> TeamIdsOfUser(store::TenantTx& tx, std::string_view user_id);

}  // namespace tp::identity
