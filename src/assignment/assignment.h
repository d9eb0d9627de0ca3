// Auto-assignment inside a team: which of the team's agents takes an unassigned case, by round-robin or
// by the lightest load, among those who are online and below their capacity. Routing a case to a team
// is the rules engine's job (a `case.created` rule with an `assign` action, docs/cases.md); this module
// takes over once a case has a team and nobody to work it.
//
//   TP_RETURN_IF_ERROR(SetTeamMethod(tx, team_id, AssignmentMethod::kLeastLoaded, audit, now));
//   TP_ASSIGN_OR_RETURN(Availability mine, SetAvailability(tx, user_id, {.status = AgentStatus::kOnline}, audit, now));
//   // the durable change-feed subscriber "assignment" (HandleChanges) then assigns the team's queue.
//
// Who can take a case: a member of the case's team whose role may work cases (cases:write), who is not
// disabled, whose status is online, and whose load (cases assigned to them that are new or open; pending
// cases wait on the customer and do not count) is below their capacity. An agent with no availability
// record is offline. When nobody can take a case it waits, unassigned, in the team's queue (oldest
// first) until an agent comes online or one of theirs is solved, pended or handed on.
//
// Every function works inside the transaction's tenant only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::assignment {

enum class AssignmentMethod { kManual, kRoundRobin, kLeastLoaded };
enum class AgentStatus { kOnline, kAway, kOffline };

std::string_view AssignmentMethodName(AssignmentMethod method);  // "manual", "round_robin", "least_loaded"
Result<AssignmentMethod> ParseAssignmentMethod(std::string_view name);  // kInvalidArgument field "method"
std::string_view AgentStatusName(AgentStatus status);            // "online", "away", "offline"
Result<AgentStatus> ParseAgentStatus(std::string_view name);     // kInvalidArgument field "status"

inline constexpr std::int64_t kDefaultCapacity = 10;
inline constexpr std::int64_t kMaxCapacity = 1000;

struct Availability {
  std::string user_id;
  AgentStatus status = AgentStatus::kOffline;
  std::int64_t capacity = kDefaultCapacity;  // most new or open cases auto-assignment gives them
  std::optional<Micros> last_assigned_at;    // the last case auto-assignment gave them
  Micros updated_at = 0;                     // 0: never set
};

struct AvailabilityPatch {
  std::optional<AgentStatus> status;
  std::optional<std::int64_t> capacity;  // 0..kMaxCapacity (kInvalidArgument field "capacity")
};

// The user's availability; an offline record with the default capacity for one who never set it.
// kNotFound field "user_id" for a user the tenant has not.
Result<Availability> GetAvailability(store::TenantTx& tx, std::string_view user_id);
// Changes status and/or capacity, records "agent.availability" in the audit log and publishes
// agent.availability_changed, which makes the subscriber offer the agent's teams' queues.
Result<Availability> SetAvailability(store::TenantTx& tx, std::string_view user_id, const AvailabilityPatch& patch,
                                     const identity::AuditContext& audit, Micros now);

// One agent of a team as auto-assignment sees them.
struct TeamAgent {
  Availability availability;
  std::int64_t load = 0;     // their new and open cases, in any team
  bool can_take = false;     // online, below capacity, may work cases, not disabled
};

struct TeamAssignment {
  std::string team_id;
  AssignmentMethod method = AssignmentMethod::kManual;
  std::optional<std::string> last_user_id;  // round-robin: who got the previous case
  std::vector<TeamAgent> agents;            // every member, by user id
  std::int64_t queued = 0;                  // unassigned new or open cases of the team
};

// kNotFound field "team_id" for a team the tenant has not. A team that never set a method is manual.
Result<TeamAssignment> GetTeamAssignment(store::TenantTx& tx, std::string_view team_id);
// Records "team.assignment" and, for a method other than manual, offers the team's queue at once.
Result<TeamAssignment> SetTeamMethod(store::TenantTx& tx, std::string_view team_id, AssignmentMethod method,
                                     const identity::AuditContext& audit, Micros now);

// The choice itself, pure. `agents` in user-id order; returns the index of the agent who takes the next
// case, or std::nullopt when nobody can. Round-robin: the first who can take it after `last_user_id` in
// that order, wrapping around. Least-loaded: the lowest load, then the longest since their last
// auto-assigned case (never first), then the user id.
std::optional<std::size_t> ChooseAgent(AssignmentMethod method, std::span<const TeamAgent> agents,
                                       const std::optional<std::string>& last_user_id);

// Assigns the team's queue, oldest case first, as long as someone can take a case; returns how many
// it assigned. Each assignment is an ordinary case update (audit "case.update" by actor "assignment",
// history, case.updated on the feed).
Result<std::int64_t> AssignQueue(store::TenantTx& tx, std::string_view team_id, Micros now);

// The durable change-feed subscriber "assignment": a new or reopened unassigned case, a case moved to
// another team or unassigned, a case that stopped counting towards someone's load, and an agent's
// availability change each offer the queues of the teams concerned.
Status HandleChanges(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now);

}  // namespace tp::assignment
