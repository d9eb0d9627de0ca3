#include "identity/teams.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "changes/kinds.h"
#include "common/ids.h"
#include "identity/users.h"
#include "identity/validation.h"

namespace tp::identity {
namespace {
constexpr std::string_view kSelectTeam =
    "SELECT id, name, kind, description, created_at FROM teams WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListTeams =
    "SELECT id, name, kind, description, created_at FROM teams WHERE tenant_id = $1 AND id > $2 ORDER BY id "
    "LIMIT $3";
constexpr std::string_view kMembersOfTeam =
    "SELECT user_id FROM team_members WHERE tenant_id = $1 AND team_id = $2 ORDER BY user_id";
// A page of teams is a contiguous id range, so one range scan fetches the members of the whole page.
constexpr std::string_view kMembersOfTeamRange =
    "SELECT team_id, user_id FROM team_members WHERE tenant_id = $1 AND team_id >= $2 AND team_id <= $3 "
    "ORDER BY team_id, user_id";
constexpr std::string_view kFindName = "SELECT id FROM teams WHERE tenant_id = $1 AND name = $2 AND id <> $3";
constexpr std::string_view kInsertTeam =
    "INSERT INTO teams (tenant_id, id, name, kind, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
constexpr std::string_view kUpdateTeam =
    "UPDATE teams SET name = $3, description = $4 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteTeam = "DELETE FROM teams WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteMemberships = "DELETE FROM team_members WHERE tenant_id = $1 AND team_id = $2";
constexpr std::string_view kInsertMember =
    "INSERT INTO team_members (tenant_id, team_id, user_id, created_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (tenant_id, team_id, user_id) DO NOTHING";
constexpr std::string_view kDeleteMember =
    "DELETE FROM team_members WHERE tenant_id = $1 AND team_id = $2 AND user_id = $3";
constexpr std::string_view kTeamsOfUser =
    "SELECT team_id FROM team_members WHERE tenant_id = $1 AND user_id = $2 ORDER BY team_id";

constexpr std::size_t kMaxTeamNameBytes = 100;
constexpr std::size_t kMaxDescriptionBytes = 1000;

Team TeamFromRow(const store::Row& row) {
  return Team{.id = row.Text(0),
              .name = row.Text(1),
              .kind = row.Text(2),
              .description = row.Text(3),
              .created_at = row.Int(4)};
}

std::string TeamJson(const Team& team) {
  return nlohmann::json{{"id", team.id},
                        {"name", team.name},
                        {"kind", team.kind},
                        {"description", team.description},
                        {"member_ids", team.member_ids}}
      .dump();
}

std::string MembershipJson(std::string_view user_id) { return nlohmann::json{{"user_id", user_id}}.dump(); }

// Empty is allowed; otherwise the rules of a name, with its own limit.
// Membership is part of every credential's principal (team-scoped agents).
Status PublishTeamUpdated(store::TenantTx& tx, const std::string& team_id) {
  return tx.Publish(changes::kinds::kTeamUpdated, team_id, nlohmann::json{{"team_id", team_id}}.dump());
}

Result<std::string> CleanDescription(std::string_view description) {
  if (TrimAscii(description).empty()) return std::string();
  return CleanName(description, "description", kMaxDescriptionBytes);
}

Status CheckNameFree(store::TenantTx& tx, const std::string& name, const std::string& team_id) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> existing, tx.QueryOne(kFindName, {name, team_id}));
  if (existing) return Conflict("a team with this name already exists", "name");
  return Status::Ok();
}
}  // namespace

const std::vector<std::string_view>& TeamKinds() {
  static const std::vector<std::string_view> kKinds{"marketing", "sales", "service", "it", "custom"};
  return kKinds;
}

Result<Team> CreateTeam(store::TenantTx& tx, const AuditContext& audit, const NewTeam& team) {
  TP_ASSIGN_OR_RETURN(std::string name, CleanName(team.name, "name", kMaxTeamNameBytes));
  const std::vector<std::string_view>& kinds = TeamKinds();
  if (std::find(kinds.begin(), kinds.end(), team.kind) == kinds.end()) {
    return InvalidArgument("kind must be one of marketing, sales, service, it, custom", "kind");
  }
  TP_ASSIGN_OR_RETURN(std::string description, CleanDescription(team.description));
  TP_RETURN_IF_ERROR(CheckNameFree(tx, name, ""));
  Team created{.id = NewId("team_"),
               .name = std::move(name),
               .kind = team.kind,
               .description = std::move(description),
               .created_at = NowMicros()};
  TP_RETURN_IF_ERROR(
      tx.Execute(kInsertTeam, {created.id, created.name, created.kind, created.description, created.created_at}));
  TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "team.create", "team", created.id, {}, TeamJson(created)));
  return created;
}

