// The tenant audit log: who changed what, when, from where, with the object before and after. Domain
// write functions record their entry in the same transaction as the change, so an entry exists exactly
// when the change was committed. Audit JSON never holds password hashes, secrets or tokens.
//
//   AuditContext audit = AuditContext::For(principal, request.id(), request.ip());
//   TP_RETURN_IF_ERROR(RecordAudit(tx, audit, "team.update", "team", team.id, before, after));
//
// Actions are "<object>.<verb>", one of kAuditActions; RecordAudit refuses any other, so the list below is
// every action the log can hold.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/permissions.h"
#include "store/store.h"

namespace tp::identity {

inline constexpr std::string_view kAuditActions[] = {
    "tenant.create",      "tenant.update",                                          // identity/tenants
    "user.create",        "user.update",        "user.password_change",             // identity/users
    "user.totp_begin",    "user.totp_enable",   "user.totp_disable",  "user.sessions_revoke",
    "auth.login",         "auth.login_failed",                                      // identity/sessions
    "team.create",        "team.update",        "team.delete",                      // identity/teams
    "team.member_add",    "team.member_remove",
    "api_key.create",     "api_key.revoke",                                         // identity/api_keys
    "customer.create",    "customer.update",                                        // profiles
    "customer.merge",     "customer.unmerge",                                       // ingest/merges
    "events.ingest",                                                                // ingest: one per request
    "customer.note",                                                                // timeline
    "customer.export",    "customer.erase",                                         // privacy
    "case.create",        "case.update",                                            // cases
    "macro.create",       "macro.update",       "macro.delete",                     // cases/macros
    "team.assignment",    "agent.availability",                                     // assignment
    "case_field.create",  "case_field.update",                                      // cases/custom_fields
    "feedback.submit",                                                              // feedback
    "survey.create",      "survey.update",      "survey_link.create",               // surveys
    "customers.import",   "events.import",      "orders.import",                    // transfer: CSV imports
    "reviews.import",                                                               // transfer: reviews
    "responses.import",                                                             // transfer: survey responses
    "customers.export",   "events.export",                                          // transfer: exports
    "webhook.create",     "webhook.delete",     "mail.test",                        // outbound, api
    "rule.create",        "rule.update",        "rule.delete",                      // rules
    "sla_calendar.create", "sla_calendar.update", "sla_calendar.delete",            // sla
    "sla_policy.create",  "sla_policy.update",  "sla_policy.delete",  "team.calendar_set",
};

// Who is acting, for the audit log. actor_type is "user", "api_key", "system" (bootstrap, CLI),
// "anonymous" (a failed login for an unknown e-mail), "respondent" (a survey link: actor_id is the link)
// or "rule" (a rule's action; actor_id is the rule).
struct AuditContext {
  std::string actor_type;
  std::string actor_id;
  std::string request_id;
  std::string ip;

  static AuditContext For(const Principal& principal, std::string request_id = {}, std::string ip = {});
  static AuditContext System(std::string request_id = {});
};

struct AuditEntry {
  std::string id;
  Micros at = 0;
  std::string actor_type;
  std::string actor_id;
  std::string action;
  std::string target_type;
  std::string target_id;
  std::optional<std::string> before_json;
  std::optional<std::string> after_json;
  std::string request_id;
  std::string ip;
};

// kInternal, and nothing recorded, when `action` is not one of kAuditActions.
Status RecordAudit(store::TenantTx& tx, const AuditContext& context, std::string_view action,
                   std::string_view target_type, std::string_view target_id,
                   std::optional<std::string> before_json = {}, std::optional<std::string> after_json = {});

// Every field narrows the result; empty means no restriction. `since` is inclusive, `until` exclusive.
struct AuditFilter {
  std::optional<std::string> actor_id;
  std::optional<std::string> action;
  std::optional<std::string> target_id;
  std::optional<Micros> since;
  std::optional<Micros> until;
};

// Newest first. The page cursor therefore means "entries older than this id": pass the previous page's
// next_cursor as PageRequest::after_id as usual.
Result<Page<AuditEntry>> ListAudit(store::TenantTx& tx, const AuditFilter& filter, const PageRequest& page);

}  // namespace tp::identity
