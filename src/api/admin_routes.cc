// Administration: the tenant's settings, users and their sessions, teams and membership, API keys,
// and the audit log. Every write records its audit entry inside the same transaction (identity/).
#include "api/render.h"
#include "api/routes.h"
#include "cases/cases.h"
#include "identity/sessions.h"

namespace tp::api {
namespace {

using identity::Permission;

Result<std::optional<identity::Role>> OptionalRole(FieldReader& fields) {
  TP_ASSIGN_OR_RETURN(auto role_name, fields.OptionalString("role", 20));
  if (!role_name) return std::optional<identity::Role>();
  auto role = identity::ParseRole(*role_name);
  if (!role) return InvalidArgument("role must be admin, manager, agent, analyst or viewer", "role");
  return role;
}

Result<http::Response> GetTenant(Registrar& registrar, Call& call) {
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto tenant, identity::GetTenant(tx));
    return TenantJson(tenant);
  });
}

Result<http::Response> UpdateTenant(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(auto name, fields.OptionalString("name", 200));
  TP_ASSIGN_OR_RETURN(auto settings, fields.OptionalObjectText("settings", 64 * 1024));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto current, identity::GetTenant(tx));
    TP_ASSIGN_OR_RETURN(auto updated, identity::UpdateTenantSettings(tx, call.audit, name.value_or(current.name),
                                                                     settings.value_or(current.settings_json)));
    return TenantJson(updated);
  });
}

Result<http::Response> ListUsers(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, identity::ListUsers(tx, page_request));
    return PageJson(page, UserJson);
  });
}

Result<http::Response> CreateUser(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  identity::NewUser user;
  TP_ASSIGN_OR_RETURN(user.email, fields.RequiredString("email", 254));
  TP_ASSIGN_OR_RETURN(user.name, fields.RequiredString("name", 200));
  TP_ASSIGN_OR_RETURN(user.password, fields.RequiredString("password", 256));
  TP_ASSIGN_OR_RETURN(auto role, OptionalRole(fields));
  if (!role) return InvalidArgument("role is required", "role");
  user.role = *role;
  TP_ASSIGN_OR_RETURN(auto granted, fields.OptionalBool("contact_data_granted"));
  user.contact_data_granted = granted.value_or(false);
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto created, identity::CreateUser(tx, call.audit, user, registrar.options().login.password_limits));
    return UserJson(created);
  });
}

Result<http::Response> GetUser(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string user_id, PathId(call.request, "id", "usr_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto user, identity::GetUser(tx, user_id));
    Json body = UserJson(user);
    TP_ASSIGN_OR_RETURN(body["team_ids"], identity::TeamIdsOfUser(tx, user_id));
    return body;
  });
}

Result<http::Response> UpdateUser(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string user_id, PathId(call.request, "id", "usr_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  identity::UserPatch patch;
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", 200));
  TP_ASSIGN_OR_RETURN(patch.role, OptionalRole(fields));
  TP_ASSIGN_OR_RETURN(patch.disabled, fields.OptionalBool("disabled"));
  TP_ASSIGN_OR_RETURN(patch.contact_data_granted, fields.OptionalBool("contact_data_granted"));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  if (user_id == call.principal.user_id && (patch.disabled.value_or(false) || patch.role)) {
    return FailedPrecondition("you cannot disable yourself or change your own role", patch.role ? "role" : "disabled");
  }
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto updated, identity::UpdateUser(tx, call.audit, user_id, patch));
    return UserJson(updated);
  });
}

Result<http::Response> ListUserSessions(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string user_id, PathId(call.request, "id", "usr_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_RETURN_IF_ERROR(identity::GetUser(tx, user_id));
    Json items = Json::array();
    TP_ASSIGN_OR_RETURN(auto sessions, identity::ListSessions(tx, user_id));
    for (const auto& session : sessions) {
      items.push_back(Json{{"id", session.id},
                           {"created_at", TimestampJson(session.created_at)},
                           {"last_seen_at", TimestampJson(session.last_seen_at)},
                           {"expires_at", TimestampJson(session.expires_at)},
                           {"ip", session.ip},
                           {"user_agent", session.user_agent}});
    }
    return Json{{"items", std::move(items)}, {"next_cursor", nullptr}};
  });
}

Result<http::Response> RevokeUserSessions(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string user_id, PathId(call.request, "id", "usr_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(identity::GetUser(tx, user_id));
    return identity::RevokeSessions(tx, call.audit, user_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> ListTeams(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, identity::ListTeams(tx, page_request));
    return PageJson(page, TeamJson);
  });
}

Result<http::Response> CreateTeam(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  identity::NewTeam team;
  TP_ASSIGN_OR_RETURN(team.name, fields.RequiredString("name", 100));
  TP_ASSIGN_OR_RETURN(auto kind, fields.OptionalString("kind", 20));
  TP_ASSIGN_OR_RETURN(auto description, fields.OptionalString("description", 2000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  team.kind = kind.value_or("custom");
  team.description = description.value_or("");
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto created, identity::CreateTeam(tx, call.audit, team));
    return TeamJson(created);
  });
}

