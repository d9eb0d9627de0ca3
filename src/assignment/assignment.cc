#include "assignment/assignment.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "cases/cases.h"
#include "changes/kinds.h"
#include "identity/permissions.h"
#include "identity/teams.h"
#include "identity/users.h"
#include "store/sql_params.h"

namespace tp::assignment {
namespace {

using nlohmann::json;
using store::Sql;
using store::SqlParams;

// How many cases one offer of a queue assigns at most; the rest wait for the next change, so one
// subscriber transaction stays short even after a large backlog meets a fresh shift.
constexpr int kMaxAssignedPerOffer = 200;

Availability AvailabilityFromRow(const store::Row& row) {
  Availability out;
  out.user_id = row.Text(0);
  const Result<AgentStatus> status = ParseAgentStatus(row.Text(1));
  out.status = status.ok() ? *status : AgentStatus::kOffline;  // stored by this module: always known
  out.capacity = row.Int(2);
  if (!row.IsNull(3)) out.last_assigned_at = row.Int(3);
  out.updated_at = row.Int(4);
  return out;
}

constexpr std::string_view kSelectAvailability =
    "SELECT user_id, status, capacity, last_assigned_at, updated_at FROM agent_availability WHERE tenant_id = $1 ";

Result<std::optional<Availability>> StoredAvailability(store::TenantTx& tx, std::string_view user_id) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(Sql({kSelectAvailability, "AND user_id = $2"}), {std::string(user_id)}));
  if (!row) return std::optional<Availability>();
  return std::optional<Availability>(AvailabilityFromRow(*row));
}

json AvailabilityJson(const Availability& availability) {
  return {{"status", AgentStatusName(availability.status)}, {"capacity", availability.capacity}};
}

Status WriteAvailability(store::TenantTx& tx, const Availability& availability) {
  return tx
      .Execute("INSERT INTO agent_availability (tenant_id, user_id, status, capacity, last_assigned_at, updated_at) "
               "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, user_id) DO UPDATE SET "
               "status = excluded.status, capacity = excluded.capacity, last_assigned_at = excluded.last_assigned_at, "
               "updated_at = excluded.updated_at",
               {availability.user_id, std::string(AgentStatusName(availability.status)), availability.capacity,
                availability.last_assigned_at ? store::Value(*availability.last_assigned_at) : store::Value(),
                availability.updated_at})
      .status();
}

struct StoredMethod {
  AssignmentMethod method = AssignmentMethod::kManual;
  std::optional<std::string> last_user_id;
};

Result<StoredMethod> MethodOf(store::TenantTx& tx, std::string_view team_id) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne("SELECT method, last_user_id FROM team_assignment WHERE tenant_id = $1 AND team_id = $2",
                                  {std::string(team_id)}));
  StoredMethod out;
  if (!row) return out;
  TP_ASSIGN_OR_RETURN(out.method, ParseAssignmentMethod(row->Text(0)));
  if (!row->IsNull(1)) out.last_user_id = row->Text(1);
  return out;
}

Status WriteMethod(store::TenantTx& tx, std::string_view team_id, const StoredMethod& stored, Micros now) {
  return tx
      .Execute("INSERT INTO team_assignment (tenant_id, team_id, method, last_user_id, updated_at) "
               "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, team_id) DO UPDATE SET "
               "method = excluded.method, last_user_id = excluded.last_user_id, updated_at = excluded.updated_at",
               {std::string(team_id), std::string(AssignmentMethodName(stored.method)),
                stored.last_user_id ? store::Value(*stored.last_user_id) : store::Value(), now})
      .status();
}

// The load that capacity limits: new and open cases assigned to each of `user_ids`.
Result<std::map<std::string, std::int64_t>> LoadsOf(store::TenantTx& tx, const std::vector<std::string>& user_ids) {
  std::map<std::string, std::int64_t> loads;
  if (user_ids.empty()) return loads;
  SqlParams params;
  const std::string sql =
      Sql({"SELECT assignee_id, COUNT(*) FROM cases WHERE tenant_id = $1 AND status IN ('new', 'open') AND assignee_id IN (",
           params.BindList(user_ids), ") GROUP BY assignee_id"});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  for (const store::Row& row : rows) loads[row.Text(0)] = row.Int(1);
  return loads;
}

