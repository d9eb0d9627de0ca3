#include "rules/rules.h"

#include <algorithm>
#include <set>
#include <utility>

#include "cases/cases.h"
#include "common/ids.h"
#include "profiles/customers.h"
#include "rules/expression.h"

namespace tp::rules {

using nlohmann::json;

namespace {

constexpr std::string_view kRuleColumns =
    "id, name, trigger_kind, condition, actions, position, enabled, created_by, created_at, updated_at";
constexpr std::string_view kExecutionColumns =
    "id, rule_id, change_sequence, change_kind, subject_id, item, outcome, actions, cause_chain, error, created_at, "
    "updated_at";
constexpr std::size_t kMaxTemplateChars = 2000;
constexpr std::size_t kMaxTraitNameChars = 100;
constexpr std::size_t kMaxRecipients = 10;
constexpr std::size_t kMaxTouchpoints = 100;


// Reads one action object, refusing fields its type does not know.
class ActionReader {
 public:
  ActionReader(const json& action, std::string field) : action_(action), field_(std::move(field)) {}

  Status String(std::string_view name, std::size_t max_chars, bool required) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end() || found->is_null()) {
      return required ? InvalidArgument("is required", Field(name)) : Status::Ok();
    }
    if (!found->is_string()) return InvalidArgument("must be a string", Field(name));
    const auto& text = found->get_ref<const std::string&>();
    if (text.empty() || text.size() > max_chars) {
      return InvalidArgument("must be 1 to " + std::to_string(max_chars) + " characters", Field(name));
    }
    return Status::Ok();
  }
  Status Id(std::string_view name, std::string_view prefix, bool required, bool nullable = false) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end() || (found->is_null() && !nullable)) {
      return required ? InvalidArgument("is required", Field(name)) : Status::Ok();
    }
    if (found->is_null()) return Status::Ok();
    if (!found->is_string() || !LooksLikeId(found->get_ref<const std::string&>(), prefix)) {
      return InvalidArgument("must be an id starting with " + std::string(prefix), Field(name));
    }
    return Status::Ok();
  }
  Status Priority(bool required) {
    TP_RETURN_IF_ERROR(String("priority", 10, required));
    const auto found = action_.find("priority");
    if (found == action_.end() || found->is_null()) return Status::Ok();
    for (std::string_view name : {"low", "normal", "high", "urgent"}) {
      if (*found == name) return Status::Ok();
    }
    return InvalidArgument("must be low, normal, high or urgent", Field("priority"));
  }
  Status Scalar(std::string_view name) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end()) return InvalidArgument("is required", Field(name));
    if (found->is_object() || found->is_array()) return InvalidArgument("must be a string, number, true, false or null", Field(name));
    if (found->is_string() && found->get_ref<const std::string&>().size() > kMaxTemplateChars) {
      return InvalidArgument("must be at most " + std::to_string(kMaxTemplateChars) + " characters", Field(name));
    }
    return Status::Ok();
  }
  Status Recipients(std::string_view name) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end() || !found->is_array() || found->empty() || found->size() > kMaxRecipients) {
      return InvalidArgument("must be a list of 1 to " + std::to_string(kMaxRecipients) + " e-mail addresses", Field(name));
    }
    for (const json& address : *found) {
      if (!address.is_string() || !profiles::NormaliseEmail(address.get_ref<const std::string&>()).ok()) {
        return InvalidArgument("must be a list of e-mail addresses", Field(name));
      }
    }
    return Status::Ok();
  }
  // An object naming a team per touchpoint: {"delivery": "team_…", ...}.
  Status TeamsByTouchpoint(std::string_view name) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end() || found->is_null()) return Status::Ok();
    if (!found->is_object() || found->empty() || found->size() > kMaxTouchpoints) {
      return InvalidArgument("must be an object of 1 to " + std::to_string(kMaxTouchpoints) + " touchpoints and team ids",
                             Field(name));
    }
    for (const auto& [touchpoint, team_id] : found->items()) {
      if (!team_id.is_string() || !LooksLikeId(team_id.get_ref<const std::string&>(), "team_")) {
        return InvalidArgument("must be an id starting with team_", Field(name) + "." + touchpoint);
      }
    }
    return Status::Ok();
  }
  // A list of tags (cases::NormalizeTag), at most cases::kMaxTags.
  Status Tags(std::string_view name) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end() || found->is_null()) return Status::Ok();
    if (!found->is_array() || found->size() > cases::kMaxTags) {
      return InvalidArgument("must be a list of at most " + std::to_string(cases::kMaxTags) + " tags", Field(name));
    }
    for (const json& tag : *found) {
      if (!tag.is_string()) return InvalidArgument("must be a list of tags", Field(name));
      TP_RETURN_IF_ERROR(cases::NormalizeTag(tag.get_ref<const std::string&>(), Field(name)).status());
    }
    return Status::Ok();
  }
  Status Integer(std::string_view name, std::int64_t min, std::int64_t max) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end() || found->is_null()) return Status::Ok();
    if (!found->is_number_integer() || found->get<std::int64_t>() < min || found->get<std::int64_t>() > max) {
      return InvalidArgument("must be a whole number from " + std::to_string(min) + " to " + std::to_string(max),
                             Field(name));
    }
    return Status::Ok();
  }
  Status Boolean(std::string_view name) {
    seen_.emplace(name);
    const auto found = action_.find(name);
    if (found == action_.end() || found->is_null() || found->is_boolean()) return Status::Ok();
    return InvalidArgument("must be true or false", Field(name));
  }
  // A survey id, or a template that gives one when the action runs ("{{case.follow_up_of.survey_id}}").
  Status SurveyId(std::string_view name) {
    TP_RETURN_IF_ERROR(String(name, kMaxTemplateChars, true));
    const std::string& value = action_.at(std::string(name)).get_ref<const std::string&>();
    if (LooksLikeId(value, "svy_") || value.find("{{") != std::string::npos) return Status::Ok();
    return InvalidArgument("must be a survey id (svy_…) or a template that gives one", Field(name));
  }
  bool Has(std::string_view name) const {
    const auto found = action_.find(name);
    return found != action_.end() && !found->is_null();
  }
  Status RejectUnknown() const {
    for (const auto& [name, value] : action_.items()) {
      if (!seen_.contains(name)) return InvalidArgument("is not a field of this action", Field(name));
    }
    return Status::Ok();
  }

 private:
  std::string Field(std::string_view name) const { return field_ + "." + std::string(name); }

  const json& action_;
  std::string field_;
  std::set<std::string, std::less<>> seen_{"type"};
};