Result<Team> GetTeam(store::TenantTx& tx, std::string_view team_id) {
  if (!LooksLikeId(team_id, "team_")) return NotFound("no team " + std::string(team_id));
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectTeam, {std::string(team_id)}));
  if (!row) return NotFound("no team " + std::string(team_id));
  Team team = TeamFromRow(*row);
  TP_ASSIGN_OR_RETURN(store::Rows members, tx.Query(kMembersOfTeam, {team.id}));
  for (const store::Row& member : members) team.member_ids.push_back(member.Text(0));
  return team;
}

Result<Page<Team>> ListTeams(store::TenantTx& tx, const PageRequest& page) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kListTeams, {page.after_id, std::int64_t{page.limit} + 1}));
  std::vector<Team> teams;
  teams.reserve(rows.size());
  for (const store::Row& row : rows) teams.push_back(TeamFromRow(row));
  Page<Team> result = MakePage(std::move(teams), page.limit, [](const Team& team) { return team.id; });
  if (result.items.empty()) return result;

  TP_ASSIGN_OR_RETURN(store::Rows members,
                      tx.Query(kMembersOfTeamRange, {result.items.front().id, result.items.back().id}));
  std::map<std::string, std::vector<std::string>> members_by_team;
  for (const store::Row& member : members) members_by_team[member.Text(0)].push_back(member.Text(1));
  for (Team& team : result.items) {
    if (auto found = members_by_team.find(team.id); found != members_by_team.end()) {
      team.member_ids = std::move(found->second);
    }
  }
  return result;
}

Result<Team> UpdateTeam(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id,
                        const TeamPatch& patch) {
  TP_ASSIGN_OR_RETURN(const Team before, GetTeam(tx, team_id));
  Team after = before;
  if (patch.name) {
    TP_ASSIGN_OR_RETURN(after.name, CleanName(*patch.name, "name", kMaxTeamNameBytes));
  }
  if (patch.description) {
    TP_ASSIGN_OR_RETURN(after.description, CleanDescription(*patch.description));
  }
  if (after.name == before.name && after.description == before.description) return before;
  if (after.name != before.name) TP_RETURN_IF_ERROR(CheckNameFree(tx, after.name, after.id));
  TP_RETURN_IF_ERROR(tx.Execute(kUpdateTeam, {after.id, after.name, after.description}));
  TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "team.update", "team", after.id, TeamJson(before), TeamJson(after)));
  return after;
}

Status DeleteTeam(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id) {
  TP_ASSIGN_OR_RETURN(const Team team, GetTeam(tx, team_id));
  TP_RETURN_IF_ERROR(tx.Execute(kDeleteMemberships, {team.id}));
  TP_RETURN_IF_ERROR(tx.Execute(kDeleteTeam, {team.id}));
  TP_RETURN_IF_ERROR(PublishTeamUpdated(tx, team.id));
  return RecordAudit(tx, audit, "team.delete", "team", team.id, TeamJson(team));
}

Status AddTeamMember(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id,
                     std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(const Team team, GetTeam(tx, team_id));
  TP_ASSIGN_OR_RETURN(const User user, GetUser(tx, user_id));
  TP_ASSIGN_OR_RETURN(std::int64_t added, tx.Execute(kInsertMember, {team.id, user.id, NowMicros()}));
  if (added == 0) return Status::Ok();
  TP_RETURN_IF_ERROR(PublishTeamUpdated(tx, team.id));
  return RecordAudit(tx, audit, "team.member_add", "team", team.id, {}, MembershipJson(user.id));
}

Status RemoveTeamMember(store::TenantTx& tx, const AuditContext& audit, std::string_view team_id,
                        std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(const Team team, GetTeam(tx, team_id));
  TP_ASSIGN_OR_RETURN(std::int64_t removed, tx.Execute(kDeleteMember, {team.id, std::string(user_id)}));
  if (removed == 0) return Status::Ok();
  TP_RETURN_IF_ERROR(PublishTeamUpdated(tx, team.id));
  return RecordAudit(tx, audit, "team.member_remove", "team", team.id, MembershipJson(user_id));
}

Result<std::vector<std::string>> TeamIdsOfUser(store::TenantTx& tx, std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kTeamsOfUser, {std::string(user_id)}));
  std::vector<std::string> team_ids;
  team_ids.reserve(rows.size());
  for (const store::Row& row : rows) team_ids.push_back(row.Text(0));
  return team_ids;
}

}  // namespace tp::identity
