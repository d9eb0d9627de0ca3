#include "sla/storage.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "cases/conversation.h"
#include "changes/kinds.h"
#include "common/ids.h"
#include "identity/teams.h"
#include "profiles/customers.h"
#include "profiles/text.h"
#include "store/sql_params.h"

namespace tp::sla {
namespace {

using nlohmann::json;
using store::Sql;
using store::SqlParams;

// --- calendars ---------------------------------------------------------------------------------------

constexpr std::string_view kSelectCalendar =
    "SELECT id, name, definition, created_at, updated_at FROM sla_calendars WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSelectCalendars =
    "SELECT id, name, definition, created_at, updated_at FROM sla_calendars WHERE tenant_id = $1 ORDER BY name, id";
constexpr std::string_view kCountCalendars = "SELECT COUNT(*) FROM sla_calendars WHERE tenant_id = $1";
constexpr std::string_view kInsertCalendar =
    "INSERT INTO sla_calendars (tenant_id, id, name, definition, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $5)";
constexpr std::string_view kUpdateCalendar =
    "UPDATE sla_calendars SET name = $3, definition = $4, updated_at = $5 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteCalendar = "DELETE FROM sla_calendars WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kTeamsOfCalendar =
    "SELECT team_id FROM sla_team_calendars WHERE tenant_id = $1 AND calendar_id = $2 ORDER BY team_id";
constexpr std::string_view kCalendarOfTeam =
    "SELECT calendar_id FROM sla_team_calendars WHERE tenant_id = $1 AND team_id = $2";
constexpr std::string_view kUpsertTeamCalendar =
    "INSERT INTO sla_team_calendars (tenant_id, team_id, calendar_id, updated_at) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (tenant_id, team_id) DO UPDATE SET calendar_id = excluded.calendar_id, updated_at = "
    "excluded.updated_at";
constexpr std::string_view kDeleteTeamCalendar = "DELETE FROM sla_team_calendars WHERE tenant_id = $1 AND team_id = $2";

// --- policies ----------------------------------------------------------------------------------------

constexpr std::string_view kSelectPolicy =
    "SELECT id, name, position, match_json, targets_json, created_at, updated_at FROM sla_policies "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSelectPolicies =
    "SELECT id, name, position, match_json, targets_json, created_at, updated_at FROM sla_policies "
    "WHERE tenant_id = $1 ORDER BY position, id";
constexpr std::string_view kPolicyCounts =
    "SELECT COUNT(*), COALESCE(MAX(position), -1) FROM sla_policies WHERE tenant_id = $1";
constexpr std::string_view kInsertPolicy =
    "INSERT INTO sla_policies (tenant_id, id, name, position, match_json, targets_json, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
constexpr std::string_view kUpdatePolicy =
    "UPDATE sla_policies SET name = $3, position = $4, match_json = $5, targets_json = $6, updated_at = $7 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeletePolicy = "DELETE FROM sla_policies WHERE tenant_id = $1 AND id = $2";

// --- case_sla ----------------------------------------------------------------------------------------

// The columns RowFromDb reads, in its order.
#define TP_CASE_SLA_COLUMNS                                                                                    \
  "case_id, policy_id, calendar_id, team_id, assignee_id, status, priority, case_created_at, computed_at, "    \
  "first_response_active, first_response_due_at, first_response_met_at, first_response_breached, "             \
  "first_response_remaining, next_response_active, next_response_due_at, next_response_met_at, "               \
  "next_response_breached, next_response_remaining, resolution_active, resolution_due_at, resolution_met_at, " \
  "resolution_breached, resolution_remaining, next_due_at, next_check_at"
constexpr std::size_t kMetricColumnsStart = 9;  // the first metric column in TP_CASE_SLA_COLUMNS
constexpr std::string_view kSelectCaseSla =
    "SELECT " TP_CASE_SLA_COLUMNS " FROM case_sla WHERE tenant_id = $1 AND case_id = $2";
constexpr std::string_view kDeleteCaseSla = "DELETE FROM case_sla WHERE tenant_id = $1 AND case_id = $2";
// The upsert is assembled per number of rows: kInsertCaseSlaColumns, "($1, $2, ...)" per row, then
// kOnConflictUpdateCaseSla.
constexpr std::string_view kInsertCaseSlaColumns =
    "INSERT INTO case_sla (tenant_id, case_id, customer_id, policy_id, calendar_id, team_id, assignee_id, status, "
    "priority, type, channel, facts, first_response_active, first_response_due_at, first_response_met_at, "
    "first_response_breached, first_response_remaining, next_response_active, next_response_due_at, "
    "next_response_met_at, next_response_breached, next_response_remaining, resolution_active, resolution_due_at, "
    "resolution_met_at, resolution_breached, resolution_remaining, next_due_at, next_check_at, case_created_at, "
    "computed_at) VALUES ";
constexpr std::string_view kOnConflictUpdateCaseSla =
    " ON CONFLICT (tenant_id, case_id) DO UPDATE SET customer_id = excluded.customer_id, policy_id = "
    "excluded.policy_id, "
    "calendar_id = excluded.calendar_id, team_id = excluded.team_id, assignee_id = excluded.assignee_id, "
    "status = excluded.status, priority = excluded.priority, type = excluded.type, channel = excluded.channel, "
    "facts = excluded.facts, first_response_active = excluded.first_response_active, "
    "first_response_due_at = excluded.first_response_due_at, first_response_met_at = excluded.first_response_met_at, "
    "first_response_breached = excluded.first_response_breached, "
    "first_response_remaining = excluded.first_response_remaining, next_response_active = "
    "excluded.next_response_active, "
    "next_response_due_at = excluded.next_response_due_at, next_response_met_at = excluded.next_response_met_at, "
    "next_response_breached = excluded.next_response_breached, "
    "next_response_remaining = excluded.next_response_remaining, resolution_active = excluded.resolution_active, "
    "resolution_due_at = excluded.resolution_due_at, resolution_met_at = excluded.resolution_met_at, "
    "resolution_breached = excluded.resolution_breached, resolution_remaining = excluded.resolution_remaining, "
    "next_due_at = excluded.next_due_at, next_check_at = excluded.next_check_at, "
    "case_created_at = excluded.case_created_at, computed_at = excluded.computed_at";
// A recompute's writes: the evaluation of rows whose facts did not change, from a VALUES list (SQLite
// and PostgreSQL both name its columns column1, column2, ...; the casts give PostgreSQL the types).
constexpr std::string_view kUpdateCaseSlaState =
    "UPDATE case_sla SET policy_id = v.column2, calendar_id = v.column3, "
    "first_response_active = CAST(v.column4 AS BIGINT), first_response_due_at = CAST(v.column5 AS BIGINT), "
    "first_response_met_at = CAST(v.column6 AS BIGINT), first_response_breached = CAST(v.column7 AS BIGINT), "
    "first_response_remaining = CAST(v.column8 AS BIGINT), next_response_active = CAST(v.column9 AS BIGINT), "
    "next_response_due_at = CAST(v.column10 AS BIGINT), next_response_met_at = CAST(v.column11 AS BIGINT), "
    "next_response_breached = CAST(v.column12 AS BIGINT), next_response_remaining = CAST(v.column13 AS BIGINT), "
    "resolution_active = CAST(v.column14 AS BIGINT), resolution_due_at = CAST(v.column15 AS BIGINT), "
    "resolution_met_at = CAST(v.column16 AS BIGINT), resolution_breached = CAST(v.column17 AS BIGINT), "
    "resolution_remaining = CAST(v.column18 AS BIGINT), next_due_at = CAST(v.column19 AS BIGINT), "
    "next_check_at = CAST(v.column20 AS BIGINT), computed_at = CAST(v.column21 AS BIGINT) FROM (VALUES ";
constexpr std::string_view kUpdateCaseSlaStateWhere =
    ") AS v WHERE case_sla.tenant_id = $1 AND case_sla.case_id = v.column1";
// Recompute reads what the row holds, then what its evaluation needs (kRecomputeExtra onwards).
constexpr std::string_view kSelectRecomputeColumns =
    "SELECT " TP_CASE_SLA_COLUMNS ", customer_id, type, channel, facts FROM case_sla WHERE tenant_id = $1";
constexpr std::size_t kRecomputeExtra = kMetricColumnsStart + 17;
constexpr std::string_view kFromOpenCasesAfter = " AND status NOT IN ('solved', 'closed') AND case_id > ";
constexpr std::string_view kAndTeamIn = " AND team_id IN (";
constexpr std::string_view kOrderByCaseLimit = " ORDER BY case_id LIMIT ";
constexpr std::string_view kFromDueChecks = " AND next_check_at <= $2 ORDER BY next_check_at LIMIT $3";
constexpr std::string_view kEarliestCheck =
    "SELECT MIN(next_check_at) FROM case_sla WHERE tenant_id = $1 AND next_check_at IS NOT NULL";
// A batch's customers, by primary key: a join would leave the plan to statistics that a table filled
// moments ago does not have yet (PostgreSQL then nests loops over every customer).
constexpr std::string_view kSelectTraitsIn = "SELECT id, traits FROM customers WHERE tenant_id = $1 AND id IN (";

// --- rows and JSON -----------------------------------------------------------------------------------

Result<json> ParseStoredJson(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return Internal("a stored SLA document is not JSON");
  return parsed;
}

SlaCalendar CalendarFromRow(const store::Row& row) {
  return {.id = row.Text(0),
          .name = row.Text(1),
          .definition = json::parse(row.Text(2), nullptr, false),
          .created_at = row.Int(3),
          .updated_at = row.Int(4)};
}

json CalendarSnapshot(const SlaCalendar& calendar) {
  return {{"id", calendar.id}, {"name", calendar.name}, {"definition", calendar.definition}};
}

Result<Policy> PolicyFromRow(const store::Row& row) {
  TP_ASSIGN_OR_RETURN(json match_json, ParseStoredJson(row.Text(3)));
  TP_ASSIGN_OR_RETURN(json targets_json, ParseStoredJson(row.Text(4)));
  TP_ASSIGN_OR_RETURN(PolicyMatch match, ParsePolicyMatch(match_json));
  TP_ASSIGN_OR_RETURN(auto targets, ParseTargets(targets_json));
  return Policy{.id = row.Text(0),
                .name = row.Text(1),
                .position = row.Int(2),
                .match = std::move(match),
                .targets = std::move(targets),
                .created_at = row.Int(5),
                .updated_at = row.Int(6)};
}

json PolicySnapshot(const Policy& policy) {
  return {{"id", policy.id},
          {"name", policy.name},
          {"position", policy.position},
          {"match", PolicyMatchJson(policy.match)},
          {"targets", TargetsJson(policy.targets)}};
}

Result<CaseSla> CaseSlaFromRow(const store::Row& row, std::size_t offset) {
  CaseSla item{.case_id = row.Text(offset),
               .policy_id = row.OptionalText(offset + 1),
               .calendar_id = row.OptionalText(offset + 2),
               .team_id = row.OptionalText(offset + 3),
               .assignee_id = row.OptionalText(offset + 4),
               .case_created_at = row.Int(offset + 7),
               .computed_at = row.Int(offset + 8)};
  TP_ASSIGN_OR_RETURN(item.status, cases::ParseCaseStatus(row.Text(offset + 5)));
  TP_ASSIGN_OR_RETURN(item.priority, cases::ParseCasePriority(row.Text(offset + 6)));
  for (std::size_t metric_idx = 0; metric_idx < kMetrics.size(); ++metric_idx) {
    const std::size_t column = offset + kMetricColumnsStart + 5 * metric_idx;
    MetricState& metric = item.state.Of(kMetrics[metric_idx]);
    metric.active = row.Int(column) != 0;
    metric.due_at = row.OptionalInt(column + 1);
    metric.met_at = row.OptionalInt(column + 2);
    metric.breached = row.Int(column + 3) != 0;
    metric.remaining = row.OptionalInt(column + 4);
    metric.paused = metric.remaining.has_value();
  }
  item.state.next_due_at = row.OptionalInt(offset + kMetricColumnsStart + 15);
  item.state.next_check_at = row.OptionalInt(offset + kMetricColumnsStart + 16);
  return item;
}

// What a case_sla row keeps of a state: all but the warning times, which follow from the dues.
SlaState StoredPart(SlaState state) {
  for (Metric metric : kMetrics) state.Of(metric).warning_at.reset();
  return state;
}

json OptionalTime(const std::optional<Micros>& at) { return at ? json(FormatTimestamp(*at)) : json(nullptr); }
json OptionalText(const std::optional<std::string>& text) { return text ? json(*text) : json(nullptr); }

// --- recomputing -------------------------------------------------------------------------------------

// A team's calendar, parsed.
struct TeamCalendar {
  std::optional<std::string> id;
  calendars::BusinessCalendar calendar;
};

Result<TeamCalendar> CalendarOfTeam(store::TenantTx& tx, const std::optional<std::string>& team_id) {
  if (!team_id) return TeamCalendar{std::nullopt, calendars::AlwaysOpenCalendar()};
  TP_ASSIGN_OR_RETURN(std::optional<std::string> calendar_id, TeamCalendarId(tx, *team_id));
  if (!calendar_id) return TeamCalendar{std::nullopt, calendars::AlwaysOpenCalendar()};
  TP_ASSIGN_OR_RETURN(SlaCalendar stored, GetCalendar(tx, *calendar_id));
  TP_ASSIGN_OR_RETURN(calendars::BusinessCalendar calendar, calendars::ParseCalendar(stored.definition));
  return TeamCalendar{std::move(calendar_id), std::move(calendar)};
}

// Everything a case_sla row is written from, besides the state.
struct RowInput {
  std::string case_id;
  std::string customer_id;
  std::optional<std::string> team_id;
  std::optional<std::string> assignee_id;
  cases::CaseStatus status = cases::CaseStatus::kNew;
  cases::CasePriority priority = cases::CasePriority::kNormal;
  cases::CaseType type = cases::CaseType::kQuestion;
  Channel channel = Channel::kOther;
  CaseFacts facts;
  // The facts as stored, when they come from the row: written back as they are, not serialised again.
  std::string stored_facts;
};

struct Evaluation {
  std::optional<std::string> policy_id;
  SlaState state;
};

Result<Evaluation> Evaluate(const std::vector<Policy>& policies, const calendars::BusinessCalendar& calendar,
                            const RowInput& input, const json& traits, Micros now) {
  const Policy* policy = MatchPolicy(
      policies, {.priority = input.priority, .type = input.type, .channel = input.channel, .customer_traits = traits});
  if (policy == nullptr) return Evaluation{};
  const auto targets = policy->targets.find(input.priority);
  if (targets == policy->targets.end()) return Evaluation{.policy_id = policy->id};
  TP_ASSIGN_OR_RETURN(SlaState state, ComputeSla(targets->second, calendar, input.facts, now));
  return Evaluation{.policy_id = policy->id, .state = std::move(state)};
}

// The breach check: one job per tenant and due time, which recomputes every row due by then and
// schedules the next one at the earliest due left (RunCheckJob). Scheduling the same time twice is a
// no-op (the unique key), so a batch of rows needs one job at its earliest due, not one per row.
Status ScheduleCheck(store::TenantTx& tx, Micros at, Micros now) {
  return jobs::Schedule(
             tx,
             {.kind = std::string(kCheckJob), .payload = "{}", .unique_key = "at:" + std::to_string(at), .run_at = at},
             now)
      .status();
}

// Collects case_sla rows and writes them with multi-row upserts (kRowsPerUpsert a statement: on
// PostgreSQL a statement per row costs a round trip each); publishes sla.breached for every target
// that became breached, sla.near_breach for every one whose warning came, and schedules the breach
// check at the earliest next check that moved.
class RowWriter {
 public:
  static constexpr std::size_t kRowsPerUpsert = 64;
  static constexpr std::size_t kColumns = 30;       // without tenant_id
  static constexpr std::size_t kStateColumns = 21;  // case_id and what kUpdateCaseSlaState sets

