// SLA configuration and per-case SLA state in the store: business calendars, which calendar each team
// uses, policies, and one `case_sla` row per case that the change-feed subscriber keeps current.
//
//   TP_ASSIGN_OR_RETURN(SlaCalendar prague, CreateCalendar(tx, {.name = "Prague office",
//       .definition = json::parse(R"({"time_zone": "Europe/Prague", "hours": {"mon": [["09:00", "17:00"]]}})")},
//       audit, now));
//   TP_RETURN_IF_ERROR(SetTeamCalendar(tx, team_id, prague.id, audit, now));
//   TP_ASSIGN_OR_RETURN(Policy policy, CreatePolicy(tx, {.name = "VIP", .match = json::parse(R"({"customer_traits":
//       {"tier": "gold"}})"), .targets = json::parse(R"({"urgent": {"first_response_minutes": 30}})")}, audit, now));
//   feed.SubscribeDurable("sla", [](store::SystemTx& tx, const std::vector<store::Change>& batch) {
//     return sla::HandleChanges(tx, batch, NowMicros());
//   });
//
// The subscriber recomputes a case's row on case.created, case.updated and case.message_added, reading
// the case and its conversation through cases:: functions. Breaches are found by "sla.check" jobs: one
// per tenant and due time, scheduled at the earliest next check a write produced; it re-evaluates every
// row whose next check has come (marking breaches, publishing sla.breached) and schedules the next job
// at the earliest check left, so there is always a job at or before every row's next check, and a
// recompute of 100 000 cases schedules a few dozen jobs instead of one per case. A calendar or policy
// change schedules "sla.recompute", which re-evaluates the tenant's open cases in batches from the
// facts stored in their rows (no conversation is read again).
//
// Every function works inside the transaction's tenant only: an id of another tenant is kNotFound.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "calendars/calendars.h"
#include "cases/cases.h"
#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "jobs/jobs.h"
#include "sla/sla.h"
#include "store/store.h"

