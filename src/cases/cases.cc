#include "cases/cases.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <tuple>
#include <utility>

#include "cases/conversation.h"
#include "cases/custom_fields.h"
#include "cases/internal.h"
#include "cases/search.h"
#include "changes/kinds.h"
#include "common/ids.h"
#include "feedback/feedback.h"
#include "identity/teams.h"
#include "identity/users.h"
#include "profiles/customers.h"
#include "store/sql_params.h"
#include "profiles/text.h"

namespace tp::cases {
namespace {

using nlohmann::json;
using store::Sql;
using store::SqlParams;

constexpr std::string_view kCaseIdPrefix = "cas_";


constexpr std::string_view kInsertCase =
    "INSERT INTO cases (tenant_id, id, customer_id, subject, status, priority, channel, team_id, assignee_id, "
    "tags, follow_up_of, type, touchpoint, stage, order_ids, solved_at, custom_fields, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)";
constexpr std::string_view kFromCaseWithId = " FROM cases WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kUpdateCase =
    "UPDATE cases SET status = $3, priority = $4, team_id = $5, assignee_id = $6, tags = $7, type = $8, "
    "touchpoint = $9, stage = $10, order_ids = $11, solved_at = $12, custom_fields = $13, updated_at = $14 "
    "WHERE tenant_id = $1 AND id = $2";

// List statements, assembled from these fragments (profiles/sql_params.h says why).
constexpr std::string_view kFromCasesAfter = " FROM cases WHERE tenant_id = $1 AND id > ";
constexpr std::string_view kAndStatusIs = " AND status = ";
constexpr std::string_view kAndCustomerIs = " AND customer_id = ";
constexpr std::string_view kAndTeamIs = " AND team_id = ";
constexpr std::string_view kOrderByIdLimit = " ORDER BY id LIMIT ";
// Several teams: each team's page is one range of an index that starts with team_id; the branches are
// merged and cut again, so a page reads at most teams × limit rows however large the teams are.
constexpr std::string_view kFromBranch = " FROM (";
constexpr std::string_view kAsTeamBranch = ") AS team_";
constexpr std::string_view kUnionAll = " UNION ALL ";

constexpr std::array kStatuses = {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kPending, CaseStatus::kSolved,
                                  CaseStatus::kClosed};
constexpr std::array kPriorities = {CasePriority::kLow, CasePriority::kNormal, CasePriority::kHigh,
                                    CasePriority::kUrgent};
constexpr std::array kTypes = {CaseType::kQuestion,      CaseType::kIncident,      CaseType::kOrderIssue,
                               CaseType::kComplaint,     CaseType::kReturnRequest, CaseType::kFeedbackFollowUp};

// Finds the enumerator whose name is `name`; the error lists the accepted names.
template <typename Enum, size_t kCount>
Result<Enum> ParseName(std::string_view name, const std::array<Enum, kCount>& values,
                       std::string_view (*name_of)(Enum), std::string_view field) {
  std::string accepted;
  for (Enum value : values) {
    if (name_of(value) == name) return value;
    accepted += accepted.empty() ? "" : ", ";
    accepted += name_of(value);
  }
  return InvalidArgument(std::string(field) + " must be one of " + accepted, std::string(field));
}

std::vector<std::string> StringsFromText(const std::string& text) {
  const json tags = json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!tags.is_array()) return out;
  for (const json& tag : tags) {
    if (tag.is_string()) out.push_back(tag.get<std::string>());
  }
  return out;
}

// Normalized, sorted and unique; kInvalidArgument naming `field` for a bad tag.
Result<std::vector<std::string>> NormalizeTags(const std::vector<std::string>& tags, std::string_view field) {
  std::vector<std::string> out;
  out.reserve(tags.size());
  for (const std::string& tag : tags) {
    TP_ASSIGN_OR_RETURN(std::string normalized, NormalizeTag(tag, field));
    out.push_back(std::move(normalized));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// A touchpoint or stage: one line, or absent when empty.
Result<std::optional<std::string>> CleanLabel(const std::optional<std::string>& label, std::string_view field) {
  if (!label) return std::optional<std::string>();
  TP_ASSIGN_OR_RETURN(std::string clean, profiles::CleanLine(*label, field, kMaxLabelChars, false));
  if (clean.empty()) return std::optional<std::string>();
  return std::optional(std::move(clean));
}

// Order ids as the events name them: one line each, unique, in the order given.
Result<std::vector<std::string>> CleanOrderIds(const std::vector<std::string>& order_ids) {
  if (order_ids.size() > kMaxOrderIds) {
    return InvalidArgument("a case names at most " + std::to_string(kMaxOrderIds) + " orders", "order_ids");
  }
  std::vector<std::string> out;
  for (const std::string& order_id : order_ids) {
    TP_ASSIGN_OR_RETURN(std::string clean, profiles::CleanLine(order_id, "order_ids", kMaxLabelChars, true));
    if (std::find(out.begin(), out.end(), clean) == out.end()) out.push_back(std::move(clean));
  }
  return out;
}

Status CheckTagCount(const std::vector<std::string>& tags) {
  if (tags.size() > kMaxTags) return InvalidArgument("a case has at most " + std::to_string(kMaxTags) + " tags", "tags");
  return Status::Ok();
}


json OptionalJson(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

json CaseJson(const Case& item) {
  return json{{"id", item.id},
              {"customer_id", item.customer_id},
              {"subject", item.subject},
              {"status", CaseStatusName(item.status)},
              {"priority", CasePriorityName(item.priority)},
              {"type", CaseTypeName(item.type)},
              {"channel", ChannelName(item.channel)},
              {"team_id", OptionalJson(item.team_id)},
              {"assignee_id", OptionalJson(item.assignee_id)},
              {"tags", item.tags},
              {"touchpoint", OptionalJson(item.touchpoint)},
              {"stage", OptionalJson(item.stage)},
              {"order_ids", item.order_ids},
              {"follow_up_of", OptionalJson(item.follow_up_of)},
              {"custom_fields", json::parse(item.custom_fields_json, nullptr, false)},
              {"created_at", FormatTimestamp(item.created_at)}};
}

// Replaces the field of a kNotFound status so that the caller learns which reference was wrong.
Status NotFoundField(const Status& status, std::string message, std::string field) {
  if (status.code() != ErrorCode::kNotFound) return status;
  return {ErrorCode::kNotFound, std::move(message), std::move(field)};
}

Status CheckTeam(store::TenantTx& tx, const std::optional<std::string>& team_id) {
  if (!team_id) return Status::Ok();
  return NotFoundField(identity::GetTeam(tx, *team_id).status(), "no such team", "team_id");
}

Status CheckAssignee(store::TenantTx& tx, const std::optional<std::string>& assignee_id) {
  if (!assignee_id) return Status::Ok();
  Result<identity::User> user = identity::GetUser(tx, *assignee_id);
  if (!user.ok()) return NotFoundField(user.status(), "no such user", "assignee_id");
  if (user->disabled) return FailedPrecondition("the user is disabled", "assignee_id");
  return Status::Ok();
}

Result<Page<Case>> QueryCases(store::TenantTx& tx, std::string_view sql, const SqlParams& params, int limit) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Case> cases;
  cases.reserve(rows.size());
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(Case item, CaseFromRow(row));
    cases.push_back(std::move(item));
  }
  return MakePage(std::move(cases), limit, [](const Case& item) { return item.id; });
}

// The teams a query is limited to, or std::nullopt when it is not limited by team.
std::optional<std::vector<std::string>> TeamsOf(const CaseQuery& query) {
  if (!query.only_teams) {
    if (query.team_id) return std::vector{*query.team_id};
    return std::nullopt;
  }
  if (!query.team_id) return *query.only_teams;
  const bool allowed = std::find(query.only_teams->begin(), query.only_teams->end(), *query.team_id) !=
                       query.only_teams->end();
  return allowed ? std::vector{*query.team_id} : std::vector<std::string>{};
}

}  // namespace

Result<Case> CaseFromRow(const store::Row& row) {
  Result<CaseStatus> status = ParseCaseStatus(row.Text(3));
  Result<CasePriority> priority = ParseCasePriority(row.Text(4));
  Result<Channel> channel = ParseChannel(row.Text(5));
  Result<CaseType> type = ParseCaseType(row.Text(12));
  if (!status.ok() || !priority.ok() || !channel.ok() || !type.ok()) {
    return Internal("case " + row.Text(0) + " has unknown values");
  }
  return Case{.id = row.Text(0),
              .customer_id = row.Text(1),
              .subject = row.Text(2),
              .status = *status,
              .priority = *priority,
              .type = *type,
              .channel = *channel,
              .team_id = row.OptionalText(6),
              .assignee_id = row.OptionalText(7),
              .tags = StringsFromText(row.Text(10)),
              .touchpoint = row.OptionalText(13),
              .stage = row.OptionalText(14),
              .order_ids = StringsFromText(row.Text(15)),
              .first_response_at = row.OptionalInt(16),
              .solved_at = row.OptionalInt(17),
              .follow_up_of = row.OptionalText(11),
              .custom_fields_json = row.Text(18),
              .created_at = row.Int(8),
              .updated_at = row.Int(9)};
}

std::string_view CaseStatusName(CaseStatus status) {
  switch (status) {
    case CaseStatus::kNew: return "new";
    case CaseStatus::kOpen: return "open";
    case CaseStatus::kPending: return "pending";
    case CaseStatus::kSolved: return "solved";
    case CaseStatus::kClosed: return "closed";
  }
  return "open";
}

std::string_view CasePriorityName(CasePriority priority) {
  switch (priority) {
    case CasePriority::kLow: return "low";
    case CasePriority::kNormal: return "normal";
    case CasePriority::kHigh: return "high";
    case CasePriority::kUrgent: return "urgent";
  }
  return "normal";
}


std::string_view CaseTypeName(CaseType type) {
  switch (type) {
    case CaseType::kQuestion: return "question";
    case CaseType::kIncident: return "incident";
    case CaseType::kOrderIssue: return "order_issue";
    case CaseType::kComplaint: return "complaint";
    case CaseType::kReturnRequest: return "return_request";
    case CaseType::kFeedbackFollowUp: return "feedback_follow_up";
  }
  return "question";
}

Result<CaseType> ParseCaseType(std::string_view name) { return ParseName(name, kTypes, CaseTypeName, "type"); }

Result<CaseStatus> ParseCaseStatus(std::string_view name) {
  return ParseName(name, kStatuses, CaseStatusName, "status");
}

Result<CasePriority> ParseCasePriority(std::string_view name) {
  return ParseName(name, kPriorities, CasePriorityName, "priority");
}


Result<std::string> NormalizeTag(std::string_view tag, std::string_view field) {
  if (tag.empty() || tag.size() > kMaxTagBytes) {
    return InvalidArgument("a tag has 1 to " + std::to_string(kMaxTagBytes) + " bytes", std::string(field));
  }
  std::string normalized;
  normalized.reserve(tag.size());
  for (const char c : tag) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f || c == ',') {
      return InvalidArgument("a tag has no spaces, control characters or commas (use _ or -)", std::string(field));
    }
    normalized.push_back(byte < 0x80 ? static_cast<char>(std::tolower(byte)) : c);
  }
  TP_ASSIGN_OR_RETURN(normalized, profiles::CleanLine(normalized, field, kMaxTagBytes, true));
  return normalized;
}