Result<http::Response> GetTeam(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string team_id, PathId(call.request, "id", "team_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto team, identity::GetTeam(tx, team_id));
    return TeamJson(team);
  });
}

Result<http::Response> UpdateTeam(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string team_id, PathId(call.request, "id", "team_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  identity::TeamPatch patch;
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", 100));
  TP_ASSIGN_OR_RETURN(patch.description, fields.OptionalString("description", 2000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto updated, identity::UpdateTeam(tx, call.audit, team_id, patch));
    return TeamJson(updated);
  });
}

Result<http::Response> DeleteTeam(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string team_id, PathId(call.request, "id", "team_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return cases::DeleteTeam(tx, call.audit, team_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> AddTeamMember(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string team_id, PathId(call.request, "id", "team_"));
  TP_ASSIGN_OR_RETURN(std::string user_id, PathId(call.request, "user_id", "usr_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return identity::AddTeamMember(tx, call.audit, team_id, user_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> RemoveTeamMember(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string team_id, PathId(call.request, "id", "team_"));
  TP_ASSIGN_OR_RETURN(std::string user_id, PathId(call.request, "user_id", "usr_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return identity::RemoveTeamMember(tx, call.audit, team_id, user_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> ListApiKeys(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  const std::optional<std::string> owner = call.request.QueryParam("user_id");
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, identity::ListApiKeysAs(tx, call.principal, owner, page_request));
    return PageJson(page, ApiKeyJson);
  });
}

Result<http::Response> CreateApiKey(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(std::string name, fields.RequiredString("name", 100));
  TP_ASSIGN_OR_RETURN(std::string scope_name, fields.RequiredString("scope", 10));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  const auto scope = identity::ParseApiKeyScope(scope_name);
  if (!scope) return InvalidArgument("scope must be ingest or full", "scope");
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto created, identity::CreateApiKey(tx, call.audit, call.principal, name, *scope));
    Json body = ApiKeyJson(created.key);
    body["token"] = created.secret_token;
    return body;
  });
}

Result<http::Response> RevokeApiKey(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string key_id, PathId(call.request, "id", "key_"));
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto revoked, identity::RevokeApiKeyAs(tx, call.audit, call.principal, key_id));
    return ApiKeyJson(revoked);
  });
}

Result<http::Response> ListAudit(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  identity::AuditFilter filter;
  filter.actor_id = call.request.QueryParam("actor_id");
  filter.action = call.request.QueryParam("action");
  filter.target_id = call.request.QueryParam("target_id");
  TP_ASSIGN_OR_RETURN(filter.since, TimestampFromQuery(call.request, "since"));
  TP_ASSIGN_OR_RETURN(filter.until, TimestampFromQuery(call.request, "until"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, identity::ListAudit(tx, filter, page_request));
    return PageJson(page, AuditJson);
  });
}

}  // namespace

void RegisterAdminRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/tenant", Permission::kTenantRead, GetTenant);
  registrar.Protected("PATCH", "/api/v1/tenant", Permission::kTenantWrite, UpdateTenant);
  registrar.Protected("GET", "/api/v1/users", Permission::kUsersRead, ListUsers);
  registrar.Protected("POST", "/api/v1/users", Permission::kUsersWrite, CreateUser);
  registrar.Protected("GET", "/api/v1/users/{id}", Permission::kUsersRead, GetUser);
  registrar.Protected("PATCH", "/api/v1/users/{id}", Permission::kUsersWrite, UpdateUser);
  registrar.Protected("GET", "/api/v1/users/{id}/sessions", Permission::kUsersWrite, ListUserSessions);
  registrar.Protected("DELETE", "/api/v1/users/{id}/sessions", Permission::kUsersWrite, RevokeUserSessions);
  registrar.Protected("GET", "/api/v1/teams", Permission::kTeamsRead, ListTeams);
  registrar.Protected("POST", "/api/v1/teams", Permission::kTeamsWrite, CreateTeam);
  registrar.Protected("GET", "/api/v1/teams/{id}", Permission::kTeamsRead, GetTeam);
  registrar.Protected("PATCH", "/api/v1/teams/{id}", Permission::kTeamsWrite, UpdateTeam);
  registrar.Protected("DELETE", "/api/v1/teams/{id}", Permission::kTeamsWrite, DeleteTeam);
  registrar.Protected("PUT", "/api/v1/teams/{id}/members/{user_id}", Permission::kTeamsWrite, AddTeamMember);
  registrar.Protected("DELETE", "/api/v1/teams/{id}/members/{user_id}", Permission::kTeamsWrite, RemoveTeamMember);
  registrar.Protected("GET", "/api/v1/api-keys", Permission::kApiKeysOwn, ListApiKeys);
  registrar.Protected("POST", "/api/v1/api-keys", Permission::kApiKeysOwn, CreateApiKey);
  registrar.Protected("DELETE", "/api/v1/api-keys/{id}", Permission::kApiKeysOwn, RevokeApiKey);
  registrar.Protected("GET", "/api/v1/audit", Permission::kAuditRead, ListAudit);
}

}  // namespace tp::api
