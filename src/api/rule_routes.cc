// Rules: what managers design (rules/rules.h), try against a sample payload, and watch run.
#include "api/routes.h"
#include "rules/rules.h"

namespace tp::api {
namespace {

using identity::Permission;

constexpr std::size_t kMaxConditionBytes = 4096;
constexpr std::size_t kMaxPayloadBytes = 64 * 1024;

Json RuleJson(const rules::Rule& rule) {
  return {{"id", rule.id},
          {"name", rule.name},
          {"trigger", rule.trigger},
          {"condition", rule.condition},
          {"actions", rule.actions},
          {"position", rule.position},
          {"enabled", rule.enabled},
          {"created_by", rule.created_by},
          {"created_at", TimestampJson(rule.created_at)},
          {"updated_at", TimestampJson(rule.updated_at)}};
}

Json ExecutionJson(const rules::Execution& execution) {
  return {{"id", execution.id},
          {"rule_id", execution.rule_id},
          {"change_sequence", execution.change_sequence},
          {"change_kind", execution.change_kind},
          {"subject_id", execution.subject_id},
          {"item", execution.item},
          {"outcome", rules::ExecutionOutcomeName(execution.outcome)},
          {"actions", execution.actions},
          {"cause_chain", execution.cause_chain},
          {"error", execution.error ? Json(*execution.error) : Json(nullptr)},
          {"created_at", TimestampJson(execution.created_at)},
          {"updated_at", TimestampJson(execution.updated_at)}};
}

Json DryRunJson(const rules::DryRun& result) { return {{"matched", result.matched}, {"actions", result.actions}}; }

Result<Json> TakePayload(Json& body) {
  std::optional<Json> payload = TakeField(body, "payload");
  if (!payload || !payload->is_object()) return InvalidArgument("must be an object: the context to try", "payload");
  if (payload->dump().size() > kMaxPayloadBytes) return InvalidArgument("must be at most 64 KiB", "payload");
  return std::move(*payload);
}

Result<http::Response> ListRules(Registrar& registrar, Call& call) {
  const std::optional<std::string> trigger = call.request.QueryParam("trigger");
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto rules, rules::ListRules(tx, trigger));
    Json items = Json::array();
    for (const rules::Rule& rule : rules) items.push_back(RuleJson(rule));
    return Json{{"items", std::move(items)}};
  });
}

Result<http::Response> CreateRule(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  rules::RuleSpec spec;
  spec.actions = TakeField(request, "actions").value_or(Json());
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(spec.name, fields.RequiredString("name", rules::kMaxRuleNameChars));
  TP_ASSIGN_OR_RETURN(spec.trigger, fields.RequiredString("trigger", 100));
  TP_ASSIGN_OR_RETURN(spec.condition, fields.RequiredString("condition", kMaxConditionBytes));
  TP_ASSIGN_OR_RETURN(auto enabled, fields.OptionalBool("enabled"));
  TP_ASSIGN_OR_RETURN(auto position, fields.OptionalInt("position", 0, 1'000'000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  spec.enabled = enabled.value_or(true);
  if (position) spec.position = static_cast<int>(*position);
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto rule, rules::CreateRule(tx, call.audit, spec, call.now));
    return RuleJson(rule);
  });
}

Result<http::Response> GetRule(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string rule_id, PathId(call.request, "id", "rul_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto rule, rules::GetRule(tx, rule_id));
    return RuleJson(rule);
  });
}

Result<http::Response> UpdateRule(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string rule_id, PathId(call.request, "id", "rul_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  rules::RulePatch patch;
  patch.actions = TakeField(request, "actions");
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", rules::kMaxRuleNameChars));
  TP_ASSIGN_OR_RETURN(patch.condition, fields.OptionalString("condition", kMaxConditionBytes));
  TP_ASSIGN_OR_RETURN(patch.enabled, fields.OptionalBool("enabled"));
  TP_ASSIGN_OR_RETURN(auto position, fields.OptionalInt("position", 0, 1'000'000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  if (position) patch.position = static_cast<int>(*position);
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto rule, rules::UpdateRule(tx, call.audit, rule_id, patch, call.now));
    return RuleJson(rule);
  });
}

Result<http::Response> DeleteRule(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string rule_id, PathId(call.request, "id", "rul_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return rules::DeleteRule(tx, call.audit, rule_id);
  }));
  return http::Response::NoContent();
}

Result<http::Response> DryRunNewRule(Registrar&, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  const Json actions = TakeField(request, "actions").value_or(Json());
  TP_ASSIGN_OR_RETURN(Json payload, TakePayload(request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(std::string trigger, fields.RequiredString("trigger", 100));
  TP_ASSIGN_OR_RETURN(std::string condition, fields.RequiredString("condition", kMaxConditionBytes));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(auto result, rules::DryRunRule(trigger, condition, actions, payload));
  return JsonResponse(200, DryRunJson(result));
}

Result<http::Response> DryRunRule(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string rule_id, PathId(call.request, "id", "rul_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  TP_ASSIGN_OR_RETURN(Json payload, TakePayload(request));
  TP_RETURN_IF_ERROR(FieldReader(request).RejectUnknown());
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto rule, rules::GetRule(tx, rule_id));
    TP_ASSIGN_OR_RETURN(auto result, rules::DryRunRule(rule.trigger, rule.condition, rule.actions, payload));
    return DryRunJson(result);
  });
}

Result<http::Response> ListRuleExecutions(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string rule_id, PathId(call.request, "id", "rul_"));
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_RETURN_IF_ERROR(rules::GetRule(tx, rule_id).status());
    TP_ASSIGN_OR_RETURN(auto page, rules::ListExecutions(tx, rule_id, page_request));
    return PageJson(page, ExecutionJson);
  });
}

Result<http::Response> ListExecutions(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, rules::ListExecutions(tx, std::nullopt, page_request));
    return PageJson(page, ExecutionJson);
  });
}

}  // namespace

void RegisterRuleRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/rules", Permission::kRulesWrite, ListRules);
  registrar.Protected("POST", "/api/v1/rules", Permission::kRulesWrite, CreateRule);
  registrar.Protected("POST", "/api/v1/rules/dry-run", Permission::kRulesWrite, DryRunNewRule);
  registrar.Protected("GET", "/api/v1/rules/{id}", Permission::kRulesWrite, GetRule);
  registrar.Protected("PATCH", "/api/v1/rules/{id}", Permission::kRulesWrite, UpdateRule);
  registrar.Protected("DELETE", "/api/v1/rules/{id}", Permission::kRulesWrite, DeleteRule);
  registrar.Protected("POST", "/api/v1/rules/{id}/dry-run", Permission::kRulesWrite, DryRunRule);
  registrar.Protected("GET", "/api/v1/rules/{id}/executions", Permission::kRulesWrite, ListRuleExecutions);
  registrar.Protected("GET", "/api/v1/rule-executions", Permission::kRulesWrite, ListExecutions);
}

}  // namespace tp::api