bool CaseInTeams(const Case& item, const std::optional<std::vector<std::string>>& only_teams) {
  if (!only_teams) return true;
  return item.team_id && std::find(only_teams->begin(), only_teams->end(), *item.team_id) != only_teams->end();
}

std::vector<CaseStatus> UnsolvedStatuses() { return {CaseStatus::kNew, CaseStatus::kOpen, CaseStatus::kPending}; }

bool IsAllowedTransition(CaseStatus from, CaseStatus to) {
  if (from == to) return true;
  return to != CaseStatus::kNew && from != CaseStatus::kClosed;
}

Result<Case> CreateCase(store::TenantTx& tx, const NewCase& input, const identity::AuditContext& audit) {
  const Micros now = NowMicros();
  Case created;
  TP_ASSIGN_OR_RETURN(created.subject, profiles::CleanLine(input.subject, "subject", kMaxSubjectChars, true));
  if (input.created_at) TP_RETURN_IF_ERROR(profiles::CheckClientTimestamp(*input.created_at, now, "created_at"));
  TP_ASSIGN_OR_RETURN(const bool customer_exists, profiles::CustomerExists(tx, input.customer_id));
  if (!customer_exists) return Status(ErrorCode::kNotFound, "no such customer", "customer_id");
  TP_RETURN_IF_ERROR(CheckTeam(tx, input.team_id));
  TP_RETURN_IF_ERROR(CheckAssignee(tx, input.assignee_id));
  TP_ASSIGN_OR_RETURN(created.tags, NormalizeTags(input.tags, "tags"));
  TP_RETURN_IF_ERROR(CheckTagCount(created.tags));
  TP_ASSIGN_OR_RETURN(created.touchpoint, CleanLabel(input.touchpoint, "touchpoint"));
  TP_ASSIGN_OR_RETURN(created.stage, CleanLabel(input.stage, "stage"));
  TP_ASSIGN_OR_RETURN(created.order_ids, CleanOrderIds(input.order_ids));
  if (input.custom_fields_json) {
    TP_ASSIGN_OR_RETURN(created.custom_fields_json, MergeCustomFields(tx, "{}", *input.custom_fields_json));
  }
  if (input.follow_up_of) {
    TP_RETURN_IF_ERROR(
        NotFoundField(feedback::GetFeedback(tx, *input.follow_up_of).status(), "no such feedback", "follow_up_of"));
  }

  created.id = NewId(kCaseIdPrefix);
  created.customer_id = input.customer_id;
  created.status = input.status;
  created.priority = input.priority;
  created.type = input.type.value_or(input.follow_up_of ? CaseType::kFeedbackFollowUp : CaseType::kQuestion);
  created.channel = input.channel;
  created.team_id = input.team_id;
  created.assignee_id = input.assignee_id;
  created.follow_up_of = input.follow_up_of;
  created.created_at = input.created_at.value_or(now);
  created.updated_at = created.created_at;
  if (created.status == CaseStatus::kSolved) created.solved_at = created.created_at;
  TP_RETURN_IF_ERROR(tx.Execute(
      kInsertCase, {created.id, created.customer_id, created.subject, std::string(CaseStatusName(created.status)),
                    std::string(CasePriorityName(created.priority)), std::string(ChannelName(created.channel)),
                    store::Nullable(created.team_id), store::Nullable(created.assignee_id), json(created.tags).dump(),
                    store::Nullable(created.follow_up_of), std::string(CaseTypeName(created.type)),
                    store::Nullable(created.touchpoint), store::Nullable(created.stage),
                    json(created.order_ids).dump(), store::Nullable(created.solved_at), created.custom_fields_json,
                    created.created_at}));
  const std::string snapshot = CaseJson(created).dump();
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "case.create", "case", created.id, {}, snapshot));
  TP_RETURN_IF_ERROR(RecordCaseChange(tx, created, audit, "case.create", "{}", snapshot, created.created_at));
  TP_RETURN_IF_ERROR(IndexCaseText(tx, created, created.id, created.subject));
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCaseCreated, created.id,
                                json{{"case_id", created.id},
                                     {"customer_id", created.customer_id},
                                     {"status", CaseStatusName(created.status)},
                                     {"priority", CasePriorityName(created.priority)},
                                     {"type", CaseTypeName(created.type)},
                                     {"channel", ChannelName(created.channel)},
                                     {"team_id", OptionalJson(created.team_id)},
                                     {"assignee_id", OptionalJson(created.assignee_id)},
                                     {"tags", created.tags},
                                     {"touchpoint", OptionalJson(created.touchpoint)},
                                     {"stage", OptionalJson(created.stage)},
                                     {"order_ids", created.order_ids},
                                     {"follow_up_of", OptionalJson(created.follow_up_of)}}
                                    .dump()));
  return created;
}