Status CheckAction(std::string_view trigger, const json& action, const std::string& field) {
  if (!action.is_object()) return InvalidArgument("must be an object", field);
  const auto type = action.find("type");
  if (type == action.end() || !type->is_string() ||
      std::find(std::begin(kActionTypes), std::end(kActionTypes), type->get_ref<const std::string&>()) ==
          std::end(kActionTypes)) {
    return InvalidArgument(
        "must be create_case, set_priority, assign, tag, set_trait, send_webhook, send_email or send_survey",
        field + ".type");
  }
  const std::string& name = type->get_ref<const std::string&>();
  ActionReader reader(action, field);
  if (name == "create_case") {
    TP_RETURN_IF_ERROR(reader.String("subject", kMaxTemplateChars, true));
    TP_RETURN_IF_ERROR(reader.Id("team_id", "team_", false));
    TP_RETURN_IF_ERROR(reader.TeamsByTouchpoint("team_by_touchpoint"));
    TP_RETURN_IF_ERROR(reader.Priority(false));
    TP_RETURN_IF_ERROR(reader.Tags("tags"));
  } else if (name == "set_priority" || name == "assign" || name == "tag") {
    if (!IsCaseTrigger(trigger)) {
      return InvalidArgument(name + " acts on the triggering case, so only case.created, case.updated, "
                             "sla.breached and sla.near_breach rules may use it",
                             field + ".type");
    }
    if (name == "set_priority") {
      TP_RETURN_IF_ERROR(reader.Priority(true));
    } else if (name == "tag") {
      TP_RETURN_IF_ERROR(reader.Tags("add"));
      TP_RETURN_IF_ERROR(reader.Tags("remove"));
      auto count = [&](const char* list) { return reader.Has(list) ? action[list].size() : 0; };
      if (count("add") + count("remove") == 0) return InvalidArgument("needs tags to add or remove", field);
    } else {
      TP_RETURN_IF_ERROR(reader.Id("assignee_id", "usr_", false, true));
      TP_RETURN_IF_ERROR(reader.Id("team_id", "team_", false));
      if (!reader.Has("team_id") && action.find("assignee_id") == action.end()) {
        return InvalidArgument("needs assignee_id, team_id or both", field);
      }
    }
  } else if (name == "set_trait") {
    TP_RETURN_IF_ERROR(reader.String("name", kMaxTraitNameChars, true));
    TP_RETURN_IF_ERROR(reader.Scalar("value"));
  } else if (name == "send_webhook") {
    TP_RETURN_IF_ERROR(reader.Id("webhook_id", "whk_", true));
  } else if (name == "send_survey") {
    TP_RETURN_IF_ERROR(reader.SurveyId("survey_id"));
    TP_RETURN_IF_ERROR(reader.Integer("delay_hours", 0, kMaxSurveyDelayHours));
    TP_RETURN_IF_ERROR(reader.String("subject", kMaxTemplateChars, false));
    TP_RETURN_IF_ERROR(reader.String("text", 10 * kMaxTemplateChars, false));
    TP_RETURN_IF_ERROR(reader.Boolean("reminder"));
    TP_RETURN_IF_ERROR(reader.Boolean("respect_contact_gap"));
  } else {  // send_email
    TP_RETURN_IF_ERROR(reader.Recipients("to"));
    TP_RETURN_IF_ERROR(reader.String("subject", kMaxTemplateChars, true));
    TP_RETURN_IF_ERROR(reader.String("text", 10 * kMaxTemplateChars, true));
  }
  return reader.RejectUnknown();
}