  // `rows_exist`: every row added is already stored with the same facts, team, status and priority
  // (a recompute), so only the evaluation is written: an UPDATE of those columns leaves the facts and
  // the indexes on the customer and creation time alone, which at 100 000 rows halves the time.
  RowWriter(Micros now, bool rows_exist) : now_(now), rows_exist_(rows_exist) {}

  Status Add(store::TenantTx& tx, const RowInput& input, const std::optional<std::string>& calendar_id,
             const Evaluation& evaluation, Micros case_created_at, const std::optional<CaseSla>& before) {
    if (rows_exist_) {
      values_.insert(values_.end(),
                     {input.case_id, store::Nullable(evaluation.policy_id), store::Nullable(calendar_id)});
    } else {
      values_.insert(
          values_.end(),
          {input.case_id, input.customer_id, store::Nullable(evaluation.policy_id), store::Nullable(calendar_id),
           store::Nullable(input.team_id), store::Nullable(input.assignee_id),
           std::string(cases::CaseStatusName(input.status)), std::string(cases::CasePriorityName(input.priority)),
           std::string(cases::CaseTypeName(input.type)), std::string(ChannelName(input.channel)),
           input.stored_facts.empty() ? CaseFactsJson(input.facts).dump() : input.stored_facts});
    }
    const SlaState& state = evaluation.state;
    for (Metric metric : kMetrics) {
      const MetricState& metric_state = state.Of(metric);
      values_.emplace_back(std::int64_t{metric_state.active ? 1 : 0});
      values_.push_back(store::Nullable(metric_state.due_at));
      values_.push_back(store::Nullable(metric_state.met_at));
      values_.emplace_back(std::int64_t{metric_state.breached ? 1 : 0});
      values_.push_back(store::Nullable(metric_state.remaining));
    }
    values_.push_back(store::Nullable(state.next_due_at));
    values_.push_back(store::Nullable(state.next_check_at));
    if (!rows_exist_) values_.emplace_back(case_created_at);
    values_.emplace_back(now_);
    ++rows_;

    for (Metric metric : kMetrics) {
      const MetricState& metric_state = state.Of(metric);
      const bool same_policy = before && before->policy_id == evaluation.policy_id;
      const auto publish = [&](std::string_view kind, json data) {
        data.update({{"case_id", input.case_id},
                     {"customer_id", input.customer_id},
                     {"policy_id", OptionalText(evaluation.policy_id)},
                     {"team_id", OptionalText(input.team_id)},
                     {"assignee_id", OptionalText(input.assignee_id)},
                     {"metric", MetricName(metric)},
                     {"due_at", OptionalTime(metric_state.due_at)}});
        return tx.Publish(kind, input.case_id, data.dump());
      };
      if (metric_state.breached && !(same_policy && before->state.Of(metric).breached)) {
        TP_RETURN_IF_ERROR(publish(changes::kinds::kSlaBreached, json::object()));
      }
      // Near breach from the warning on. The warning is not stored; the row's last computation tells
      // whether it already came for this due (a pause that moves the due warns again).
      if (metric_state.warning_at && now_ >= *metric_state.warning_at && !metric_state.breached) {
        const bool warned = same_policy && before->state.Of(metric).due_at == metric_state.due_at &&
                            before->computed_at >= *metric_state.warning_at;
        if (!warned) {
          TP_RETURN_IF_ERROR(
              publish(changes::kinds::kSlaNearBreach, {{"warning_at", FormatTimestamp(*metric_state.warning_at)}}));
        }
      }
    }
    if (state.next_check_at && (!before || before->state.next_check_at != state.next_check_at) &&
        (!earliest_check_ || *state.next_check_at < *earliest_check_)) {
      earliest_check_ = state.next_check_at;
    }
    return rows_ == kRowsPerUpsert ? FlushRows(tx) : Status::Ok();
  }