Result<Case> OpenCase(store::TenantTx& tx, const identity::Principal& opener, NewCase input,
                      const std::optional<profiles::NewCustomer>& new_customer, const identity::AuditContext& audit) {
  const bool team_scoped = identity::ScopedToOwnTeams(opener);
  if (new_customer) {
    TP_ASSIGN_OR_RETURN(const profiles::Customer created,
                        profiles::CreateCustomer(tx, *new_customer, audit,
                                                 team_scoped ? std::optional(opener.team_ids) : std::nullopt));
    input.customer_id = created.id;
  } else {
    TP_ASSIGN_OR_RETURN(const bool customer_exists, profiles::CustomerExists(tx, input.customer_id));
    if (!customer_exists) return Status(ErrorCode::kNotFound, "no such customer", "customer_id");
    if (team_scoped) {
      TP_ASSIGN_OR_RETURN(const bool visible, profiles::CustomerVisibleToTeams(tx, input.customer_id, opener.team_ids));
      if (!visible) return Status(ErrorCode::kNotFound, "no such customer", "customer_id");
    }
  }
  if (team_scoped && (!input.team_id || std::find(opener.team_ids.begin(), opener.team_ids.end(), *input.team_id) ==
                                            opener.team_ids.end())) {
    return Status(ErrorCode::kPermissionDenied, "agents open cases for one of their own teams", "team_id");
  }
  return CreateCase(tx, input, audit);
}

