// Cases (tickets): one customer problem, on one channel, owned by a team and optionally assigned to one
// of its people, moving through a small lifecycle. SLA, routing and full-text search come next; this is
// the record they hang off.
//
//   TP_ASSIGN_OR_RETURN(Case created, CreateCase(tx, {.customer_id = customer.id, .subject = "Damaged parcel",
//                                                     .channel = Channel::kEmail, .team_id = service.id}, audit));
//   TP_ASSIGN_OR_RETURN(Case solved, UpdateCase(tx, created.id, {.status = CaseStatus::kSolved}, audit));
//
// The conversation, attachments and history are in conversation.h and attachments.h.
//
// Lifecycle: new → open → pending ⇄ open → solved → closed. Any status may move to any other except
// that nothing returns to `new` and `closed` is final (a closed case is reopened as a new case), so a
// solved case can still be reopened when the customer writes back.
//
// Every function works inside the transaction's tenant only: an id from another tenant is kNotFound.
// Lists are ordered by id (creation order) with cursor pagination; each filter combination reads one
// index range per team, so a page costs about the same at a million cases as at a thousand.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/channels.h"
#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "identity/permissions.h"
#include "profiles/customers.h"
#include "store/store.h"

namespace tp::cases {

inline constexpr std::size_t kMaxSubjectChars = 300;
inline constexpr std::size_t kMaxTags = 50;
inline constexpr std::size_t kMaxTagBytes = 64;

inline constexpr std::size_t kMaxOrderIds = 20;
inline constexpr std::size_t kMaxLabelChars = 100;  // touchpoint, stage, order ids

enum class CaseStatus { kNew, kOpen, kPending, kSolved, kClosed };
enum class CasePriority { kLow, kNormal, kHigh, kUrgent };
// What the customer's problem is; returns, refunds and complaints later run as workflows.
enum class CaseType { kQuestion, kIncident, kOrderIssue, kComplaint, kReturnRequest, kFeedbackFollowUp };

std::string_view CaseStatusName(CaseStatus status);      // "new", "open", ...
std::string_view CasePriorityName(CasePriority priority);  // "low", "normal", "high", "urgent"
// "question", "incident", "order_issue", "complaint", "return_request", "feedback_follow_up"
std::string_view CaseTypeName(CaseType type);
// kInvalidArgument naming the field ("status", "priority") for an unknown name. A case's channel is one
// of common/channels.h.
Result<CaseStatus> ParseCaseStatus(std::string_view name);
Result<CasePriority> ParseCasePriority(std::string_view name);
Result<CaseType> ParseCaseType(std::string_view name);  // field "type"
// A tag as cases keep it: ASCII letters lower-cased, 1 to kMaxTagBytes bytes of UTF-8 without spaces,
// control characters or commas ("Damaged Parcel" is refused, "damaged_parcel" and "zásilka" are kept).
// kInvalidArgument naming `field` otherwise.
Result<std::string> NormalizeTag(std::string_view tag, std::string_view field);
// True when a case may move from `from` to `to` (staying put is always allowed).
bool IsAllowedTransition(CaseStatus from, CaseStatus to);

struct Case {
  std::string id;  // "cas_…"
  std::string customer_id;
  std::string subject;
  CaseStatus status = CaseStatus::kNew;
  CasePriority priority = CasePriority::kNormal;
  CaseType type = CaseType::kQuestion;
  Channel channel = Channel::kOther;
  std::optional<std::string> team_id;
  std::optional<std::string> assignee_id;  // a user id
  std::vector<std::string> tags;           // sorted, unique, as NormalizeTag makes them
  std::optional<std::string> touchpoint;   // where in the customer's journey the problem arose
  std::optional<std::string> stage;        // the journey stage
  std::vector<std::string> order_ids;      // the orders it is about, as the events name them
  std::optional<Micros> first_response_at;  // the first agent reply (conversation.h)
  std::optional<Micros> solved_at;          // when it last became solved; cleared when reopened
  // The feedback response (fbk_…) this case follows up, when a rule opened it for a detractor or a low
  // CSAT: what a re-survey after the case is solved asks about.
  std::optional<std::string> follow_up_of;
  // The tenant's custom fields' values (custom_fields.h), a JSON object by field key; always an object.
  std::string custom_fields_json = "{}";
  Micros created_at = 0;
  Micros updated_at = 0;
};

// True when the case belongs to one of `only_teams`, or when that is std::nullopt (callers not scoped to
// their teams): the one rule of which cases an agent reaches.
bool CaseInTeams(const Case& item, const std::optional<std::vector<std::string>>& only_teams);

struct NewCase {
  std::string customer_id;
  std::string subject;
  Channel channel = Channel::kOther;
  CasePriority priority = CasePriority::kNormal;
  // A follow-up case is a feedback_follow_up, others a question, unless given.
  std::optional<CaseType> type;
  std::optional<std::string> touchpoint;
  std::optional<std::string> stage;
  std::vector<std::string> order_ids;
  // Other than `new` only for imports and demo data, which bring cases that already went on.
  CaseStatus status = CaseStatus::kNew;
  std::optional<std::string> team_id;
  std::optional<std::string> assignee_id;
  std::vector<std::string> tags;
  std::optional<std::string> follow_up_of;  // a feedback response id (kNotFound field "follow_up_of")
  std::optional<std::string> custom_fields_json;  // a JSON object of values (custom_fields.h)
  // When the case was really opened (imports, demo data); now when absent. Not in the future.
  std::optional<Micros> created_at;
};

// Fields left empty stay as they are; team_id and assignee_id are two-level: an outer optional holding
// std::nullopt removes the team or the assignee.
struct CasePatch {
  std::optional<CaseStatus> status;
  std::optional<CasePriority> priority;
  std::optional<CaseType> type;
  std::optional<std::optional<std::string>> touchpoint;
  std::optional<std::optional<std::string>> stage;
  std::optional<std::vector<std::string>> order_ids;  // the whole list
  std::optional<std::optional<std::string>> team_id;
  std::optional<std::optional<std::string>> assignee_id;
  std::optional<std::vector<std::string>> tags;  // the whole set, replacing the case's tags
  std::vector<std::string> add_tags;             // then these are added
  std::vector<std::string> remove_tags;          // and these removed
  // A JSON object of custom field values: the keys given are set, a null value removes one.
  std::optional<std::string> custom_fields_json;
};

// Every field narrows the list.
struct CaseQuery {
  std::optional<CaseStatus> status;
  std::vector<CaseStatus> any_status;  // when not empty, one of these
  // A user id, or std::nullopt inside for unassigned cases.
  std::optional<std::optional<std::string>> assignee_id;
  std::optional<std::string> customer_id;
  std::optional<std::string> team_id;
  // When set, only cases owned by one of these teams (an agent's view); an empty list matches nothing.
  std::optional<std::vector<std::string>> only_teams;
};

// kInvalidArgument field "subject", "tags", "touchpoint", "stage", "order_ids", "created_at" or "custom_fields…"
// (MergeCustomFields); kNotFound field "customer_id" when the tenant has
// no such customer, "team_id" / "assignee_id" for an unknown team or user; kFailedPrecondition field
// "assignee_id" for a disabled user. Records "case.create".
Result<Case> CreateCase(store::TenantTx& tx, const NewCase& input, const identity::AuditContext& audit);
// kNotFound when the tenant has no such case.
// A case opened by `opener` (the API, later a channel or a rule acting for someone), for an existing
// customer or, when `new_customer` is set, a first contact created with it. Agents (team-scoped
// callers) may open cases only for their own teams and only for customers their teams already serve:
// anything else would show them that customer's contact data. A customer they cannot see is
// kNotFound (field customer_id), as one that does not exist; a team of someone else's is
// kPermissionDenied (field team_id), checked after the customer so it reveals nothing about them.
Result<Case> OpenCase(store::TenantTx& tx, const identity::Principal& opener, NewCase input,
                      const std::optional<profiles::NewCustomer>& new_customer, const identity::AuditContext& audit);
// Deletes a team that owns no cases (kConflict otherwise: its cases would become invisible to every
// agent). Records "team.delete".
Status DeleteTeam(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view team_id);

Result<Case> GetCase(store::TenantTx& tx, std::string_view case_id);
// The cases of `case_ids` in that order, in one read; ids the tenant has not are left out.
Result<std::vector<Case>> GetCases(store::TenantTx& tx, const std::vector<std::string>& case_ids);
Result<Page<Case>> ListCases(store::TenantTx& tx, const CaseQuery& query, const PageRequest& page);
// The statuses of cases still being worked on: new, open, pending.
std::vector<CaseStatus> UnsolvedStatuses();
// kFailedPrecondition field "status" for a transition IsAllowedTransition refuses; team and assignee
// are checked as in CreateCase; tags as NormalizeTag (field "tags", "add_tags", "remove_tags"), at most
// kMaxTags after the patch; touchpoint, stage and order ids as in CreateCase. A patch that changes nothing returns the case and records nothing;
// otherwise records "case.update" with the changed fields before and after, in the audit log and the
// case's history (conversation.h).
Result<Case> UpdateCase(store::TenantTx& tx, std::string_view case_id, const CasePatch& patch,
                        const identity::AuditContext& audit);

// The same patch on several cases at once (an agent's bulk edit of their inbox), all or nothing: the
// first case that cannot take it fails the whole call, with kInvalidArgument field "case_ids" for more
// than kMaxBulkCases or a repeated id, and kNotFound naming "case_ids[i]" for a case the tenant has not,
// or that is not one of `only_teams`' when that is set (an agent's teams).
inline constexpr std::size_t kMaxBulkCases = 100;
Result<std::vector<Case>> UpdateCases(store::TenantTx& tx, const std::vector<std::string>& case_ids,
                                      const CasePatch& patch, const std::optional<std::vector<std::string>>& only_teams,
                                      const identity::AuditContext& audit);

}  // namespace tp::cases