  Status Flush(store::TenantTx& tx) {
    TP_RETURN_IF_ERROR(FlushRows(tx));
    if (!earliest_check_) return Status::Ok();
    const Micros at = *earliest_check_;
    earliest_check_.reset();
    return ScheduleCheck(tx, at, now_);
  }

 private:
  Status FlushRows(store::TenantTx& tx) {
    if (rows_ == 0) return Status::Ok();
    std::string sql(rows_exist_ ? kUpdateCaseSlaState : kInsertCaseSlaColumns);
    const std::size_t columns = rows_exist_ ? kStateColumns : kColumns;
    for (std::size_t row_idx = 0; row_idx < rows_; ++row_idx) {
      // The upsert's rows start with the tenant; the update's come from a VALUES list joined on case_id.
      sql += row_idx == 0 ? "(" : ", (";
      if (!rows_exist_) sql += "$1, ";
      for (std::size_t column = 0; column < columns; ++column) {
        sql += column == 0 ? "$" : ", $";
        sql += std::to_string(2 + row_idx * columns + column);
      }
      sql += ")";
    }
    sql += rows_exist_ ? kUpdateCaseSlaStateWhere : kOnConflictUpdateCaseSla;
    rows_ = 0;
    return tx.Execute(sql, std::exchange(values_, {})).status();
  }