Status DeleteTeam(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view team_id) {
  TP_ASSIGN_OR_RETURN(auto owned, ListCases(tx, {.team_id = std::string(team_id)}, PageRequest{.limit = 1}));
  if (!owned.items.empty()) return Conflict("the team still owns cases; move them to another team first");
  return identity::DeleteTeam(tx, audit, team_id);
}

Result<Case> GetCase(store::TenantTx& tx, std::string_view case_id) {
  if (!LooksLikeId(case_id, kCaseIdPrefix)) return NotFound("no such case");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(Sql({"SELECT ", kCaseColumns, kFromCaseWithId}), {std::string(case_id)}));
  if (!row) return NotFound("no such case");
  return CaseFromRow(*row);
}

Result<std::vector<Case>> GetCases(store::TenantTx& tx, const std::vector<std::string>& case_ids) {
  std::vector<Case> out;
  if (case_ids.empty()) return out;
  SqlParams params;
  const std::string sql =
      Sql({"SELECT ", kCaseColumns, " FROM cases WHERE tenant_id = $1 AND id IN (", params.BindList(case_ids), ")"});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::map<std::string, Case> found;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(Case item, CaseFromRow(row));
    found.emplace(item.id, std::move(item));
  }
  for (const std::string& case_id : case_ids) {
    if (const auto item = found.find(case_id); item != found.end()) out.push_back(item->second);
  }
  return out;
}

