// Roles, permissions and the permission matrix (documented in docs/security.md; keep the two in step).
// A Principal is who is calling: a user through a session, or a machine through an API key. Every
// endpoint names the one Permission it needs and calls Require() before touching data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tp::identity {

enum class Role { kAdmin, kManager, kAgent, kAnalyst, kViewer };

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
const std::vector<Role>& AllRoles();

enum class Permission {
  kTenantRead,         // tenant name and settings
  kTenantWrite,        // change tenant settings
  kUsersRead,          // list users and their teams
  kUsersWrite,         // invite, change role, disable users; reset their sessions
  kTeamsRead,
  kTeamsWrite,         // create teams and change membership
  kApiKeysOwn,         // create, list and revoke one's own API keys
  kApiKeysAll,         // list and revoke every key of the tenant
  kAuditRead,
  kCustomersRead,      // profiles (agents: only customers with a case in their teams)
  kCustomersWrite,
  kCustomersMerge,     // merge two profiles by hand (agents: customers with a case in their teams)
  kCustomersUnmerge,   // undo a merge
  kPrivacyRequests,    // GDPR access exports and erasure of a customer
  kContactDataRead,    // e-mail, phone and other personal contact data (analysts only when granted)
  kCasesRead,          // agents: cases of their teams only
  kCasesReadAll,       // every case regardless of team
  kCasesWrite,
  kFeedbackRead,
  kFeedbackWrite,      // submit survey responses (also the `ingest` API key scope)
  kEventsIngest,       // send customer events (the `ingest` API key scope)
  kAnalyticsRead,      // dashboards and metrics
  kRulesWrite,         // surveys and their links, rules and automations
  kIntegrationsManage, // webhooks, outbound deliveries and jobs, test e-mail (admins)
  kHelpdeskConfigure,  // SLA calendars, team calendars, SLA policies and macros (admins and managers)
};

std::string_view PermissionName(Permission permission);
const std::vector<Permission>& AllPermissions();

// What an API key may do: `ingest` only writes events and feedback; `full` acts with the role of the
// user who created it (and loses access if that user is disabled or demoted).
enum class ApiKeyScope { kIngest, kFull };
std::string_view ApiKeyScopeName(ApiKeyScope scope);
std::optional<ApiKeyScope> ParseApiKeyScope(std::string_view name);

struct Principal {
  enum class Kind { kSession, kApiKey };

  Kind kind = Kind::kSession;
  std::string tenant_id;
  std::string user_id;
  Role role = Role::kViewer;
  bool contact_data_granted = false;   // analysts: see personal contact data
  std::vector<std::string> team_ids;   // teams the user belongs to
  std::string session_id;              // kSession
  std::string api_key_id;              // kApiKey
  ApiKeyScope api_key_scope = ApiKeyScope::kFull;

  // The id written to the audit log as the actor: the user id, or the key id for API keys.
  const std::string& actor_id() const { return kind == Kind::kApiKey ? api_key_id : user_id; }
  std::string_view actor_type() const { return kind == Kind::kApiKey ? "api_key" : "user"; }
};

// True when the role grants the permission (the static matrix, before key scopes and grants).
bool RoleHasPermission(Role role, Permission permission);
// The matrix plus API key scope and the analyst contact-data grant.
bool HasPermission(const Principal& principal, Permission permission);
// True for callers who see cases, and customers, only of the teams they belong to (agents).
bool ScopedToOwnTeams(const Principal& principal);
// kPermissionDenied naming the missing permission when HasPermission is false.
Status Require(const Principal& principal, Permission permission);

}  // namespace tp::identity