  Micros now_;
  bool rows_exist_;
  std::vector<store::Value> values_;
  std::size_t rows_ = 0;
  std::optional<Micros> earliest_check_;
};

// What the case's history and conversation say, for ComputeSla.
CaseFacts FactsOf(const cases::Case& item, const std::vector<cases::TimelineEntry>& timeline) {
  CaseFacts facts{.created_at = item.created_at, .first_response_at = item.first_response_at};
  for (const cases::TimelineEntry& entry : timeline) {
    if (entry.message) {
      if (entry.message->kind == cases::MessageKind::kNote) continue;
      facts.conversation.push_back({entry.at, entry.message->kind == cases::MessageKind::kCustomer});
      continue;
    }
    if (!entry.change) continue;
    const json after = json::parse(entry.change->after_json, nullptr, false);
    if (!after.is_object() || !after.contains("status") || !after["status"].is_string()) continue;
    const Result<cases::CaseStatus> status = cases::ParseCaseStatus(after["status"].get<std::string>());
    if (!status.ok()) continue;
    if (!facts.statuses.empty() && facts.statuses.back().status == *status) continue;
    facts.statuses.push_back({entry.at, *status});
  }
  // A history cut short (kMaxTimelineEntries) still ends in the case's status.
  if (facts.statuses.empty()) facts.statuses.push_back({item.created_at, item.status});
  if (facts.statuses.back().status != item.status) facts.statuses.push_back({item.updated_at, item.status});
  return facts;
}

Result<json> TraitsOf(store::TenantTx& tx, const std::string& customer_id) {
  Result<profiles::Customer> customer = profiles::GetCustomer(tx, customer_id);
  if (!customer.ok()) {
    if (customer.status().code() == ErrorCode::kNotFound) return json::object();
    return customer.status();
  }
  json traits = json::parse(customer->traits_json, nullptr, false);
  return traits.is_object() ? traits : json::object();
}

Status ScheduleRecompute(store::TenantTx& tx, const std::optional<std::vector<std::string>>& team_ids, Micros now) {
  json payload = json::object();
  if (team_ids) payload["team_ids"] = *team_ids;
  return jobs::Schedule(tx, {.kind = std::string(kRecomputeJob), .payload = payload.dump()}, now).status();
}

Result<std::vector<std::string>> TeamsUsing(store::TenantTx& tx, const std::string& calendar_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kTeamsOfCalendar, {calendar_id}));
  std::vector<std::string> team_ids;
  for (const store::Row& row : rows) team_ids.push_back(row.Text(0));
  return team_ids;
}

Result<calendars::BusinessCalendar> CheckDefinition(const json& definition) {
  if (!definition.is_object()) return InvalidArgument("definition must be a calendar object", "definition");
  Result<calendars::BusinessCalendar> calendar = calendars::ParseCalendar(definition);
  if (!calendar.ok() && calendar.status().code() == ErrorCode::kInvalidArgument) {
    const std::string field =
        calendar.status().field().empty() ? "definition" : "definition." + calendar.status().field();
    return InvalidArgument(calendar.status().message(), field);
  }
  return calendar;
}

Status CheckPosition(const std::optional<std::int64_t>& position) {
  if (position && *position < 0) return InvalidArgument("position must not be negative", "position");
  return Status::Ok();
}

}  // namespace

// --- calendars ---------------------------------------------------------------------------------------

Result<SlaCalendar> CreateCalendar(store::TenantTx& tx, const NewCalendar& input, const identity::AuditContext& audit,
                                   Micros now) {
  TP_ASSIGN_OR_RETURN(std::string name, profiles::CleanLine(input.name, "name", kMaxNameChars, true));
  TP_ASSIGN_OR_RETURN(calendars::BusinessCalendar calendar, CheckDefinition(input.definition));
  TP_ASSIGN_OR_RETURN(auto count, tx.QueryOne(kCountCalendars));
  if (count && count->Int(0) >= static_cast<std::int64_t>(kMaxCalendarsPerTenant)) {
    return FailedPrecondition("a tenant has at most " + std::to_string(kMaxCalendarsPerTenant) + " calendars");
  }
  SlaCalendar created{.id = NewId("cal_"),
                      .name = std::move(name),
                      .definition = calendars::CalendarJson(calendar),
                      .created_at = now,
                      .updated_at = now};
  TP_RETURN_IF_ERROR(tx.Execute(kInsertCalendar, {created.id, created.name, created.definition.dump(), now}).status());
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "sla_calendar.create", "sla_calendar", created.id, std::nullopt,
                                           CalendarSnapshot(created).dump()));
  return created;
}

Result<SlaCalendar> GetCalendar(store::TenantTx& tx, std::string_view calendar_id) {
  if (!LooksLikeId(calendar_id, "cal_")) return NotFound("no calendar " + std::string(calendar_id));
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kSelectCalendar, {std::string(calendar_id)}));
  if (!row) return NotFound("no calendar " + std::string(calendar_id));
  return CalendarFromRow(*row);
}

Result<std::vector<SlaCalendar>> ListCalendars(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectCalendars));
  std::vector<SlaCalendar> out;
  for (const store::Row& row : rows) out.push_back(CalendarFromRow(row));
  return out;
}