Result<std::vector<TeamAgent>> AgentsOf(store::TenantTx& tx, const identity::Team& team) {
  std::vector<TeamAgent> agents;
  if (team.member_ids.empty()) return agents;
  SqlParams params;
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(Sql({kSelectAvailability, "AND user_id IN (", params.BindList(team.member_ids), ")"}),
                               params.values()));
  std::map<std::string, Availability> stored;
  for (const store::Row& row : rows) {
    Availability availability = AvailabilityFromRow(row);
    stored.emplace(availability.user_id, std::move(availability));
  }
  TP_ASSIGN_OR_RETURN(const auto loads, LoadsOf(tx, team.member_ids));
  for (const std::string& user_id : team.member_ids) {  // sorted by GetTeam
    TeamAgent agent;
    const auto found = stored.find(user_id);
    agent.availability = found != stored.end() ? found->second : Availability{.user_id = user_id};
    const auto load = loads.find(user_id);
    agent.load = load == loads.end() ? 0 : load->second;
    TP_ASSIGN_OR_RETURN(const identity::User user, identity::GetUser(tx, user_id));
    agent.can_take = !user.disabled && identity::RoleHasPermission(user.role, identity::Permission::kCasesWrite) &&
                     agent.availability.status == AgentStatus::kOnline && agent.load < agent.availability.capacity;
    agents.push_back(std::move(agent));
  }
  return agents;
}

// The oldest unassigned new or open cases of the team.
Result<std::vector<cases::Case>> QueueOf(store::TenantTx& tx, std::string_view team_id, int limit) {
  std::vector<cases::Case> queue;
  PageRequest page{.limit = std::min(limit, PageRequest::kMaxLimit)};
  while (static_cast<int>(queue.size()) < limit) {
    TP_ASSIGN_OR_RETURN(Page<cases::Case> found,
                        cases::ListCases(tx,
                                         {.any_status = {cases::CaseStatus::kNew, cases::CaseStatus::kOpen},
                                          .assignee_id = std::optional<std::string>(),
                                          .team_id = std::string(team_id)},
                                         page));
    for (cases::Case& item : found.items) queue.push_back(std::move(item));
    if (found.next_cursor.empty() || found.items.empty()) break;
    page.after_id = queue.back().id;
  }
  if (static_cast<int>(queue.size()) > limit) queue.resize(static_cast<std::size_t>(limit));
  return queue;
}

Result<std::int64_t> CountQueue(store::TenantTx& tx, std::string_view team_id) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne("SELECT COUNT(*) FROM cases WHERE tenant_id = $1 AND team_id = $2 AND "
                                  "assignee_id IS NULL AND status IN ('new', 'open')",
                                  {std::string(team_id)}));
  return row ? row->Int(0) : 0;
}

// Teams whose queues auto-assignment serves.
Result<std::vector<std::string>> AutomaticTeams(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT team_id FROM team_assignment WHERE tenant_id = $1 AND "
                                                 "method <> 'manual' ORDER BY team_id"));
  std::vector<std::string> out;
  for (const store::Row& row : rows) out.push_back(row.Text(0));
  return out;
}

bool OffersQueues(const store::Change& change) {
  namespace kinds = changes::kinds;
  if (change.kind == kinds::kCaseCreated || change.kind == kinds::kAgentAvailabilityChanged ||
      change.kind == kinds::kTeamUpdated) {
    return true;
  }
  if (change.kind != kinds::kCaseUpdated) return false;
  // A case changes someone's load or a queue only through these fields ("after": what changed).
  const json data = json::parse(change.data, nullptr, false);
  if (!data.is_object() || !data.contains("after") || !data["after"].is_object()) return true;
  const json& after = data["after"];
  return after.contains("status") || after.contains("assignee_id") || after.contains("team_id");
}

}  // namespace

std::string_view AssignmentMethodName(AssignmentMethod method) {
  switch (method) {
    case AssignmentMethod::kManual: return "manual";
    case AssignmentMethod::kRoundRobin: return "round_robin";
    case AssignmentMethod::kLeastLoaded: return "least_loaded";
  }
  return "manual";
}

Result<AssignmentMethod> ParseAssignmentMethod(std::string_view name) {
  if (name == "manual") return AssignmentMethod::kManual;
  if (name == "round_robin") return AssignmentMethod::kRoundRobin;
  if (name == "least_loaded") return AssignmentMethod::kLeastLoaded;
  return InvalidArgument("method must be manual, round_robin or least_loaded", "method");
}

std::string_view AgentStatusName(AgentStatus status) {
  switch (status) {
    case AgentStatus::kOnline: return "online";
    case AgentStatus::kAway: return "away";
    case AgentStatus::kOffline: return "offline";
  }
  return "offline";
}

