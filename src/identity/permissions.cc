#include "identity/permissions.h"

#include <algorithm>

namespace tp::identity {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kManager: return "manager";
    case Role::kAgent: return "agent";
    case Role::kAnalyst: return "analyst";
    case Role::kViewer: return "viewer";
  }
  return "viewer";
}

const std::vector<Role>& AllRoles() {
  static const std::vector<Role> kRoles{Role::kAdmin, Role::kManager, Role::kAgent, Role::kAnalyst,
                                        Role::kViewer};
  return kRoles;
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : AllRoles()) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view PermissionName(Permission permission) {
  switch (permission) {
    case Permission::kTenantRead: return "tenant:read";
    case Permission::kTenantWrite: return "tenant:write";
    case Permission::kUsersRead: return "users:read";
    case Permission::kUsersWrite: return "users:write";
    case Permission::kTeamsRead: return "teams:read";
    case Permission::kTeamsWrite: return "teams:write";
    case Permission::kApiKeysOwn: return "api_keys:own";
    case Permission::kApiKeysAll: return "api_keys:all";
    case Permission::kAuditRead: return "audit:read";
    case Permission::kCustomersRead: return "customers:read";
    case Permission::kCustomersWrite: return "customers:write";
    case Permission::kCustomersMerge: return "customers:merge";
    case Permission::kCustomersUnmerge: return "customers:unmerge";
    case Permission::kPrivacyRequests: return "privacy:requests";
    case Permission::kContactDataRead: return "contact_data:read";
    case Permission::kCasesRead: return "cases:read";
    case Permission::kCasesReadAll: return "cases:read_all";
    case Permission::kCasesWrite: return "cases:write";
    case Permission::kFeedbackRead: return "feedback:read";
    case Permission::kFeedbackWrite: return "feedback:write";
    case Permission::kEventsIngest: return "events:ingest";
    case Permission::kAnalyticsRead: return "analytics:read";
    case Permission::kRulesWrite: return "rules:write";
    case Permission::kIntegrationsManage: return "integrations:manage";
    case Permission::kHelpdeskConfigure: return "helpdesk:configure";
  }
  return "unknown";
}

const std::vector<Permission>& AllPermissions() {
  static const std::vector<Permission> kPermissions{
      Permission::kTenantRead,     Permission::kTenantWrite,   Permission::kUsersRead,
      Permission::kUsersWrite,     Permission::kTeamsRead,     Permission::kTeamsWrite,
      Permission::kApiKeysOwn,     Permission::kApiKeysAll,    Permission::kAuditRead,
      Permission::kCustomersRead,  Permission::kCustomersWrite, Permission::kCustomersMerge,
      Permission::kCustomersUnmerge, Permission::kPrivacyRequests, Permission::kContactDataRead,
      Permission::kCasesRead,      Permission::kCasesReadAll,  Permission::kCasesWrite,
      Permission::kFeedbackRead,   Permission::kFeedbackWrite, Permission::kEventsIngest,
      Permission::kAnalyticsRead,  Permission::kRulesWrite,    Permission::kIntegrationsManage,
      Permission::kHelpdeskConfigure};
  return kPermissions;
}

std::string_view ApiKeyScopeName(ApiKeyScope scope) { return scope == ApiKeyScope::kIngest ? "ingest" : "full"; }

std::optional<ApiKeyScope> ParseApiKeyScope(std::string_view name) {
  if (name == "ingest") return ApiKeyScope::kIngest;
  if (name == "full") return ApiKeyScope::kFull;
  return std::nullopt;
}

bool RoleHasPermission(Role role, Permission permission) {
  using P = Permission;
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kManager:
      // All CX data, rules and surveys; may see users and teams but not administer them.
      // Undoing merges and answering GDPR requests stay with admins.
      return permission != P::kUsersWrite && permission != P::kTeamsWrite && permission != P::kApiKeysAll &&
             permission != P::kAuditRead && permission != P::kTenantWrite && permission != P::kCustomersUnmerge &&
             permission != P::kPrivacyRequests && permission != P::kIntegrationsManage;
    case Role::kAgent: {
      static constexpr P kAgent[] = {P::kTenantRead,     P::kUsersRead,      P::kTeamsRead,
                                     P::kApiKeysOwn,     P::kCustomersRead,  P::kCustomersWrite,
                                     P::kCustomersMerge,
                                     P::kContactDataRead, P::kCasesRead,     P::kCasesWrite,
                                     P::kFeedbackRead,   P::kFeedbackWrite};
      return std::find(std::begin(kAgent), std::end(kAgent), permission) != std::end(kAgent);
    }
    case Role::kAnalyst: {
      // Read-only analytics and feedback; customers without contact data unless granted.
      static constexpr P kAnalyst[] = {P::kTenantRead,    P::kTeamsRead,    P::kApiKeysOwn,
                                       P::kCustomersRead, P::kFeedbackRead, P::kAnalyticsRead};
      return std::find(std::begin(kAnalyst), std::end(kAnalyst), permission) != std::end(kAnalyst);
    }
    case Role::kViewer:
      return permission == P::kTenantRead || permission == P::kAnalyticsRead;
  }
  return false;
}

bool HasPermission(const Principal& principal, Permission permission) {
  if (principal.kind == Principal::Kind::kApiKey && principal.api_key_scope == ApiKeyScope::kIngest &&
      permission != Permission::kEventsIngest && permission != Permission::kFeedbackWrite) {
    return false;  // and for those two, the creator's role must allow them too (below)
  }
  if (principal.kind == Principal::Kind::kApiKey &&
      (permission == Permission::kApiKeysOwn || permission == Permission::kApiKeysAll)) {
    return false;  // a key cannot mint or revoke keys: that needs a person behind a session
  }
  if (permission == Permission::kContactDataRead && principal.role == Role::kAnalyst) {
    return principal.contact_data_granted;
  }
  if (permission == Permission::kEventsIngest) {
    return principal.role == Role::kAdmin || principal.role == Role::kManager;
  }
  return RoleHasPermission(principal.role, permission);
}

bool ScopedToOwnTeams(const Principal& principal) {
  return HasPermission(principal, Permission::kCasesRead) && !HasPermission(principal, Permission::kCasesReadAll);
}

Status Require(const Principal& principal, Permission permission) {
  if (HasPermission(principal, permission)) return Status::Ok();
  return PermissionDenied("this requires the permission " + std::string(PermissionName(permission)));
}

}  // namespace tp::identity