namespace tp::sla {

inline constexpr std::size_t kMaxNameChars = 200;
inline constexpr std::size_t kMaxCalendarsPerTenant = 200;
inline constexpr std::size_t kMaxPoliciesPerTenant = 200;

inline constexpr std::string_view kCheckJob = "sla.check";
inline constexpr std::string_view kRecomputeJob = "sla.recompute";
// Cases one sla.recompute transaction re-evaluates before it commits and goes on.
inline constexpr std::size_t kRecomputeBatch = 2000;

struct SlaCalendar {
  std::string id;  // "cal_…"
  std::string name;
  nlohmann::json definition;  // as calendars::CalendarJson writes it
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct NewCalendar {
  std::string name;
  nlohmann::json definition;
};

struct CalendarPatch {
  std::optional<std::string> name;
  std::optional<nlohmann::json> definition;
};

// kInvalidArgument: "name" (empty, too long), "definition" or "definition.<field>" (ParseCalendar's
// field under "definition."); kFailedPrecondition at kMaxCalendarsPerTenant. Records "sla_calendar.create".
Result<SlaCalendar> CreateCalendar(store::TenantTx& tx, const NewCalendar& input, const identity::AuditContext& audit,
                                   Micros now);
Result<SlaCalendar> GetCalendar(store::TenantTx& tx, std::string_view calendar_id);  // kNotFound
Result<std::vector<SlaCalendar>> ListCalendars(store::TenantTx& tx);                 // by name, then id
// Validates as CreateCalendar. A new definition schedules sla.recompute for the teams using it.
// Records "sla_calendar.update".
Result<SlaCalendar> UpdateCalendar(store::TenantTx& tx, std::string_view calendar_id, const CalendarPatch& patch,
                                   const identity::AuditContext& audit, Micros now);
// kConflict (field "calendar_id") while a team uses it. Records "sla_calendar.delete".
Status DeleteCalendar(store::TenantTx& tx, std::string_view calendar_id, const identity::AuditContext& audit);

// Gives the team a calendar (std::nullopt: back to 24/7). kNotFound field "team_id" / "calendar_id".
// Schedules sla.recompute for the team. Records "team.calendar_set".
Status SetTeamCalendar(store::TenantTx& tx, std::string_view team_id, const std::optional<std::string>& calendar_id,
                       const identity::AuditContext& audit, Micros now);
// The team's calendar id, std::nullopt when it has none.
Result<std::optional<std::string>> TeamCalendarId(store::TenantTx& tx, std::string_view team_id);

struct NewPolicy {
  std::string name;
  std::optional<std::int64_t> position;  // after the tenant's last policy when absent
  nlohmann::json match = nlohmann::json::object();
  nlohmann::json targets;
};

struct PolicyPatch {
  std::optional<std::string> name;
  std::optional<std::int64_t> position;
  std::optional<nlohmann::json> match;
  std::optional<nlohmann::json> targets;
};

// kInvalidArgument: "name", "position" (negative), "match…" (ParsePolicyMatch), "targets…"
// (ParseTargets); kFailedPrecondition at kMaxPoliciesPerTenant. Schedules sla.recompute for the
// tenant. Records "sla_policy.create".
Result<Policy> CreatePolicy(store::TenantTx& tx, const NewPolicy& input, const identity::AuditContext& audit,
                            Micros now);
Result<Policy> GetPolicy(store::TenantTx& tx, std::string_view policy_id);  // kNotFound
Result<std::vector<Policy>> ListPolicies(store::TenantTx& tx);              // by position, then id
// Validates as CreatePolicy; a patch that changes something schedules sla.recompute. Records
// "sla_policy.update".
Result<Policy> UpdatePolicy(store::TenantTx& tx, std::string_view policy_id, const PolicyPatch& patch,
                            const identity::AuditContext& audit, Micros now);
// Schedules sla.recompute. Records "sla_policy.delete".
Status DeletePolicy(store::TenantTx& tx, std::string_view policy_id, const identity::AuditContext& audit, Micros now);

// A case's row in case_sla.
struct CaseSla {
  std::string case_id;
  std::optional<std::string> policy_id;    // none when no policy matched (then nothing is measured)
  std::optional<std::string> calendar_id;  // none: 24/7
  std::optional<std::string> team_id;
  std::optional<std::string> assignee_id;
  cases::CaseStatus status = cases::CaseStatus::kNew;
  cases::CasePriority priority = cases::CasePriority::kNormal;
  SlaState state;
  Micros case_created_at = 0;
  Micros computed_at = 0;
};

// kNotFound when the case has no row (not seen by the subscriber yet, or another tenant's).
Result<CaseSla> GetCaseSla(store::TenantTx& tx, std::string_view case_id);
// {"case_id", "policy_id", "calendar_id", "status", "next_due_at", "metrics": {"first_response":
// {"due_at", "met_at", "breached", "paused", "remaining_minutes"}, ...}} with RFC 3339 times; a metric
// without a target is left out.
nlohmann::json CaseSlaJson(const CaseSla& item);
// The inbox in SLA order: the unsolved cases of a scope, first those with a running target by their
// next due (breached ones first: their due has passed), then, when `due_before` is not set, those with
// nothing due (pending, no policy, or not yet seen by the subscriber) by id. Every field narrows.
struct DueQuery {
  std::optional<std::string> assignee_id;  // one person's cases
  std::optional<std::string> team_id;
  std::optional<std::vector<std::string>> only_teams;  // an agent's teams; an empty list matches nothing
  bool unassigned = false;                 // only cases nobody is assigned to
  std::optional<Micros> due_before;        // breaching soon: only cases with a target due before this
};
struct DueCase {
  cases::Case item;
  std::optional<Micros> next_due_at;
};
// The cursor names the last case and its due; kInvalidArgument field "cursor" for one this did not make.
Result<Page<DueCase>> ListCasesByDue(store::TenantTx& tx, const DueQuery& query, const PageRequest& page);

// The stored row or, when the subscriber has not handled the case yet, its state evaluated as of `now`
// (nothing written).
Result<CaseSla> CurrentCaseSla(store::TenantTx& tx, const cases::Case& item, Micros now);

// Reads case `case_id`, its conversation, customer traits, the tenant's policies and the team's calendar,
// and writes its row as of `now`; schedules sla.check at the next due. A case that is gone loses its row.
Status RecomputeCase(store::TenantTx& tx, std::string_view case_id, Micros now);

// The durable change-feed subscriber ("sla").
Status HandleChanges(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now);

// The handlers of kCheckJob (payload {}: every row of the job's tenant whose next check is at or before
// `now`) and kRecomputeJob ({"team_ids": [...]}, or {} for every team). Each batch of kRecomputeBatch
// rows is one transaction on `store`.
jobs::Outcome RunCheckJob(store::Store& store, const jobs::Job& job, Micros now);
jobs::Outcome RunRecomputeJob(store::Store& store, const jobs::Job& job, Micros now);

// Re-evaluates the open cases (not solved or closed) of the tenant, or of `team_ids` when given, from
// the facts in their rows: at most `limit` cases with ids after `after`. Returns the last case id it
// handled, std::nullopt when it reached the end.
Result<std::optional<std::string>> RecomputeOpenCases(store::TenantTx& tx,
                                                      const std::optional<std::vector<std::string>>& team_ids,
                                                      const std::string& after, std::size_t limit, Micros now);

struct AttainmentQuery {
  std::optional<Micros> since;  // cases created at or after
  std::optional<Micros> until;  // and before
  std::optional<std::string> team_id;
  std::optional<std::string> policy_id;
  // An agent's view: only these teams' cases.
  std::optional<std::vector<std::string>> only_teams;
};

struct MetricAttainment {
  std::int64_t met = 0;       // met on time
  std::int64_t breached = 0;  // met late, or due and not met
  // met / (met + breached) in percent; std::nullopt when both are 0.
  std::optional<double> attainment_percent;
};

// Per metric, over the cases with a policy. Targets still running and not breached count in neither.
Result<std::array<MetricAttainment, 3>> Attainment(store::TenantTx& tx, const AttainmentQuery& query);

}  // namespace tp::sla