Result<SlaCalendar> UpdateCalendar(store::TenantTx& tx, std::string_view calendar_id, const CalendarPatch& patch,
                                   const identity::AuditContext& audit, Micros now) {
  TP_ASSIGN_OR_RETURN(SlaCalendar calendar, GetCalendar(tx, calendar_id));
  const SlaCalendar before = calendar;
  if (patch.name) {
    TP_ASSIGN_OR_RETURN(calendar.name, profiles::CleanLine(*patch.name, "name", kMaxNameChars, true));
  }
  if (patch.definition) {
    TP_ASSIGN_OR_RETURN(calendars::BusinessCalendar parsed, CheckDefinition(*patch.definition));
    calendar.definition = calendars::CalendarJson(parsed);
  }
  if (calendar.name == before.name && calendar.definition == before.definition) return calendar;
  calendar.updated_at = now;
  TP_RETURN_IF_ERROR(
      tx.Execute(kUpdateCalendar, {calendar.id, calendar.name, calendar.definition.dump(), now}).status());
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "sla_calendar.update", "sla_calendar", calendar.id,
                                           CalendarSnapshot(before).dump(), CalendarSnapshot(calendar).dump()));
  if (calendar.definition != before.definition) {
    TP_ASSIGN_OR_RETURN(std::vector<std::string> team_ids, TeamsUsing(tx, calendar.id));
    if (!team_ids.empty()) TP_RETURN_IF_ERROR(ScheduleRecompute(tx, team_ids, now));
  }
  return calendar;
}

Status DeleteCalendar(store::TenantTx& tx, std::string_view calendar_id, const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(SlaCalendar calendar, GetCalendar(tx, calendar_id));
  TP_ASSIGN_OR_RETURN(std::vector<std::string> team_ids, TeamsUsing(tx, calendar.id));
  if (!team_ids.empty()) {
    return Conflict("calendar " + calendar.id + " is used by team " + team_ids.front(), "calendar_id");
  }
  TP_RETURN_IF_ERROR(tx.Execute(kDeleteCalendar, {calendar.id}).status());
  return identity::RecordAudit(tx, audit, "sla_calendar.delete", "sla_calendar", calendar.id,
                               CalendarSnapshot(calendar).dump());
}

Status SetTeamCalendar(store::TenantTx& tx, std::string_view team_id, const std::optional<std::string>& calendar_id,
                       const identity::AuditContext& audit, Micros now) {
  Result<identity::Team> team = identity::GetTeam(tx, team_id);
  if (!team.ok()) {
    if (team.status().code() == ErrorCode::kNotFound)
      return Status(ErrorCode::kNotFound, "no team " + std::string(team_id), "team_id");
    return team.status();
  }
  if (calendar_id) {
    Result<SlaCalendar> calendar = GetCalendar(tx, *calendar_id);
    if (!calendar.ok()) {
      if (calendar.status().code() == ErrorCode::kNotFound) {
        return Status(ErrorCode::kNotFound, "no calendar " + *calendar_id, "calendar_id");
      }
      return calendar.status();
    }
  }
  TP_ASSIGN_OR_RETURN(std::optional<std::string> before, TeamCalendarId(tx, team->id));
  if (before == calendar_id) return Status::Ok();
  if (calendar_id) {
    TP_RETURN_IF_ERROR(tx.Execute(kUpsertTeamCalendar, {team->id, *calendar_id, now}).status());
  } else {
    TP_RETURN_IF_ERROR(tx.Execute(kDeleteTeamCalendar, {team->id}).status());
  }
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "team.calendar_set", "team", team->id,
                                           json{{"calendar_id", OptionalText(before)}}.dump(),
                                           json{{"calendar_id", OptionalText(calendar_id)}}.dump()));
  return ScheduleRecompute(tx, std::vector<std::string>{team->id}, now);
}

Result<std::optional<std::string>> TeamCalendarId(store::TenantTx& tx, std::string_view team_id) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kCalendarOfTeam, {std::string(team_id)}));
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(row->Text(0));
}

// --- policies ----------------------------------------------------------------------------------------

Result<Policy> CreatePolicy(store::TenantTx& tx, const NewPolicy& input, const identity::AuditContext& audit,
                            Micros now) {
  TP_ASSIGN_OR_RETURN(std::string name, profiles::CleanLine(input.name, "name", kMaxNameChars, true));
  TP_RETURN_IF_ERROR(CheckPosition(input.position));
  TP_ASSIGN_OR_RETURN(PolicyMatch match, ParsePolicyMatch(input.match));
  TP_ASSIGN_OR_RETURN(auto targets, ParseTargets(input.targets));
  TP_ASSIGN_OR_RETURN(auto counts, tx.QueryOne(kPolicyCounts));
  if (counts && counts->Int(0) >= static_cast<std::int64_t>(kMaxPoliciesPerTenant)) {
    return FailedPrecondition("a tenant has at most " + std::to_string(kMaxPoliciesPerTenant) + " policies");
  }
  Policy policy{.id = NewId("slp_"),
                .name = std::move(name),
                .position = input.position.value_or(counts ? counts->Int(1) + 1 : 0),
                .match = std::move(match),
                .targets = std::move(targets),
                .created_at = now,
                .updated_at = now};
  TP_RETURN_IF_ERROR(
      tx.Execute(kInsertPolicy, {policy.id, policy.name, policy.position, PolicyMatchJson(policy.match).dump(),
                                 TargetsJson(policy.targets).dump(), now})
          .status());
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "sla_policy.create", "sla_policy", policy.id, std::nullopt,
                                           PolicySnapshot(policy).dump()));
  TP_RETURN_IF_ERROR(ScheduleRecompute(tx, std::nullopt, now));
  return policy;
}

Result<Policy> GetPolicy(store::TenantTx& tx, std::string_view policy_id) {
  if (!LooksLikeId(policy_id, "slp_")) return NotFound("no SLA policy " + std::string(policy_id));
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kSelectPolicy, {std::string(policy_id)}));
  if (!row) return NotFound("no SLA policy " + std::string(policy_id));
  return PolicyFromRow(*row);
}

Result<std::vector<Policy>> ListPolicies(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectPolicies));
  std::vector<Policy> out;
  out.reserve(rows.size());
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(Policy policy, PolicyFromRow(row));
    out.push_back(std::move(policy));
  }
  return out;
}

Result<Policy> UpdatePolicy(store::TenantTx& tx, std::string_view policy_id, const PolicyPatch& patch,
                            const identity::AuditContext& audit, Micros now) {
  TP_ASSIGN_OR_RETURN(Policy policy, GetPolicy(tx, policy_id));
  const json before = PolicySnapshot(policy);
  if (patch.name) {
    TP_ASSIGN_OR_RETURN(policy.name, profiles::CleanLine(*patch.name, "name", kMaxNameChars, true));
  }
  TP_RETURN_IF_ERROR(CheckPosition(patch.position));
  if (patch.position) policy.position = *patch.position;
  if (patch.match) {
    TP_ASSIGN_OR_RETURN(policy.match, ParsePolicyMatch(*patch.match));
  }
  if (patch.targets) {
    TP_ASSIGN_OR_RETURN(policy.targets, ParseTargets(*patch.targets));
  }
  const json after = PolicySnapshot(policy);
  if (after == before) return policy;
  policy.updated_at = now;
  TP_RETURN_IF_ERROR(
      tx.Execute(kUpdatePolicy, {policy.id, policy.name, policy.position, PolicyMatchJson(policy.match).dump(),
                                 TargetsJson(policy.targets).dump(), now})
          .status());
  TP_RETURN_IF_ERROR(
      identity::RecordAudit(tx, audit, "sla_policy.update", "sla_policy", policy.id, before.dump(), after.dump()));
  TP_RETURN_IF_ERROR(ScheduleRecompute(tx, std::nullopt, now));
  return policy;
}