Status CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxRuleNameChars) {
    return InvalidArgument("must be 1 to " + std::to_string(kMaxRuleNameChars) + " characters", "name");
  }
  return Status::Ok();
}

Status CheckTrigger(std::string_view trigger) {
  if (!IsTrigger(trigger)) {
    return InvalidArgument("must be feedback.submitted, case.created, case.updated or events.ingested", "trigger");
  }
  return Status::Ok();
}

Status CheckPosition(const std::optional<int>& position) {
  if (position && *position < 0) return InvalidArgument("must not be negative", "position");
  return Status::Ok();
}

json RuleSnapshot(const Rule& rule) {
  return {{"id", rule.id},           {"name", rule.name},       {"trigger", rule.trigger},
          {"condition", rule.condition}, {"actions", rule.actions}, {"position", rule.position},
          {"enabled", rule.enabled}};
}

Rule RuleFromRow(const store::Row& row) {
  return Rule{.id = row.Text(0),
              .name = row.Text(1),
              .trigger = row.Text(2),
              .condition = row.Text(3),
              .actions = json::parse(row.Text(4), nullptr, false),
              .position = static_cast<int>(row.Int(5)),
              .enabled = row.Int(6) != 0,
              .created_by = row.Text(7),
              .created_at = row.Int(8),
              .updated_at = row.Int(9)};
}

std::optional<ExecutionOutcome> ParseOutcome(std::string_view name) {
  for (auto outcome : {ExecutionOutcome::kQueued, ExecutionOutcome::kSucceeded, ExecutionOutcome::kRetrying,
                       ExecutionOutcome::kFailed, ExecutionOutcome::kLoopStopped}) {
    if (ExecutionOutcomeName(outcome) == name) return outcome;
  }
  return std::nullopt;
}

Execution ExecutionFromRow(const store::Row& row) {
  Execution execution{.id = row.Text(0),
                      .rule_id = row.Text(1),
                      .change_sequence = row.Int(2),
                      .change_kind = row.Text(3),
                      .subject_id = row.Text(4),
                      .item = static_cast<int>(row.Int(5)),
                      .outcome = ParseOutcome(row.Text(6)).value_or(ExecutionOutcome::kFailed),
                      .actions = json::parse(row.Text(7), nullptr, false),
                      .cause_chain = {},
                      .error = row.OptionalText(9),
                      .created_at = row.Int(10),
                      .updated_at = row.Int(11)};
  const json chain = json::parse(row.Text(8), nullptr, false);
  if (chain.is_array()) {
    for (const json& rule_id : chain) {
      if (rule_id.is_string()) execution.cause_chain.push_back(rule_id.get<std::string>());
    }
  }
  return execution;
}

}  // namespace

