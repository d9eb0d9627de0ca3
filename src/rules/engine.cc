#include "rules/engine.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "cases/cases.h"
#include "changes/kinds.h"
#include "common/ids.h"
#include "common/templates.h"
#include "events/events.h"
#include "feedback/feedback.h"
#include "identity/audit.h"
#include "outbound/deliveries.h"
#include "outbound/webhooks.h"
#include "profiles/customers.h"
#include "rules/expression.h"
#include "rules/rules.h"
#include "surveys/invitations.h"

namespace tp::rules {

using nlohmann::json;

namespace {

json Optional(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

// A record read for a context: std::nullopt when it is gone (erased, deleted) by the time it is read.
template <typename T>
Result<std::optional<T>> FoundOrGone(Result<T> record) {
  if (record.ok()) return std::optional<T>(std::move(record).value());
  if (record.status().code() == ErrorCode::kNotFound) return std::optional<T>();
  return record.status();
}

// A subject line made from templates: line breaks would end the header.
std::string OneLine(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

// The customer as conditions see them: traits, with segment and language lifted to the top because
// every CX team asks for them.
Result<json> CustomerContext(store::TenantTx& tx, const std::optional<std::string>& customer_id) {
  if (!customer_id) return json(nullptr);
  TP_ASSIGN_OR_RETURN(const std::optional<profiles::Customer> customer,
                      FoundOrGone(profiles::GetCustomer(tx, *customer_id)));
  if (!customer) return json(nullptr);
  json traits = json::parse(customer->traits_json, nullptr, false);
  if (!traits.is_object()) traits = json::object();
  return json{{"id", customer->id},
              {"name", customer->name},
              {"email", Optional(customer->email)},
              {"traits", traits},
              {"segment", traits.value("segment", json(nullptr))},
              {"language", traits.value("language", json(nullptr))}};
}

std::optional<std::string> StringField(const json& object, std::string_view name) {
  if (!object.is_object()) return std::nullopt;
  const auto found = object.find(name);
  if (found == object.end() || !found->is_string()) return std::nullopt;
  return found->get<std::string>();
}

// What a feedback response's survey response adds to its context (null fields for feedback that came
// without a survey: the API, an import).
Result<json> SurveyResponseFields(store::TenantTx& tx, const std::optional<std::string>& survey_response_id) {
  json fields{{"survey_response_id", nullptr}, {"survey_id", nullptr}, {"stage", nullptr},
              {"channel", nullptr},            {"language", nullptr},  {"case_id", nullptr},
              {"agent_id", nullptr},           {"team_id", nullptr},   {"order_id", nullptr},
              {"answers", nullptr}};
  if (!survey_response_id) return fields;
  TP_ASSIGN_OR_RETURN(const std::optional<surveys::SurveyResponse> response,
                      FoundOrGone(surveys::GetResponse(tx, *survey_response_id)));
  if (!response) return fields;
  fields["survey_response_id"] = response->id;
  fields["survey_id"] = response->survey_id;
  fields["stage"] = response->stage;
  fields["channel"] = ChannelName(response->channel);
  fields["language"] = response->language;
  fields["case_id"] = Optional(response->case_id);
  fields["agent_id"] = Optional(response->agent_id);
  fields["team_id"] = Optional(response->team_id);
  fields["order_id"] = Optional(response->order_id);
  fields["answers"] = response->data;
  return fields;
}

// The feedback a follow-up case is about: {feedback_id, survey_id, metric, score, touchpoint}, or null.
Result<json> FollowUpContext(store::TenantTx& tx, const std::optional<std::string>& feedback_id) {
  if (!feedback_id) return json(nullptr);
  TP_ASSIGN_OR_RETURN(const std::optional<feedback::FeedbackResponse> response,
                      FoundOrGone(feedback::GetFeedback(tx, *feedback_id)));
  if (!response) return json(nullptr);
  TP_ASSIGN_OR_RETURN(json survey_fields, SurveyResponseFields(tx, response->survey_response_id));
  return json{{"feedback_id", response->id},
              {"survey", response->survey},
              {"survey_id", survey_fields["survey_id"]},
              {"metric", feedback::MetricName(response->metric)},
              {"score", response->score},
              {"touchpoint", response->touchpoint}};
}

// An event's properties ({} when it is gone, or for identify and group calls, whose properties are traits).
Result<json> EventProperties(store::TenantTx& tx, const std::optional<std::string>& event_id) {
  if (!event_id) return json::object();
  TP_ASSIGN_OR_RETURN(const std::optional<events::Event> event, FoundOrGone(events::GetEvent(tx, *event_id)));
  if (!event) return json::object();
  if (event->type == events::EventType::kIdentify || event->type == events::EventType::kGroup) return json::object();
  json properties = json::parse(event->properties_json, nullptr, false);
  return properties.is_object() ? properties : json::object();
}

// The rules to evaluate for one tenant and trigger, conditions parsed once per batch.
struct CompiledRule {
  Rule rule;
  Expression condition;
};

Result<std::vector<CompiledRule>> EnabledRules(store::TenantTx& tx, const std::string& trigger) {
  TP_ASSIGN_OR_RETURN(std::vector<Rule> rules, ListRules(tx, trigger));
  std::vector<CompiledRule> compiled;
  for (Rule& rule : rules) {
    if (!rule.enabled) continue;
    // Stored conditions were parsed when saved; one that no longer parses (a future grammar change)
    // is skipped rather than stopping the feed.
    Result<Expression> condition = Expression::Parse(rule.condition);
    if (!condition.ok()) continue;
    compiled.push_back(CompiledRule{std::move(rule), std::move(condition).value()});
  }
  return compiled;
}

std::vector<std::string> CauseChainOf(const json& data) {
  std::vector<std::string> chain;
  if (!data.is_object()) return chain;
  const auto cause = data.find("caused_by");
  if (cause == data.end() || !cause->is_object()) return chain;
  const auto rules = cause->find("rules");
  if (rules == cause->end() || !rules->is_array()) return chain;
  for (const json& rule_id : *rules) {
    if (rule_id.is_string()) chain.push_back(rule_id.get<std::string>());
  }
  return chain;
}

Status InsertExecution(store::TenantTx& tx, const Execution& execution) {
  return tx
      .Execute("INSERT INTO rule_executions (tenant_id, id, rule_id, change_sequence, change_kind, subject_id, item, "
               "outcome, actions, cause_chain, error, created_at, updated_at) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
               {execution.id, execution.rule_id, execution.change_sequence, execution.change_kind,
                execution.subject_id, std::int64_t{execution.item},
                std::string(ExecutionOutcomeName(execution.outcome)), execution.actions.dump(),
                json(execution.cause_chain).dump(), store::Nullable(execution.error), execution.created_at,
                execution.updated_at})
      .status();
}

Status SaveExecution(store::TenantTx& tx, const Execution& execution) {
  return tx
      .Execute("UPDATE rule_executions SET outcome = $3, actions = $4, error = $5, updated_at = $6 "
               "WHERE tenant_id = $1 AND id = $2",
               {execution.id, std::string(ExecutionOutcomeName(execution.outcome)), execution.actions.dump(),
                store::Nullable(execution.error), execution.updated_at})
      .status();
}

Status EvaluateChange(store::TenantTx& tx, const store::Change& change, const std::vector<CompiledRule>& rules,
                      Micros now) {
  const json data = json::parse(change.data, nullptr, false);
  const std::vector<std::string> cause_chain = CauseChainOf(data);
  TP_ASSIGN_OR_RETURN(std::vector<json> contexts, BuildContexts(tx, change));
  for (std::size_t item = 0; item < contexts.size(); ++item) {
    for (const CompiledRule& compiled : rules) {
      if (!compiled.condition.Matches(contexts[item])) continue;
      Execution execution{.id = NewId("rex_"),
                          .rule_id = compiled.rule.id,
                          .change_sequence = change.sequence,
                          .change_kind = change.kind,
                          .subject_id = change.subject_id,
                          .item = static_cast<int>(item),
                          .outcome = ExecutionOutcome::kQueued,
                          .actions = json::array(),
                          .cause_chain = cause_chain,
                          .error = std::nullopt,
                          .created_at = now,
                          .updated_at = now};
      execution.cause_chain.push_back(compiled.rule.id);
      const bool own_cause = std::find(cause_chain.begin(), cause_chain.end(), compiled.rule.id) != cause_chain.end();
      if (own_cause || cause_chain.size() >= kMaxCauseChain) {
        execution.outcome = ExecutionOutcome::kLoopStopped;
        execution.error = own_cause ? "the change was caused by this rule's own action (chain " +
                                          json(cause_chain).dump() + "): not run again"
                                    : "the change is at the end of a chain of " + std::to_string(cause_chain.size()) +
                                          " rules " + json(cause_chain).dump() + ": not run";
        TP_RETURN_IF_ERROR(InsertExecution(tx, execution));
        continue;
      }
      for (std::size_t action_idx = 0; action_idx < compiled.rule.actions.size(); ++action_idx) {
        TP_ASSIGN_OR_RETURN(
            std::optional<std::string> job_id,
            jobs::Schedule(tx,
                           {.kind = std::string(kActionJob),
                            .payload = json{{"execution_id", execution.id}, {"action_index", action_idx}}.dump(),
                            .unique_key = execution.id + ":" + std::to_string(action_idx),
                            .run_at = 0,
                            .max_attempts = kActionMaxAttempts},
                           now));
        json action = {{"action", compiled.rule.actions[action_idx]}, {"state", "queued"}, {"job_id", Optional(job_id)}};
        execution.actions.push_back(std::move(action));
      }
      TP_RETURN_IF_ERROR(InsertExecution(tx, execution));
    }
  }
  return Status::Ok();
}

// What one action did, for the execution log.
using ActionResult = Result<json>;

Result<cases::CasePriority> PriorityOf(const json& action) {
  return cases::ParseCasePriority(action.value("priority", std::string("normal")));
}

ActionResult CreateCase(store::TenantTx& tx, const json& action, const json& context,
                        const identity::AuditContext& audit) {
  const std::optional<std::string> customer_id = StringField(context, "customer_id");
  if (!customer_id) return FailedPrecondition("the change has no customer to open a case for");
  cases::NewCase input{.customer_id = *customer_id};
  input.subject = RenderTemplate(action.value("subject", std::string()), context);
  if (input.subject.size() > cases::kMaxSubjectChars) input.subject.resize(cases::kMaxSubjectChars);
  if (input.subject.empty()) input.subject = "Follow-up";
  TP_ASSIGN_OR_RETURN(input.priority, PriorityOf(action));
  // The team that owns the touchpoint, else the action's team.
  const std::optional<std::string> touchpoint = StringField(context, "touchpoint");
  const json by_touchpoint = action.value("team_by_touchpoint", json::object());
  input.team_id = touchpoint ? StringField(by_touchpoint, *touchpoint) : std::nullopt;
  if (!input.team_id) input.team_id = StringField(action, "team_id");
  for (const json& tag : action.value("tags", json::array())) input.tags.push_back(tag.get<std::string>());
  // A case opened about a feedback response follows it up: a re-survey after it is solved asks again.
  if (context.value("trigger", "") == "feedback.submitted") input.follow_up_of = StringField(context, "response_id");
  TP_ASSIGN_OR_RETURN(cases::Case created, cases::CreateCase(tx, input, audit));
  return json{{"case_id", created.id}};
}

ActionResult UpdateTriggeringCase(store::TenantTx& tx, const json& action, const json& context,
                                  const identity::AuditContext& audit) {
  const std::optional<std::string> case_id = StringField(context.value("case", json::object()), "id");
  if (!case_id) return FailedPrecondition("the change has no case to act on");
  cases::CasePatch patch;
  if (action["type"] == "set_priority") {
    TP_ASSIGN_OR_RETURN(patch.priority, PriorityOf(action));
  } else if (action["type"] == "tag") {
    for (const json& tag : action.value("add", json::array())) patch.add_tags.push_back(tag.get<std::string>());
    for (const json& tag : action.value("remove", json::array())) patch.remove_tags.push_back(tag.get<std::string>());
  } else {
    // A null team_id is no team_id (ParseActions); a null assignee_id unassigns.
    if (auto team_id = StringField(action, "team_id")) patch.team_id = std::move(team_id);
    if (action.contains("assignee_id")) patch.assignee_id = StringField(action, "assignee_id");
  }
  TP_ASSIGN_OR_RETURN(cases::Case updated, cases::UpdateCase(tx, *case_id, patch, audit));
  return json{{"case_id", updated.id}};
}

ActionResult SetTrait(store::TenantTx& tx, const json& action, const json& context,
                      const identity::AuditContext& audit) {
  const std::optional<std::string> customer_id = StringField(context, "customer_id");
  if (!customer_id) return FailedPrecondition("the change has no customer to set a trait on");
  TP_ASSIGN_OR_RETURN(profiles::Customer customer, profiles::GetCustomer(tx, *customer_id));
  json traits = json::parse(customer.traits_json, nullptr, false);
  if (!traits.is_object()) traits = json::object();
  json value = action["value"];
  if (value.is_string()) value = RenderTemplate(value.get<std::string>(), context);
  const std::string name = action["name"].get<std::string>();
  traits[name] = std::move(value);
  TP_RETURN_IF_ERROR(
      profiles::UpdateCustomer(tx, customer.id, {.traits_json = traits.dump()}, audit).status());
  // The execution log names no customer (it holds no personal data), only what was set.
  return json{{"trait", name}};
}

ActionResult SendWebhook(store::TenantTx& tx, const json& action, const json& context, const Execution& execution,
                         Micros now) {
  TP_ASSIGN_OR_RETURN(outbound::Webhook webhook, outbound::GetWebhook(tx, action["webhook_id"].get<std::string>()));
  const json body = {{"type", "rule.action"},
                     {"rule_id", execution.rule_id},
                     {"execution_id", execution.id},
                     {"trigger", execution.change_kind},
                     {"payload", context}};
  TP_ASSIGN_OR_RETURN(outbound::Delivery delivery,
                      outbound::QueueWebhookCall(tx, webhook.id, webhook.url, "rule.action", body.dump(),
                                                 StringField(context, "customer_id"), now));
  return json{{"delivery_id", delivery.id}};
}

ActionResult SendEmail(store::TenantTx& tx, const json& action, const json& context, const Execution& execution,
                       const std::string& mail_from, Micros now) {
  if (mail_from.empty()) return FailedPrecondition("no SMTP server is configured (serve --smtp-url and --mail-from)");
  outbound::MailMessage message;
  message.from = {"touchpoint", mail_from};
  for (const json& address : action["to"]) message.to.push_back({"", address.get<std::string>()});
  message.subject = OneLine(RenderTemplate(action["subject"].get<std::string>(), context));
  message.text = RenderTemplate(action["text"].get<std::string>(), context);
  message.headers = {{"Auto-Submitted", "auto-generated"}};
  TP_ASSIGN_OR_RETURN(outbound::Delivery delivery,
                      outbound::QueueEmail(tx, message, "rule:" + execution.rule_id,
                                           StringField(context, "customer_id"), now));
  return json{{"delivery_id", delivery.id}};
}

// An e-mail invitation to a survey for the context's customer: about the triggering case (a CSAT after
// it is solved) and order when there is one, in the customer's language when the survey has it, after
// delay_hours. The contact rules decide; a customer they exclude is a result, not a failure.
ActionResult SendSurvey(store::TenantTx& tx, const json& action, const json& context, const ActionOptions& options,
                        const identity::AuditContext& audit, Micros now) {
  if (options.mail_from.empty()) {
    return FailedPrecondition("no SMTP server is configured (serve --smtp-url and --mail-from)");
  }
  const std::optional<std::string> customer_id = StringField(context, "customer_id");
  if (!customer_id) return FailedPrecondition("the change has no customer to survey");
  const std::string survey_id = RenderTemplate(action["survey_id"].get<std::string>(), context);
  if (!LooksLikeId(survey_id, "svy_")) {
    return FailedPrecondition("survey_id gave \"" + survey_id.substr(0, 64) + "\", which is no survey id");
  }
  TP_ASSIGN_OR_RETURN(const surveys::Survey survey, surveys::GetSurvey(tx, survey_id));
  surveys::EmailInvitation invitation{.survey_id = survey.id,
                                      .customer_ids = {*customer_id},
                                      .subject = OneLine(RenderTemplate(action.value("subject", ""), context)),
                                      .text = RenderTemplate(action.value("text", ""), context),
                                      .from = {"", options.mail_from},
                                      .base_url = options.public_url,
                                      .case_id = StringField(context.value("case", json::object()), "id"),
                                      .order_id = StringField(context, "order_id")};
  const std::optional<std::string> language =
      StringField(context.value("customer", json::object()), "language");
  if (language && std::find(survey.languages.begin(), survey.languages.end(), *language) != survey.languages.end()) {
    invitation.language = *language;
  }
  if (!action.value("reminder", true)) invitation.reminder_after = 0;
  invitation.respect_contact_gap = action.value("respect_contact_gap", true);
  const std::int64_t delay_hours = action.value("delay_hours", std::int64_t{0});
  if (delay_hours > 0) invitation.send_at = now + delay_hours * 3600LL * 1'000'000;
  TP_ASSIGN_OR_RETURN(const std::vector<surveys::InvitationOutcome> outcomes,
                      surveys::InviteByEmail(tx, invitation, audit, now));
  const surveys::InvitationOutcome& outcome = outcomes.front();
  json result{{"survey_id", survey.id}};
  if (!outcome.skipped.empty()) result["skipped"] = outcome.skipped;
  if (outcome.link_id) result["link_id"] = *outcome.link_id;
  if (outcome.delivery_id) result["delivery_id"] = *outcome.delivery_id;
  if (outcome.scheduled_for) result["scheduled_for"] = FormatTimestamp(*outcome.scheduled_for);
  return result;
}

// Reads the change an execution came from; it is in the feed until the feed's retention prunes it.
Result<store::Change> ReadChange(store::TenantTx& tx, std::int64_t sequence) {
  TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT sequence, kind, subject_id, data, committed_at FROM change_feed "
                                            "WHERE tenant_id = $1 AND sequence = $2",
                                            {sequence}));
  if (!row) return NotFound("change " + std::to_string(sequence) + " is no longer in the change feed");
  return store::Change{row->Int(0), tx.tenant_id(), row->Text(1), row->Text(2), row->Text(3), row->Int(4)};
}

ExecutionOutcome OutcomeOf(const json& actions) {
  bool all_done = true;
  for (const json& action : actions) {
    if (action["state"] == "failed") return ExecutionOutcome::kFailed;
    if (action["state"] == "retrying") return ExecutionOutcome::kRetrying;
    if (action["state"] != "done") all_done = false;
  }
  return all_done ? ExecutionOutcome::kSucceeded : ExecutionOutcome::kQueued;
}

}  // namespace

Result<std::vector<json>> BuildContexts(store::TenantTx& tx, const store::Change& change) {
  const json data = json::parse(change.data, nullptr, false);
  std::vector<json> contexts;
  if (change.kind == "feedback.submitted") {
    TP_ASSIGN_OR_RETURN(const std::optional<feedback::FeedbackResponse> response,
                        FoundOrGone(feedback::GetFeedback(tx, change.subject_id)));
    if (!response) return contexts;
    TP_ASSIGN_OR_RETURN(json customer, CustomerContext(tx, response->customer_id));
    json context{{"trigger", change.kind},
                 {"response_id", response->id},
                 {"survey", response->survey},
                 {"metric", feedback::MetricName(response->metric)},
                 {"score", response->score},
                 {"comment", response->comment},
                 {"touchpoint", response->touchpoint},
                 {"customer_id", Optional(response->customer_id)},
                 {"customer", std::move(customer)}};
    TP_ASSIGN_OR_RETURN(json survey_fields, SurveyResponseFields(tx, response->survey_response_id));
    context.update(survey_fields);
    contexts.push_back(std::move(context));
  } else if (IsCaseTrigger(change.kind)) {
    TP_ASSIGN_OR_RETURN(const std::optional<cases::Case> found, FoundOrGone(cases::GetCase(tx, change.subject_id)));
    if (!found) return contexts;
    TP_ASSIGN_OR_RETURN(json customer, CustomerContext(tx, found->customer_id));
    TP_ASSIGN_OR_RETURN(json follow_up_of, FollowUpContext(tx, found->follow_up_of));
    contexts.push_back({{"trigger", change.kind},
                        {"case",
                         {{"id", found->id},
                          {"subject", found->subject},
                          {"status", cases::CaseStatusName(found->status)},
                          {"priority", cases::CasePriorityName(found->priority)},
                          {"type", cases::CaseTypeName(found->type)},
                          {"channel", ChannelName(found->channel)},
                          {"team_id", Optional(found->team_id)},
                          {"assignee_id", Optional(found->assignee_id)},
                          {"tags", found->tags},
                          {"touchpoint", Optional(found->touchpoint)},
                          {"stage", Optional(found->stage)},
                          {"order_ids", found->order_ids},
                          {"custom_fields", json::parse(found->custom_fields_json, nullptr, false)},
                          {"follow_up_of", std::move(follow_up_of)}}},
                        // case.updated: the fields that changed, before and after.
                        {"before", data.is_object() ? data.value("before", json::object()) : json::object()},
                        {"after", data.is_object() ? data.value("after", json::object()) : json::object()},
                        {"customer_id", found->customer_id},
                        {"customer", std::move(customer)}});
    // sla.breached and sla.near_breach: which target of which policy is due when (sla/storage.h), for
    // escalation rules; a warning also says when it came.
    if ((change.kind == "sla.breached" || change.kind == "sla.near_breach") && data.is_object()) {
      contexts.back()["sla"] = {{"metric", data.value("metric", json(nullptr))},
                                {"policy_id", data.value("policy_id", json(nullptr))},
                                {"due_at", data.value("due_at", json(nullptr))}};
      if (data.contains("warning_at")) contexts.back()["sla"]["warning_at"] = data["warning_at"];
    }
  } else if (change.kind == "events.ingested" && data.is_object() && data.contains("events") &&
             data["events"].is_array()) {
    std::map<std::string, json> customers;  // a batch names the same customer many times
    for (const json& event : data["events"]) {
      const std::optional<std::string> customer_id = StringField(event, "customer_id");
      json customer;
      if (customer_id) {
        auto known = customers.find(*customer_id);
        if (known == customers.end()) {
          TP_ASSIGN_OR_RETURN(json loaded, CustomerContext(tx, customer_id));
          known = customers.emplace(*customer_id, std::move(loaded)).first;
        }
        customer = known->second;
      }
      TP_ASSIGN_OR_RETURN(json properties, EventProperties(tx, StringField(event, "id")));
      json order_id = properties.value("order_id", json(nullptr));
      if (order_id.is_number_integer()) order_id = order_id.dump();
      if (!order_id.is_string()) order_id = nullptr;
      contexts.push_back({{"trigger", change.kind},
                          {"event",
                           {{"id", event.value("id", json(nullptr))},
                            {"type", event.value("type", json(nullptr))},
                            {"name", event.value("event", json(nullptr))},
                            {"properties", std::move(properties)}}},
                          {"order_id", std::move(order_id)},
                          {"customer_id", Optional(customer_id)},
                          {"customer", std::move(customer)}});
    }
  }
  return contexts;
}

namespace {

// History loaded by `touchpoint import responses` (changes/kinds.h "imported"): closing the loop on a
// detractor of last year would open cases nobody can act on and mail people about old answers, so no
// rule runs on it. Only feedback records carry the mark, so other kinds are not parsed for it.
bool IsImportedHistory(const store::Change& change) {
  if (change.kind != changes::kinds::kFeedbackSubmitted || change.data.find("\"imported\"") == std::string::npos) {
    return false;
  }
  const json data = json::parse(change.data, nullptr, false);
  return data.is_object() && data.value("imported", false);
}

}  // namespace

Status RunRules(store::SystemTx& tx, const std::vector<store::Change>& batch, Micros now) {
  std::map<std::pair<std::string, std::string>, std::vector<CompiledRule>> rules_of;
  for (const store::Change& change : batch) {
    if (!IsTrigger(change.kind) || IsImportedHistory(change)) continue;
    store::TenantTx tenant = tx.InTenant(change.tenant_id);
    const auto key = std::make_pair(change.tenant_id, change.kind);
    auto found = rules_of.find(key);
    if (found == rules_of.end()) {
      TP_ASSIGN_OR_RETURN(std::vector<CompiledRule> rules, EnabledRules(tenant, change.kind));
      found = rules_of.emplace(key, std::move(rules)).first;
    }
    if (found->second.empty()) continue;
    TP_RETURN_IF_ERROR(EvaluateChange(tenant, change, found->second, now));
  }
  return Status::Ok();
}

ActionRunner::ActionRunner(store::Store& store, ActionOptions options, std::function<Micros()> now)
    : store_(store), options_(std::move(options)), now_(std::move(now)) {}

jobs::Outcome ActionRunner::Run(const jobs::Job& job) {
  const json payload = json::parse(job.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("execution_id") || !payload["execution_id"].is_string() ||
      !payload.contains("action_index") || !payload["action_index"].is_number_unsigned()) {
    return jobs::Outcome::Fail(Internal("a rules.action job without execution_id and action_index"));
  }
  const std::string execution_id = payload["execution_id"].get<std::string>();
  const auto action_idx = payload["action_index"].get<std::size_t>();
  const Micros now = now_();
  const Status acted = store_.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(Execution execution, GetExecution(tx, execution_id));
    if (!execution.actions.is_array() || action_idx >= execution.actions.size()) {
      return Internal("execution " + execution_id + " has no action " + std::to_string(action_idx));
    }
    json& entry = execution.actions[action_idx];
    if (entry["state"] == "done") return Status::Ok();  // an earlier attempt committed it
    TP_ASSIGN_OR_RETURN(store::Change change, ReadChange(tx, execution.change_sequence));
    TP_ASSIGN_OR_RETURN(std::vector<json> contexts, BuildContexts(tx, change));
    if (static_cast<std::size_t>(execution.item) >= contexts.size()) {
      return FailedPrecondition("the " + execution.change_kind + " record " + execution.subject_id + " is gone");
    }
    const json& context = contexts[static_cast<std::size_t>(execution.item)];
    const json& action = entry["action"];
    const std::string type = action.value("type", std::string());
    // Everything this action writes carries the chain of rules behind it (loop protection).
    tx.SetCause(json{{"rules", execution.cause_chain}, {"execution_id", execution.id}}.dump());
    const identity::AuditContext audit{.actor_type = "rule", .actor_id = execution.rule_id,
                                       .request_id = execution.id, .ip = ""};
    ActionResult result = [&]() -> ActionResult {
      if (type == "create_case") return CreateCase(tx, action, context, audit);
      if (type == "set_priority" || type == "assign" || type == "tag") {
        return UpdateTriggeringCase(tx, action, context, audit);
      }
      if (type == "set_trait") return SetTrait(tx, action, context, audit);
      if (type == "send_webhook") return SendWebhook(tx, action, context, execution, now);
      if (type == "send_email") return SendEmail(tx, action, context, execution, options_.mail_from, now);
      if (type == "send_survey") return SendSurvey(tx, action, context, options_, audit, now);
      return Internal("unknown action type " + type);
    }();
    if (!result.ok()) return result.status();
    entry["state"] = "done";
    entry["result"] = std::move(result).value();
    entry.erase("error");
    execution.outcome = OutcomeOf(execution.actions);
    if (execution.outcome == ExecutionOutcome::kSucceeded || execution.outcome == ExecutionOutcome::kQueued) {
      execution.error.reset();
    }
    execution.updated_at = now;
    return SaveExecution(tx, execution);
  });
  if (acted.ok()) return jobs::Outcome::Done();
  // The action's transaction rolled back; record the failure on the execution in one of its own.
  const bool gives_up = job.attempts >= job.max_attempts;
  const std::string error = acted.message();
  const Status recorded = store_.Write(job.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(Execution execution, GetExecution(tx, execution_id));
    if (!execution.actions.is_array() || action_idx >= execution.actions.size()) return Status::Ok();
    json& entry = execution.actions[action_idx];
    entry["state"] = gives_up ? "failed" : "retrying";
    entry["error"] = error;
    execution.outcome = OutcomeOf(execution.actions);
    execution.error = error;
    execution.updated_at = now;
    return SaveExecution(tx, execution);
  });
  if (!recorded.ok()) return jobs::Outcome::Retry(recorded);
  return jobs::Outcome::Retry(acted);
}

}  // namespace tp::rules