Status DeletePolicy(store::TenantTx& tx, std::string_view policy_id, const identity::AuditContext& audit, Micros now) {
  TP_ASSIGN_OR_RETURN(Policy policy, GetPolicy(tx, policy_id));
  TP_RETURN_IF_ERROR(tx.Execute(kDeletePolicy, {policy.id}).status());
  TP_RETURN_IF_ERROR(
      identity::RecordAudit(tx, audit, "sla_policy.delete", "sla_policy", policy.id, PolicySnapshot(policy).dump()));
  return ScheduleRecompute(tx, std::nullopt, now);
}

// --- case state --------------------------------------------------------------------------------------

Result<CaseSla> GetCaseSla(store::TenantTx& tx, std::string_view case_id) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(kSelectCaseSla, {std::string(case_id)}));
  if (!row) return NotFound("no SLA state for case " + std::string(case_id));
  return CaseSlaFromRow(*row, 0);
}

json CaseSlaJson(const CaseSla& item) {
  json metrics = json::object();
  for (Metric metric : kMetrics) {
    const MetricState& state = item.state.Of(metric);
    if (!state.active) continue;
    json entry = {{"due_at", OptionalTime(state.due_at)},
                  {"met_at", OptionalTime(state.met_at)},
                  {"breached", state.breached},
                  {"paused", state.paused}};
    if (state.remaining) entry["remaining_minutes"] = *state.remaining / kMicrosPerMinute;
    metrics[std::string(MetricName(metric))] = std::move(entry);
  }
  return {{"case_id", item.case_id},
          {"policy_id", OptionalText(item.policy_id)},
          {"calendar_id", OptionalText(item.calendar_id)},
          {"team_id", OptionalText(item.team_id)},
          {"assignee_id", OptionalText(item.assignee_id)},
          {"status", cases::CaseStatusName(item.status)},
          {"priority", cases::CasePriorityName(item.priority)},
          {"next_due_at", OptionalTime(item.state.next_due_at)},
          {"metrics", std::move(metrics)},
          {"computed_at", FormatTimestamp(item.computed_at)}};
}

namespace {

// A case evaluated as of `now`, ready to be written.
struct EvaluatedCase {
  RowInput input;
  std::optional<std::string> calendar_id;
  Evaluation evaluation;
  Micros created_at = 0;
};

Result<EvaluatedCase> EvaluateCase(store::TenantTx& tx, const cases::Case& item, Micros now) {
  TP_ASSIGN_OR_RETURN(std::vector<cases::TimelineEntry> timeline, cases::ReadConversation(tx, item.id));
  EvaluatedCase out{.input = {.case_id = item.id,
                              .customer_id = item.customer_id,
                              .team_id = item.team_id,
                              .assignee_id = item.assignee_id,
                              .status = item.status,
                              .priority = item.priority,
                              .type = item.type,
                              .channel = item.channel,
                              .facts = FactsOf(item, timeline)},
                    .created_at = item.created_at};
  TP_ASSIGN_OR_RETURN(json traits, TraitsOf(tx, item.customer_id));
  TP_ASSIGN_OR_RETURN(std::vector<Policy> policies, ListPolicies(tx));
  TP_ASSIGN_OR_RETURN(TeamCalendar calendar, CalendarOfTeam(tx, item.team_id));
  out.calendar_id = calendar.id;
  TP_ASSIGN_OR_RETURN(out.evaluation, Evaluate(policies, calendar.calendar, out.input, traits, now));
  return out;
}

}  // namespace

Result<CaseSla> CurrentCaseSla(store::TenantTx& tx, const cases::Case& item, Micros now) {
  Result<CaseSla> stored = GetCaseSla(tx, item.id);
  if (stored.ok() || stored.status().code() != ErrorCode::kNotFound) return stored;
  TP_ASSIGN_OR_RETURN(EvaluatedCase evaluated, EvaluateCase(tx, item, now));
  return CaseSla{.case_id = item.id,
                 .policy_id = evaluated.evaluation.policy_id,
                 .calendar_id = evaluated.calendar_id,
                 .team_id = item.team_id,
                 .assignee_id = item.assignee_id,
                 .status = item.status,
                 .priority = item.priority,
                 .state = evaluated.evaluation.state,
                 .case_created_at = item.created_at,
                 .computed_at = now};
}

Status RecomputeCase(store::TenantTx& tx, std::string_view case_id, Micros now) {
  Result<cases::Case> found = cases::GetCase(tx, case_id);
  if (!found.ok()) {
    if (found.status().code() != ErrorCode::kNotFound) return found.status();
    return tx.Execute(kDeleteCaseSla, {std::string(case_id)}).status();
  }
  TP_ASSIGN_OR_RETURN(EvaluatedCase evaluated, EvaluateCase(tx, *found, now));
  std::optional<CaseSla> before;
  if (Result<CaseSla> stored = GetCaseSla(tx, found->id); stored.ok()) {
    before = std::move(stored).value();
  } else if (stored.status().code() != ErrorCode::kNotFound) {
    return stored.status();
  }
  RowWriter writer(now, /*rows_exist=*/false);
  TP_RETURN_IF_ERROR(
      writer.Add(tx, evaluated.input, evaluated.calendar_id, evaluated.evaluation, evaluated.created_at, before));
  return writer.Flush(tx);
}

Status HandleChanges(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now) {
  // Each case once per batch, in the order its first change came.
  std::vector<std::pair<std::string, std::string>> touched;
  std::set<std::pair<std::string, std::string>> seen;
  for (const store::Change& change : batch) {
    if (change.kind != changes::kinds::kCaseCreated && change.kind != changes::kinds::kCaseUpdated &&
        change.kind != changes::kinds::kCaseMessageAdded) {
      continue;
    }
    const json data = json::parse(change.data, nullptr, false);
    std::string case_id = data.is_object() && data.contains("case_id") && data["case_id"].is_string()
                              ? data["case_id"].get<std::string>()
                              : change.subject_id;
    auto key = std::make_pair(change.tenant_id, std::move(case_id));
    if (seen.insert(key).second) touched.push_back(std::move(key));
  }
  for (const auto& [tenant_id, case_id] : touched) {
    store::TenantTx tenant = tx.InTenant(tenant_id);
    TP_RETURN_IF_ERROR(RecomputeCase(tenant, case_id, now));
  }
  return Status::Ok();
}