bool IsCaseTrigger(std::string_view trigger) {
  return trigger == "case.created" || trigger == "case.updated" || trigger == "sla.breached" ||
         trigger == "sla.near_breach";
}

bool IsTrigger(std::string_view kind) {
  return std::find(std::begin(kTriggers), std::end(kTriggers), kind) != std::end(kTriggers);
}

std::string_view ExecutionOutcomeName(ExecutionOutcome outcome) {
  switch (outcome) {
    case ExecutionOutcome::kQueued: return "queued";
    case ExecutionOutcome::kSucceeded: return "succeeded";
    case ExecutionOutcome::kRetrying: return "retrying";
    case ExecutionOutcome::kFailed: return "failed";
    case ExecutionOutcome::kLoopStopped: return "loop_stopped";
  }
  return "failed";
}

Result<json> ParseActions(std::string_view trigger, const json& actions) {
  if (!actions.is_array() || actions.empty() || actions.size() > kMaxActions) {
    return InvalidArgument("must be a list of 1 to " + std::to_string(kMaxActions) + " actions", "actions");
  }
  for (std::size_t action_idx = 0; action_idx < actions.size(); ++action_idx) {
    TP_RETURN_IF_ERROR(CheckAction(trigger, actions[action_idx], "actions[" + std::to_string(action_idx) + "]"));
  }
  return actions;
}

Result<Rule> CreateRule(store::TenantTx& tx, const identity::AuditContext& audit, const RuleSpec& spec, Micros now) {
  TP_RETURN_IF_ERROR(CheckName(spec.name));
  TP_RETURN_IF_ERROR(CheckTrigger(spec.trigger));
  TP_RETURN_IF_ERROR(Expression::Parse(spec.condition).status());
  TP_ASSIGN_OR_RETURN(json actions, ParseActions(spec.trigger, spec.actions));
  TP_RETURN_IF_ERROR(CheckPosition(spec.position));
  TP_ASSIGN_OR_RETURN(auto counts, tx.QueryOne("SELECT COUNT(*), COALESCE(MAX(position), -1) FROM rules WHERE tenant_id = $1"));
  if (counts && counts->Int(0) >= static_cast<std::int64_t>(kMaxRulesPerTenant)) {
    return FailedPrecondition("a tenant has at most " + std::to_string(kMaxRulesPerTenant) + " rules");
  }
  Rule rule{.id = NewId("rul_"),
            .name = spec.name,
            .trigger = spec.trigger,
            .condition = spec.condition,
            .actions = std::move(actions),
            .position = spec.position.value_or(counts ? static_cast<int>(counts->Int(1)) + 1 : 0),
            .enabled = spec.enabled,
            .created_by = audit.actor_id,
            .created_at = now,
            .updated_at = now};
  TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO rules (tenant_id, " + std::string(kRuleColumns) +
                                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                                {rule.id, rule.name, rule.trigger, rule.condition, rule.actions.dump(),
                                 std::int64_t{rule.position}, std::int64_t{rule.enabled ? 1 : 0}, rule.created_by,
                                 rule.created_at, rule.updated_at}));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "rule.create", "rule", rule.id, std::nullopt,
                                           RuleSnapshot(rule).dump()));
  return rule;
}

Result<Rule> GetRule(store::TenantTx& tx, std::string_view rule_id) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kRuleColumns) +
                                                " FROM rules WHERE tenant_id = $1 AND id = $2",
                                            {std::string(rule_id)}));
  if (!row) return NotFound("no rule " + std::string(rule_id));
  return RuleFromRow(*row);
}

