// Auto-assignment (assignment/assignment.h): each agent's own availability (online, away, offline),
// what managers set for agents and teams (helpdesk:configure), and a team's state as agents and
// their leads see it.
#include "api/customer_access.h"
#include "api/routes.h"
#include "assignment/assignment.h"

namespace tp::api {
namespace {

using identity::Permission;

Json AvailabilityJson(const assignment::Availability& availability) {
  return {{"user_id", availability.user_id},
          {"status", assignment::AgentStatusName(availability.status)},
          {"capacity", availability.capacity},
          {"last_assigned_at", TimestampJson(availability.last_assigned_at)},
          {"updated_at", availability.updated_at == 0 ? Json(nullptr) : TimestampJson(availability.updated_at)}};
}

Json TeamAssignmentJson(const assignment::TeamAssignment& team) {
  Json agents = Json::array();
  for (const assignment::TeamAgent& agent : team.agents) {
    Json item = AvailabilityJson(agent.availability);
    item["load"] = agent.load;
    item["can_take"] = agent.can_take;
    agents.push_back(std::move(item));
  }
  return {{"team_id", team.team_id},
          {"method", assignment::AssignmentMethodName(team.method)},
          {"queued", team.queued},
          {"agents", std::move(agents)}};
}

Result<assignment::AvailabilityPatch> ReadAvailabilityPatch(const http::Request& request, bool with_capacity) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(request));
  FieldReader fields(body);
  assignment::AvailabilityPatch patch;
  TP_ASSIGN_OR_RETURN(const std::optional<std::string> status, fields.OptionalString("status", 16));
  if (status) {
    TP_ASSIGN_OR_RETURN(patch.status, assignment::ParseAgentStatus(*status));
  }
  if (with_capacity) {
    TP_ASSIGN_OR_RETURN(patch.capacity, fields.OptionalInt("capacity", 0, assignment::kMaxCapacity));
  }
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return patch;
}

Result<http::Response> SetAvailability(Registrar& registrar, Call& call, const std::string& user_id,
                                       const assignment::AvailabilityPatch& patch) {
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto availability, assignment::SetAvailability(tx, user_id, patch, call.audit, call.now));
    return AvailabilityJson(availability);
  });
}

Result<http::Response> GetMyAvailability(Registrar& registrar, Call& call) {
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto availability, assignment::GetAvailability(tx, call.principal.user_id));
    return AvailabilityJson(availability);
  });
}

// An agent sets their own status; their capacity is their manager's to set.
Result<http::Response> SetMyAvailability(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(const auto patch, ReadAvailabilityPatch(call.request, /*with_capacity=*/false));
  return SetAvailability(registrar, call, call.principal.user_id, patch);
}

Result<http::Response> SetUserAvailability(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(const std::string user_id, PathId(call.request, "id", "usr_"));
  TP_ASSIGN_OR_RETURN(const auto patch, ReadAvailabilityPatch(call.request, /*with_capacity=*/true));
  return SetAvailability(registrar, call, user_id, patch);
}

// Agents see the teams they belong to; another team is not found, as one that does not exist.
Status CheckTeamVisible(const Call& call, const std::string& team_id) {
  const auto only_teams = TeamScope(call);
  if (only_teams && std::find(only_teams->begin(), only_teams->end(), team_id) == only_teams->end()) {
    return Status(ErrorCode::kNotFound, "no such team", "team_id");
  }
  return Status::Ok();
}

Result<http::Response> GetTeamAssignment(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(const std::string team_id, PathId(call.request, "id", "team_"));
  TP_RETURN_IF_ERROR(CheckTeamVisible(call, team_id));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto team, assignment::GetTeamAssignment(tx, team_id));
    return TeamAssignmentJson(team);
  });
}

Result<http::Response> SetTeamAssignment(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(const std::string team_id, PathId(call.request, "id", "team_"));
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  TP_ASSIGN_OR_RETURN(const std::string method_name, fields.RequiredString("method", 32));
  TP_ASSIGN_OR_RETURN(const assignment::AssignmentMethod method, assignment::ParseAssignmentMethod(method_name));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto team, assignment::SetTeamMethod(tx, team_id, method, call.audit, call.now));
    return TeamAssignmentJson(team);
  });
}

}  // namespace

void RegisterAssignmentRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/me/availability", Permission::kCasesWrite, GetMyAvailability);
  registrar.Protected("PUT", "/api/v1/me/availability", Permission::kCasesWrite, SetMyAvailability);
  registrar.Protected("PUT", "/api/v1/users/{id}/availability", Permission::kHelpdeskConfigure, SetUserAvailability);
  registrar.Protected("GET", "/api/v1/teams/{id}/assignment", Permission::kCasesRead, GetTeamAssignment);
  registrar.Protected("PUT", "/api/v1/teams/{id}/assignment", Permission::kHelpdeskConfigure, SetTeamAssignment);
}

}  // namespace tp::api