Result<Page<Case>> ListCases(store::TenantTx& tx, const CaseQuery& query, const PageRequest& page) {
  const std::optional<std::vector<std::string>> teams = TeamsOf(query);
  if (teams && teams->empty()) return Page<Case>{};

  SqlParams params;
  const std::string after_param = params.Bind(page.after_id);
  const std::string limit_param = params.Bind(std::int64_t{page.limit} + 1);
  std::string filters;
  if (query.status) filters += Sql({kAndStatusIs, params.Bind(std::string(CaseStatusName(*query.status)))});
  if (query.customer_id) filters += Sql({kAndCustomerIs, params.Bind(*query.customer_id)});
  if (!query.any_status.empty()) {
    std::vector<std::string> names;
    for (CaseStatus status : query.any_status) names.emplace_back(CaseStatusName(status));
    filters += Sql({" AND status IN (", params.BindList(names), ")"});
  }
  if (query.assignee_id) {
    filters += *query.assignee_id ? Sql({" AND assignee_id = ", params.Bind(**query.assignee_id)})
                                  : std::string(" AND assignee_id IS NULL");
  }
  auto branch = [&](const std::string& team_filter) {
    return Sql({"SELECT ", kCaseColumns, kFromCasesAfter, after_param, filters, team_filter, kOrderByIdLimit, limit_param});
  };

  std::string sql;
  if (!teams) {
    sql = branch("");
  } else if (teams->size() == 1) {
    sql = branch(Sql({kAndTeamIs, params.Bind(teams->front())}));
  } else {
    for (size_t team_idx = 0; team_idx < teams->size(); ++team_idx) {
      if (team_idx > 0) sql += kUnionAll;
      sql += Sql({"SELECT ", kCaseColumns, kFromBranch, branch(Sql({kAndTeamIs, params.Bind((*teams)[team_idx])})), kAsTeamBranch,
                  std::to_string(team_idx)});
    }
    sql += Sql({kOrderByIdLimit, limit_param});
  }
  return QueryCases(tx, sql, params, page.limit);
}