Result<std::vector<Rule>> ListRules(store::TenantTx& tx, const std::optional<std::string>& trigger) {
  const std::string order = " ORDER BY trigger_kind, position, id";
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      trigger ? tx.Query("SELECT " + std::string(kRuleColumns) +
                                             " FROM rules WHERE tenant_id = $1 AND trigger_kind = $2" + order,
                                         {*trigger})
                              : tx.Query("SELECT " + std::string(kRuleColumns) + " FROM rules WHERE tenant_id = $1" +
                                         order));
  std::vector<Rule> rules;
  rules.reserve(rows.size());
  for (const store::Row& row : rows) rules.push_back(RuleFromRow(row));
  return rules;
}

Result<Rule> UpdateRule(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view rule_id,
                        const RulePatch& patch, Micros now) {
  TP_ASSIGN_OR_RETURN(Rule rule, GetRule(tx, rule_id));
  const Rule before = rule;
  if (patch.name) {
    TP_RETURN_IF_ERROR(CheckName(*patch.name));
    rule.name = *patch.name;
  }
  if (patch.condition) {
    TP_RETURN_IF_ERROR(Expression::Parse(*patch.condition).status());
    rule.condition = *patch.condition;
  }
  if (patch.actions) {
    TP_ASSIGN_OR_RETURN(rule.actions, ParseActions(rule.trigger, *patch.actions));
  }
  TP_RETURN_IF_ERROR(CheckPosition(patch.position));
  if (patch.position) rule.position = *patch.position;
  if (patch.enabled) rule.enabled = *patch.enabled;
  if (RuleSnapshot(rule) == RuleSnapshot(before)) return rule;
  rule.updated_at = now;
  TP_RETURN_IF_ERROR(tx.Execute("UPDATE rules SET name = $3, condition = $4, actions = $5, position = $6, "
                                "enabled = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2",
                                {rule.id, rule.name, rule.condition, rule.actions.dump(), std::int64_t{rule.position},
                                 std::int64_t{rule.enabled ? 1 : 0}, rule.updated_at}));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "rule.update", "rule", rule.id, RuleSnapshot(before).dump(),
                                           RuleSnapshot(rule).dump()));
  return rule;
}

Status DeleteRule(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view rule_id) {
  TP_ASSIGN_OR_RETURN(Rule rule, GetRule(tx, rule_id));
  TP_RETURN_IF_ERROR(tx.Execute("DELETE FROM rules WHERE tenant_id = $1 AND id = $2", {rule.id}));
  return identity::RecordAudit(tx, audit, "rule.delete", "rule", rule.id, RuleSnapshot(rule).dump());
}

Result<DryRun> DryRunRule(std::string_view trigger, std::string_view condition, const json& actions,
                          const json& payload) {
  TP_RETURN_IF_ERROR(CheckTrigger(trigger));
  TP_ASSIGN_OR_RETURN(Expression expression, Expression::Parse(condition));
  TP_ASSIGN_OR_RETURN(json checked, ParseActions(trigger, actions));
  DryRun result;
  result.matched = expression.Matches(payload);
  if (result.matched) result.actions = std::move(checked);
  return result;
}

Result<Page<Execution>> ListExecutions(store::TenantTx& tx, const std::optional<std::string>& rule_id,
                                       const PageRequest& page) {
  const std::string select = "SELECT " + std::string(kExecutionColumns) + " FROM rule_executions WHERE tenant_id = $1";
  const auto limit = static_cast<std::int64_t>(page.limit + 1);
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      rule_id ? tx.Query(select + " AND rule_id = $2 AND id > $3 ORDER BY id LIMIT $4",
                                         {*rule_id, page.after_id, limit})
                              : tx.Query(select + " AND id > $2 ORDER BY id LIMIT $3", {page.after_id, limit}));
  std::vector<Execution> executions;
  for (const store::Row& row : rows) executions.push_back(ExecutionFromRow(row));
  return MakePage(std::move(executions), page.limit, [](const Execution& execution) { return execution.id; });
}

Result<Execution> GetExecution(store::TenantTx& tx, std::string_view execution_id) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kExecutionColumns) +
                                                " FROM rule_executions WHERE tenant_id = $1 AND id = $2",
                                            {std::string(execution_id)}));
  if (!row) return NotFound("no rule execution " + std::string(execution_id));
  return ExecutionFromRow(*row);
}

}  // namespace tp::rules