Result<AgentStatus> ParseAgentStatus(std::string_view name) {
  if (name == "online") return AgentStatus::kOnline;
  if (name == "away") return AgentStatus::kAway;
  if (name == "offline") return AgentStatus::kOffline;
  return InvalidArgument("status must be online, away or offline", "status");
}

Result<Availability> GetAvailability(store::TenantTx& tx, std::string_view user_id) {
  if (const Result<identity::User> user = identity::GetUser(tx, user_id); !user.ok()) {
    return user.status().code() == ErrorCode::kNotFound ? Status(ErrorCode::kNotFound, "no such user", "user_id")
                                                        : user.status();
  }
  TP_ASSIGN_OR_RETURN(std::optional<Availability> stored, StoredAvailability(tx, user_id));
  return stored ? *stored : Availability{.user_id = std::string(user_id)};
}

Result<Availability> SetAvailability(store::TenantTx& tx, std::string_view user_id, const AvailabilityPatch& patch,
                                     const identity::AuditContext& audit, Micros now) {
  if (patch.capacity && (*patch.capacity < 0 || *patch.capacity > kMaxCapacity)) {
    return InvalidArgument("capacity must be a whole number from 0 to " + std::to_string(kMaxCapacity), "capacity");
  }
  TP_ASSIGN_OR_RETURN(const Availability before, GetAvailability(tx, user_id));
  Availability after = before;
  if (patch.status) after.status = *patch.status;
  if (patch.capacity) after.capacity = *patch.capacity;
  if (after.status == before.status && after.capacity == before.capacity && before.updated_at != 0) return before;
  after.updated_at = now;
  TP_RETURN_IF_ERROR(WriteAvailability(tx, after));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "agent.availability", "user", after.user_id,
                                           AvailabilityJson(before).dump(), AvailabilityJson(after).dump()));
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kAgentAvailabilityChanged, after.user_id,
                                json{{"user_id", after.user_id}, {"status", AgentStatusName(after.status)}}.dump()));
  return after;
}

Result<TeamAssignment> GetTeamAssignment(store::TenantTx& tx, std::string_view team_id) {
  Result<identity::Team> team = identity::GetTeam(tx, team_id);
  if (!team.ok()) {
    return team.status().code() == ErrorCode::kNotFound ? Status(ErrorCode::kNotFound, "no such team", "team_id")
                                                        : team.status();
  }
  TP_ASSIGN_OR_RETURN(const StoredMethod stored, MethodOf(tx, team_id));
  TeamAssignment out{.team_id = team->id, .method = stored.method, .last_user_id = stored.last_user_id};
  TP_ASSIGN_OR_RETURN(out.agents, AgentsOf(tx, *team));
  TP_ASSIGN_OR_RETURN(out.queued, CountQueue(tx, team_id));
  return out;
}

Result<TeamAssignment> SetTeamMethod(store::TenantTx& tx, std::string_view team_id, AssignmentMethod method,
                                     const identity::AuditContext& audit, Micros now) {
  TP_ASSIGN_OR_RETURN(const TeamAssignment before, GetTeamAssignment(tx, team_id));
  if (before.method != method) {
    TP_RETURN_IF_ERROR(WriteMethod(tx, team_id, {.method = method, .last_user_id = before.last_user_id}, now));
    TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "team.assignment", "team", before.team_id,
                                             json{{"method", AssignmentMethodName(before.method)}}.dump(),
                                             json{{"method", AssignmentMethodName(method)}}.dump()));
  }
  if (method != AssignmentMethod::kManual) TP_RETURN_IF_ERROR(AssignQueue(tx, team_id, now).status());
  return GetTeamAssignment(tx, team_id);
}

std::optional<std::size_t> ChooseAgent(AssignmentMethod method, std::span<const TeamAgent> agents,
                                       const std::optional<std::string>& last_user_id) {
  if (method == AssignmentMethod::kManual) return std::nullopt;
  if (method == AssignmentMethod::kRoundRobin) {
    // The first after the previous one, in user-id order; from the start when there was none or they left.
    std::size_t start = 0;
    if (last_user_id) {
      start = static_cast<std::size_t>(
          std::upper_bound(agents.begin(), agents.end(), *last_user_id,
                           [](const std::string& id, const TeamAgent& agent) { return id < agent.availability.user_id; }) -
          agents.begin());
    }
    for (std::size_t step = 0; step < agents.size(); ++step) {
      const std::size_t index = (start + step) % agents.size();
      if (agents[index].can_take) return index;
    }
    return std::nullopt;
  }
  std::optional<std::size_t> best;
  const auto rank = [&](std::size_t index) {
    const TeamAgent& agent = agents[index];
    // Never assigned sorts first: -1 is before every real time.
    return std::make_tuple(agent.load, agent.availability.last_assigned_at.value_or(-1),
                           std::string_view(agent.availability.user_id));
  };
  for (std::size_t index = 0; index < agents.size(); ++index) {
    if (!agents[index].can_take) continue;
    if (!best || rank(index) < rank(*best)) best = index;
  }
  return best;
}