namespace {

// Re-evaluates stored rows (TP_CASE_SLA_COLUMNS, then customer_id, type, channel, facts) from their
// facts, without reading the conversation again, and writes the ones that changed.
Status RecomputeRows(store::TenantTx& tx, const store::Rows& rows, Micros now) {
  TP_ASSIGN_OR_RETURN(std::vector<Policy> policies, ListPolicies(tx));
  // Customer traits only when a policy matches on them: most tenants' policies do not.
  const bool needs_traits = std::any_of(policies.begin(), policies.end(),
                                        [](const Policy& policy) { return !policy.match.customer_traits.empty(); });
  std::map<std::string, json> traits_of;
  if (needs_traits && !rows.empty()) {
    std::vector<std::string> customer_ids;
    for (const store::Row& row : rows) customer_ids.push_back(row.Text(kRecomputeExtra));
    SqlParams params;
    const std::string sql = Sql({kSelectTraitsIn, params.BindList(customer_ids), ")"});
    TP_ASSIGN_OR_RETURN(store::Rows found, tx.Query(sql, params.values()));
    for (const store::Row& row : found) {
      json traits = json::parse(row.Text(1), nullptr, false);
      traits_of[row.Text(0)] = traits.is_object() ? std::move(traits) : json::object();
    }
  }
  std::map<std::optional<std::string>, TeamCalendar> calendar_of_team;
  RowWriter writer(now, /*rows_exist=*/true);
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(CaseSla before, CaseSlaFromRow(row, 0));
    TP_ASSIGN_OR_RETURN(json facts_json, ParseStoredJson(row.Text(kRecomputeExtra + 3)));
    TP_ASSIGN_OR_RETURN(CaseFacts facts, ParseCaseFacts(facts_json));
    RowInput input{.case_id = before.case_id,
                   .customer_id = row.Text(kRecomputeExtra),
                   .team_id = before.team_id,
                   .assignee_id = before.assignee_id,
                   .status = before.status,
                   .priority = before.priority,
                   .facts = std::move(facts),
                   .stored_facts = row.Text(kRecomputeExtra + 3)};
    TP_ASSIGN_OR_RETURN(input.type, cases::ParseCaseType(row.Text(kRecomputeExtra + 1)));
    TP_ASSIGN_OR_RETURN(input.channel, ParseChannel(row.Text(kRecomputeExtra + 2)));
    const auto traits = traits_of.find(input.customer_id);

    auto calendar = calendar_of_team.find(before.team_id);
    if (calendar == calendar_of_team.end()) {
      TP_ASSIGN_OR_RETURN(TeamCalendar loaded, CalendarOfTeam(tx, before.team_id));
      calendar = calendar_of_team.emplace(before.team_id, std::move(loaded)).first;
    }
    TP_ASSIGN_OR_RETURN(Evaluation evaluation,
                        Evaluate(policies, calendar->second.calendar, input,
                                 traits == traits_of.end() ? json::object() : traits->second, now));
    // Most rows of a large tenant do not change: leave them alone.
    if (evaluation.policy_id == before.policy_id && calendar->second.id == before.calendar_id &&
        StoredPart(evaluation.state) == before.state) {
      continue;
    }
    TP_RETURN_IF_ERROR(writer.Add(tx, input, calendar->second.id, evaluation, before.case_created_at, before));
  }
  return writer.Flush(tx);
}

}  // namespace

Result<std::optional<std::string>> RecomputeOpenCases(store::TenantTx& tx,
                                                      const std::optional<std::vector<std::string>>& team_ids,
                                                      const std::string& after, std::size_t limit, Micros now) {
  if (team_ids && team_ids->empty()) return std::optional<std::string>();
  SqlParams params;
  std::string sql = Sql({kSelectRecomputeColumns, kFromOpenCasesAfter, params.Bind(after)});
  if (team_ids) sql += Sql({kAndTeamIn, params.BindList(*team_ids), ")"});
  sql += Sql({kOrderByCaseLimit, params.Bind(static_cast<std::int64_t>(limit))});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  TP_RETURN_IF_ERROR(RecomputeRows(tx, rows, now));
  if (rows.size() < limit) return std::optional<std::string>();
  return std::optional<std::string>(rows.back().Text(0));
}

jobs::Outcome RunCheckJob(store::Store& store, const jobs::Job& job, Micros now) {
  // Every row due by now, a batch per transaction: each leaves with its next check later or none.
  // Bounded: a row whose check does not move (it cannot, as a due passed is a breach) stops the loop.
  bool more = true;
  for (int round = 0; more && round < 1000; ++round) {
    const Status status = store.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(Sql({kSelectRecomputeColumns, kFromDueChecks}),
                                                     {now, static_cast<std::int64_t>(kRecomputeBatch)}));
      more = rows.size() == kRecomputeBatch;
      TP_RETURN_IF_ERROR(RecomputeRows(tx, rows, now));
      if (more) return Status::Ok();
      // The chain goes on at the earliest check left.
      TP_ASSIGN_OR_RETURN(auto next, tx.QueryOne(kEarliestCheck));
      if (next && !next->IsNull(0)) TP_RETURN_IF_ERROR(ScheduleCheck(tx, next->Int(0), now));
      return Status::Ok();
    });
    if (!status.ok()) return jobs::Outcome::Retry(status);
  }
  return jobs::Outcome::Done();
}

jobs::Outcome RunRecomputeJob(store::Store& store, const jobs::Job& job, Micros now) {
  const json payload = json::parse(job.payload, nullptr, false);
  if (!payload.is_object()) return jobs::Outcome::Fail(Internal("an sla.recompute job without a payload object"));
  std::optional<std::vector<std::string>> team_ids;
  if (payload.contains("team_ids")) {
    if (!payload["team_ids"].is_array()) return jobs::Outcome::Fail(Internal("sla.recompute team_ids is not a list"));
    team_ids.emplace();
    for (const json& team_id : payload["team_ids"]) {
      if (team_id.is_string()) team_ids->push_back(team_id.get<std::string>());
    }
  }
  // One transaction per batch: a long recompute neither holds the writer nor redoes committed batches
  // when a later one fails (a retry starts over, and rows already current are skipped).
  std::optional<std::string> after = std::string();
  while (after) {
    std::optional<std::string> next;
    const Status status = store.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(next, RecomputeOpenCases(tx, team_ids, *after, kRecomputeBatch, now));
      return Status::Ok();
    });
    if (!status.ok()) return jobs::Outcome::Retry(status);
    after = std::move(next);
  }
  return jobs::Outcome::Done();
}