Result<Case> UpdateCase(store::TenantTx& tx, std::string_view case_id, const CasePatch& patch,
                        const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(Case updated, GetCase(tx, case_id));
  const Micros now = NowMicros();
  json before = json::object();
  json after = json::object();
  if (patch.status && *patch.status != updated.status) {
    if (!IsAllowedTransition(updated.status, *patch.status)) {
      return FailedPrecondition("a " + std::string(CaseStatusName(updated.status)) + " case cannot become " +
                                    std::string(CaseStatusName(*patch.status)),
                                "status");
    }
    before["status"] = CaseStatusName(updated.status);
    after["status"] = CaseStatusName(*patch.status);
    updated.status = *patch.status;
    if (updated.status == CaseStatus::kSolved) {
      updated.solved_at = now;
    } else if (updated.status != CaseStatus::kClosed) {
      updated.solved_at.reset();
    }
  }
  if (patch.priority && *patch.priority != updated.priority) {
    before["priority"] = CasePriorityName(updated.priority);
    after["priority"] = CasePriorityName(*patch.priority);
    updated.priority = *patch.priority;
  }
  if (patch.type && *patch.type != updated.type) {
    before["type"] = CaseTypeName(updated.type);
    after["type"] = CaseTypeName(*patch.type);
    updated.type = *patch.type;
  }
  for (const auto& [field, patched, current] :
       {std::tuple{"touchpoint", &patch.touchpoint, &updated.touchpoint},
        std::tuple{"stage", &patch.stage, &updated.stage}}) {
    if (!*patched) continue;
    TP_ASSIGN_OR_RETURN(std::optional<std::string> label, CleanLabel(**patched, field));
    if (label == *current) continue;
    before[field] = OptionalJson(*current);
    after[field] = OptionalJson(label);
    *current = std::move(label);
  }
  if (patch.order_ids) {
    TP_ASSIGN_OR_RETURN(std::vector<std::string> order_ids, CleanOrderIds(*patch.order_ids));
    if (order_ids != updated.order_ids) {
      before["order_ids"] = updated.order_ids;
      after["order_ids"] = order_ids;
      updated.order_ids = std::move(order_ids);
    }
  }
  if (patch.team_id && *patch.team_id != updated.team_id) {
    TP_RETURN_IF_ERROR(CheckTeam(tx, *patch.team_id));
    before["team_id"] = OptionalJson(updated.team_id);
    after["team_id"] = OptionalJson(*patch.team_id);
    updated.team_id = *patch.team_id;
  }
  if (patch.assignee_id && *patch.assignee_id != updated.assignee_id) {
    TP_RETURN_IF_ERROR(CheckAssignee(tx, *patch.assignee_id));
    before["assignee_id"] = OptionalJson(updated.assignee_id);
    after["assignee_id"] = OptionalJson(*patch.assignee_id);
    updated.assignee_id = *patch.assignee_id;
  }
  TP_ASSIGN_OR_RETURN(std::vector<std::string> tags,
                      patch.tags ? NormalizeTags(*patch.tags, "tags") : Result<std::vector<std::string>>(updated.tags));
  TP_ASSIGN_OR_RETURN(const std::vector<std::string> added, NormalizeTags(patch.add_tags, "add_tags"));
  TP_ASSIGN_OR_RETURN(const std::vector<std::string> removed, NormalizeTags(patch.remove_tags, "remove_tags"));
  tags.insert(tags.end(), added.begin(), added.end());
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  std::erase_if(tags, [&](const std::string& tag) { return std::binary_search(removed.begin(), removed.end(), tag); });
  if (tags != updated.tags) {
    TP_RETURN_IF_ERROR(CheckTagCount(tags));
    before["tags"] = updated.tags;
    after["tags"] = tags;
    updated.tags = std::move(tags);
  }
  if (patch.custom_fields_json) {
    TP_ASSIGN_OR_RETURN(std::string values, MergeCustomFields(tx, updated.custom_fields_json, *patch.custom_fields_json));
    const json old_values = json::parse(updated.custom_fields_json, nullptr, false);
    const json new_values = json::parse(values);
    const json patched = json::parse(*patch.custom_fields_json);  // MergeCustomFields checked it is an object
    json changed_before = json::object();
    json changed_after = json::object();
    for (const auto& [key, value] : patched.items()) {
      const json old_value = old_values.is_object() ? old_values.value(key, json(nullptr)) : json(nullptr);
      const json new_value = new_values.value(key, json(nullptr));
      if (old_value == new_value) continue;
      changed_before[key] = old_value;
      changed_after[key] = new_value;
    }
    if (!changed_after.empty()) {
      before["custom_fields"] = std::move(changed_before);
      after["custom_fields"] = std::move(changed_after);
      updated.custom_fields_json = std::move(values);
    }
  }
  if (after.empty()) return updated;

  updated.updated_at = now;
  TP_RETURN_IF_ERROR(tx.Execute(
      kUpdateCase, {updated.id, std::string(CaseStatusName(updated.status)),
                    std::string(CasePriorityName(updated.priority)), store::Nullable(updated.team_id),
                    store::Nullable(updated.assignee_id), json(updated.tags).dump(), std::string(CaseTypeName(updated.type)),
                    store::Nullable(updated.touchpoint), store::Nullable(updated.stage), json(updated.order_ids).dump(),
                    store::Nullable(updated.solved_at), updated.custom_fields_json, updated.updated_at}));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "case.update", "case", updated.id, before.dump(), after.dump()));
  TP_RETURN_IF_ERROR(RecordCaseChange(tx, updated, audit, "case.update", before.dump(), after.dump(), now));
  // The case's own fields are not personal data: the record carries them before and after. Custom field
  // values can be (a serial number, a free-text note), so the record names only the keys that changed.
  if (after.contains("custom_fields")) {
    json keys = json::array();
    for (const auto& [key, value] : after["custom_fields"].items()) keys.push_back(key);
    before["custom_fields"] = keys;
    after["custom_fields"] = std::move(keys);
  }
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCaseUpdated, updated.id,
                                json{{"case_id", updated.id},
                                     {"customer_id", updated.customer_id},
                                     {"before", std::move(before)},
                                     {"after", std::move(after)}}
                                    .dump()));
  return updated;
}