Result<std::int64_t> AssignQueue(store::TenantTx& tx, std::string_view team_id, Micros now) {
  TP_ASSIGN_OR_RETURN(StoredMethod stored, MethodOf(tx, team_id));
  if (stored.method == AssignmentMethod::kManual) return 0;
  TP_ASSIGN_OR_RETURN(const identity::Team team, identity::GetTeam(tx, team_id));
  // Every batch of case changes offers every automatic team's queue, and most queues are empty: one
  // indexed read settles that before the agents, their users and their loads are read.
  TP_ASSIGN_OR_RETURN(const std::optional<store::Row> waiting,
                      tx.QueryOne("SELECT id FROM cases WHERE tenant_id = $1 AND team_id = $2 AND assignee_id IS NULL "
                                  "AND status IN ('new', 'open') LIMIT 1",
                                  {std::string(team_id)}));
  if (!waiting) return 0;
  TP_ASSIGN_OR_RETURN(std::vector<TeamAgent> agents, AgentsOf(tx, team));
  if (std::none_of(agents.begin(), agents.end(), [](const TeamAgent& agent) { return agent.can_take; })) return 0;
  std::int64_t spare = 0;
  for (const TeamAgent& agent : agents) {
    if (agent.can_take) spare += agent.availability.capacity - agent.load;
  }
  TP_ASSIGN_OR_RETURN(const std::vector<cases::Case> queue,
                      QueueOf(tx, team_id, static_cast<int>(std::min<std::int64_t>(spare, kMaxAssignedPerOffer))));
  const identity::AuditContext audit{.actor_type = "system", .actor_id = "assignment"};
  std::int64_t assigned = 0;
  for (const cases::Case& item : queue) {
    const std::optional<std::size_t> chosen = ChooseAgent(stored.method, agents, stored.last_user_id);
    if (!chosen) break;
    TeamAgent& agent = agents[*chosen];
    TP_RETURN_IF_ERROR(
        cases::UpdateCase(tx, item.id, {.assignee_id = std::optional<std::string>(agent.availability.user_id)}, audit)
            .status());
    ++agent.load;
    agent.can_take = agent.load < agent.availability.capacity;
    agent.availability.last_assigned_at = now;
    TP_RETURN_IF_ERROR(WriteAvailability(tx, agent.availability));
    stored.last_user_id = agent.availability.user_id;
    ++assigned;
  }
  if (assigned > 0) {
    TP_RETURN_IF_ERROR(tx.Execute("UPDATE team_assignment SET last_user_id = $3 WHERE tenant_id = $1 AND team_id = $2",
                                  {std::string(team_id), *stored.last_user_id})
                           .status());
  }
  return assigned;
}

Status HandleChanges(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now) {
  // Freed capacity can come from any team of the agent, so every automatic team of a tenant is offered
  // its queue once per batch; a team whose queue is empty or whose agents are all full costs two reads.
  std::vector<std::string> tenants;
  std::set<std::string> seen;
  for (const store::Change& change : batch) {
    if (OffersQueues(change) && seen.insert(change.tenant_id).second) tenants.push_back(change.tenant_id);
  }
  for (const std::string& tenant_id : tenants) {
    store::TenantTx tenant = tx.InTenant(tenant_id);
    TP_ASSIGN_OR_RETURN(const std::vector<std::string> teams, AutomaticTeams(tenant));
    for (const std::string& team_id : teams) {
      const Result<std::int64_t> assigned = AssignQueue(tenant, team_id, now);
      if (assigned.ok()) continue;
      if (assigned.status().code() != ErrorCode::kNotFound) return assigned.status();  // retried with the batch
      // The team was deleted since it was configured: forget its setting.
      TP_RETURN_IF_ERROR(
          tenant.Execute("DELETE FROM team_assignment WHERE tenant_id = $1 AND team_id = $2", {team_id}).status());
    }
  }
  return Status::Ok();
}

}  // namespace tp::assignment