Result<std::array<MetricAttainment, 3>> Attainment(store::TenantTx& tx, const AttainmentQuery& query) {
  std::string sql = "SELECT ";
  for (Metric metric : kMetrics) {
    const std::string name(MetricName(metric));
    if (metric != Metric::kFirstResponse) sql += ", ";
    sql += "SUM(CASE WHEN " + name + "_active = 1 AND " + name + "_breached = 0 AND " + name +
           "_met_at IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN " + name + "_active = 1 AND " + name +
           "_breached = 1 THEN 1 ELSE 0 END)";
  }
  sql += " FROM case_sla WHERE tenant_id = $1 AND policy_id IS NOT NULL";
  SqlParams params;
  if (query.since) sql += Sql({" AND case_created_at >= ", params.Bind(*query.since)});
  if (query.until) sql += Sql({" AND case_created_at < ", params.Bind(*query.until)});
  if (query.team_id) sql += Sql({" AND team_id = ", params.Bind(*query.team_id)});
  if (query.policy_id) sql += Sql({" AND policy_id = ", params.Bind(*query.policy_id)});
  if (query.only_teams) {
    if (query.only_teams->empty()) return std::array<MetricAttainment, 3>{};
    sql += Sql({" AND team_id IN (", params.BindList(*query.only_teams), ")"});
  }
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::array<MetricAttainment, 3> out{};
  if (rows.empty()) return out;
  for (std::size_t metric_idx = 0; metric_idx < out.size(); ++metric_idx) {
    MetricAttainment& attainment = out[metric_idx];
    attainment.met = rows[0].Int(2 * metric_idx);
    attainment.breached = rows[0].Int(2 * metric_idx + 1);
    if (attainment.met + attainment.breached > 0) {
      attainment.attainment_percent =
          100.0 * static_cast<double>(attainment.met) / static_cast<double>(attainment.met + attainment.breached);
    }
  }
  return out;
}

namespace {

// Where a page in SLA order stopped: "d<due>:<case id>" inside the cases with a due, "n:<case id>" in
// those without one.
struct DueCursor {
  std::optional<Micros> due;  // std::nullopt: in the second part
  std::string case_id;
};

Result<std::optional<DueCursor>> ParseDueCursor(const std::string& after) {
  if (after.empty()) return std::optional<DueCursor>();
  const auto colon = after.find(':');
  if (colon == std::string::npos || colon == 0) return InvalidArgument("not a cursor of this list", "cursor");
  const std::string head = after.substr(0, colon);
  DueCursor cursor{.case_id = after.substr(colon + 1)};
  if (head == "n") return std::optional<DueCursor>(cursor);
  if (head[0] != 'd' || head.size() < 2 || head.size() > 20 ||
      !std::all_of(head.begin() + 1, head.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidArgument("not a cursor of this list", "cursor");
  }
  cursor.due = std::stoll(head.substr(1));
  return std::optional<DueCursor>(cursor);
}

// The scope's filters on a table aliased `table` (case_sla names its case case_id, cases id).
std::string DueScope(const DueQuery& query, std::string_view table, SqlParams& params) {
  std::string sql;
  if (query.assignee_id) sql += Sql({" AND ", table, ".assignee_id = ", params.Bind(*query.assignee_id)});
  if (query.unassigned) sql += Sql({" AND ", table, ".assignee_id IS NULL"});
  if (query.team_id) sql += Sql({" AND ", table, ".team_id = ", params.Bind(*query.team_id)});
  if (query.only_teams) sql += Sql({" AND ", table, ".team_id IN (", params.BindList(*query.only_teams), ")"});
  return sql;
}

}  // namespace

Result<Page<DueCase>> ListCasesByDue(store::TenantTx& tx, const DueQuery& query, const PageRequest& page) {
  Page<DueCase> out;
  if (query.only_teams && query.only_teams->empty()) return out;
  TP_ASSIGN_OR_RETURN(const std::optional<DueCursor> cursor, ParseDueCursor(page.after_id));
  const std::size_t wanted = static_cast<std::size_t>(page.limit) + 1;  // one more tells whether a page follows
  std::vector<std::pair<std::string, std::optional<Micros>>> found;

  if (!cursor || cursor->due) {
    SqlParams params;
    std::string sql = Sql({"SELECT s.case_id, s.next_due_at FROM case_sla s WHERE s.tenant_id = $1 AND "
                           "s.next_due_at IS NOT NULL",
                           DueScope(query, "s", params)});
    if (query.due_before) sql += Sql({" AND s.next_due_at < ", params.Bind(*query.due_before)});
    if (cursor) {
      const std::string due = params.Bind(*cursor->due);
      sql += Sql({" AND (s.next_due_at > ", due, " OR (s.next_due_at = ", due,
                  " AND s.case_id > ", params.Bind(cursor->case_id), "))"});
    }
    sql += Sql({" ORDER BY s.next_due_at, s.case_id LIMIT ", params.Bind(static_cast<std::int64_t>(wanted))});
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
    for (const store::Row& row : rows) found.emplace_back(row.Text(0), row.Int(1));
  }
  if (found.size() < wanted && !query.due_before) {
    SqlParams params;
    std::string sql = Sql({"SELECT c.id FROM cases c LEFT JOIN case_sla s ON s.tenant_id = c.tenant_id AND "
                           "s.case_id = c.id WHERE c.tenant_id = $1 AND c.status IN ('new', 'open', 'pending') AND "
                           "s.next_due_at IS NULL",
                           DueScope(query, "c", params)});
    if (cursor && !cursor->due) sql += Sql({" AND c.id > ", params.Bind(cursor->case_id)});
    sql += Sql({" ORDER BY c.id LIMIT ", params.Bind(static_cast<std::int64_t>(wanted - found.size()))});
    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
    for (const store::Row& row : rows) found.emplace_back(row.Text(0), std::nullopt);
  }

  const bool more = found.size() == wanted;
  if (more) found.pop_back();
  std::vector<std::string> ids;
  for (const auto& [case_id, due] : found) ids.push_back(case_id);
  TP_ASSIGN_OR_RETURN(std::vector<cases::Case> items, cases::GetCases(tx, ids));
  std::map<std::string, cases::Case> by_id;
  for (cases::Case& item : items) by_id.emplace(item.id, std::move(item));
  for (const auto& [case_id, due] : found) {
    const auto item = by_id.find(case_id);
    // The row can trail the case by the subscriber's lag: a case solved a moment ago is left out.
    if (item == by_id.end() || item->second.status == cases::CaseStatus::kSolved ||
        item->second.status == cases::CaseStatus::kClosed) {
      continue;
    }
    out.items.push_back({.item = item->second, .next_due_at = due});
  }
  if (more && !found.empty()) {
    const auto& [last_id, last_due] = found.back();
    out.next_cursor = EncodeCursor(last_due ? "d" + std::to_string(*last_due) + ":" + last_id : "n:" + last_id);
  }
  return out;
}

}  // namespace tp::sla