Result<std::vector<Case>> UpdateCases(store::TenantTx& tx, const std::vector<std::string>& case_ids,
                                      const CasePatch& patch, const std::optional<std::vector<std::string>>& only_teams,
                                      const identity::AuditContext& audit) {
  if (case_ids.empty() || case_ids.size() > kMaxBulkCases) {
    return InvalidArgument("give 1 to " + std::to_string(kMaxBulkCases) + " case ids", "case_ids");
  }
  std::vector<std::string> sorted = case_ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return InvalidArgument("a case id is repeated", "case_ids");
  }
  std::vector<Case> updated;
  updated.reserve(case_ids.size());
  for (std::size_t i = 0; i < case_ids.size(); ++i) {
    const std::string field = "case_ids[" + std::to_string(i) + "]";
    Result<Case> item = GetCase(tx, case_ids[i]);
    if (!item.ok() || !CaseInTeams(*item, only_teams)) return Status(ErrorCode::kNotFound, "no such case", field);
    Result<Case> changed = UpdateCase(tx, item->id, patch, audit);
    if (!changed.ok()) {
      return Status(changed.status().code(), field + ": " + changed.status().message(), changed.status().field());
    }
    updated.push_back(std::move(*changed));
  }
  return updated;
}

}  // namespace tp::cases
