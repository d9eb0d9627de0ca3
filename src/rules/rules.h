// Rules: "when <trigger> and <condition>, do <actions>". A rule names the change kind it listens to
// (kTriggers), a condition in the expression language (expression.h, docs/rules.md) and an ordered list
// of actions (ParseActions). Rules of one trigger run in `position` order; a disabled rule is kept but
// never runs. Managers write rules (Permission::kRulesWrite); every change is audited.
//
//   TP_ASSIGN_OR_RETURN(Rule rule, CreateRule(tx, audit, {.name = "Detractor follow-up",
//       .trigger = "feedback.submitted", .condition = "metric == \"nps\" and score <= 6",
//       .actions = json::parse(R"([{"type":"create_case","team_id":"tea_…","subject":"Detractor"}])")}, now));
//   TP_ASSIGN_OR_RETURN(DryRun result, DryRunRule(rule.trigger, rule.condition, rule.actions, sample_payload));
//
// The engine that runs them on the change feed is engine.h. Every function works inside the
// transaction's tenant only.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::rules {

inline constexpr std::size_t kMaxRuleNameChars = 200;
inline constexpr std::size_t kMaxActions = 10;
inline constexpr std::size_t kMaxRulesPerTenant = 500;

// The change kinds a rule may listen to (changes/kinds.h), and what its condition sees (docs/rules.md).
inline constexpr std::string_view kTriggers[] = {"feedback.submitted", "case.created", "case.updated",
                                                 "sla.breached", "sla.near_breach", "events.ingested"};
bool IsTrigger(std::string_view kind);
// The triggers whose subject is a case: case.created, case.updated, sla.breached, sla.near_breach.
bool IsCaseTrigger(std::string_view trigger);

// The action types (docs/rules.md lists their fields).
inline constexpr std::string_view kActionTypes[] = {"create_case", "set_priority", "assign",     "tag",
                                                    "set_trait",   "send_webhook", "send_email", "send_survey"};
// send_survey's delay_hours: at most a year and a day.
inline constexpr std::int64_t kMaxSurveyDelayHours = 366 * 24;

// Checks an actions document for `trigger`: a JSON array of 1..kMaxActions objects, each with a known
// "type" and that type's fields. kInvalidArgument naming the field ("actions[1].priority"); set_priority,
// assign and tag need a case, so only case triggers may use them. Returns the array as given.
Result<nlohmann::json> ParseActions(std::string_view trigger, const nlohmann::json& actions);

struct Rule {
  std::string id;  // "rul_…"
  std::string name;
  std::string trigger;
  std::string condition;
  nlohmann::json actions = nlohmann::json::array();
  int position = 0;  // rules of a trigger run in ascending position, then id
  bool enabled = true;
  std::string created_by;
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct RuleSpec {
  std::string name;
  std::string trigger;
  std::string condition;
  nlohmann::json actions = nlohmann::json::array();
  bool enabled = true;
  std::optional<int> position;  // after the tenant's last rule when absent
};

// Fields left empty stay as they are.
struct RulePatch {
  std::optional<std::string> name;
  std::optional<std::string> condition;
  std::optional<nlohmann::json> actions;
  std::optional<bool> enabled;
  std::optional<int> position;
};

// kInvalidArgument naming the field: "name" (empty or too long), "trigger" (not in kTriggers),
// "condition" (does not parse: the message names the position), "actions[…]" (ParseActions),
// "position" (negative); kFailedPrecondition when the tenant has kMaxRulesPerTenant rules.
// Records "rule.create".
Result<Rule> CreateRule(store::TenantTx& tx, const identity::AuditContext& audit, const RuleSpec& spec, Micros now);
// kNotFound when the tenant has no such rule.
Result<Rule> GetRule(store::TenantTx& tx, std::string_view rule_id);
// Every rule of the tenant (at most kMaxRulesPerTenant), by trigger, then position, then id; only one
// trigger's when `trigger` is set.
Result<std::vector<Rule>> ListRules(store::TenantTx& tx, const std::optional<std::string>& trigger = std::nullopt);
// Validates as CreateRule (the actions against the rule's trigger). A patch that changes nothing
// records nothing; otherwise records "rule.update" with the rule before and after.
Result<Rule> UpdateRule(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view rule_id,
                        const RulePatch& patch, Micros now);
// Its executions stay in the log. Records "rule.delete".
Status DeleteRule(store::TenantTx& tx, const identity::AuditContext& audit, std::string_view rule_id);

// What a rule would do with a payload, without doing it.
struct DryRun {
  bool matched = false;
  nlohmann::json actions = nlohmann::json::array();  // the actions that would run (empty unless matched)
};
// Pure: validates as CreateRule, evaluates `condition` over `payload` (the context the engine builds,
// docs/rules.md).
Result<DryRun> DryRunRule(std::string_view trigger, std::string_view condition, const nlohmann::json& actions,
                          const nlohmann::json& payload);

// One rule meeting one change: logged when the rule matched (non-matches are not logged: they are
// the common case and would dwarf everything else).
enum class ExecutionOutcome {
  kQueued,       // actions scheduled as jobs, none failed yet
  kSucceeded,    // every action done
  kRetrying,     // an action failed and will be tried again; `error` says why
  kFailed,       // an action gave up; `error` says why
  kLoopStopped,  // matched a change its own action caused (or a chain too deep): nothing ran
};
std::string_view ExecutionOutcomeName(ExecutionOutcome outcome);

struct Execution {
  std::string id;  // "rex_…"
  std::string rule_id;
  std::int64_t change_sequence = 0;
  std::string change_kind;
  std::string subject_id;
  int item = 0;  // which event of an events.ingested change
  ExecutionOutcome outcome = ExecutionOutcome::kQueued;
  // The actions as they were when the rule matched, each with "state" (queued, done, retrying,
  // failed), "job_id", and "result" (e.g. {"case_id"}) or "error".
  nlohmann::json actions = nlohmann::json::array();
  // The rules whose actions led to this execution, this one last.
  std::vector<std::string> cause_chain;
  std::optional<std::string> error;
  Micros created_at = 0;
  Micros updated_at = 0;
};

// In creation order; only one rule's when `rule_id` is set.
Result<Page<Execution>> ListExecutions(store::TenantTx& tx, const std::optional<std::string>& rule_id,
                                       const PageRequest& page);
// kNotFound when the tenant has no such execution.
Result<Execution> GetExecution(store::TenantTx& tx, std::string_view execution_id);

}  // namespace tp::rules
