// SLA: the calendars, team calendars and policies admins and managers configure (helpdesk:configure),
// each case's SLA state, and attainment (sla/storage.h). Reading the configuration needs cases:read:
// agents see which targets they work to.
#include "api/customer_access.h"
#include "api/routes.h"
#include "cases/cases.h"
#include "sla/storage.h"

namespace tp::api {
namespace {

using identity::Permission;

Json CalendarJson(const sla::SlaCalendar& calendar) {
  return {{"id", calendar.id},
          {"name", calendar.name},
          {"definition", calendar.definition},
          {"created_at", TimestampJson(calendar.created_at)},
          {"updated_at", TimestampJson(calendar.updated_at)}};
}

Json PolicyJson(const sla::Policy& policy) {
  return {{"id", policy.id},
          {"name", policy.name},
          {"position", policy.position},
          {"match", sla::PolicyMatchJson(policy.match)},
          {"targets", sla::TargetsJson(policy.targets)},
          {"created_at", TimestampJson(policy.created_at)},
          {"updated_at", TimestampJson(policy.updated_at)}};
}

Result<http::Response> ListCalendars(Registrar& registrar, Call& call) {
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto calendars, sla::ListCalendars(tx));
    Json items = Json::array();
    for (const sla::SlaCalendar& calendar : calendars) items.push_back(CalendarJson(calendar));
    return Json{{"items", std::move(items)}};
  });
}

Result<http::Response> CreateCalendar(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  sla::NewCalendar input;
  input.definition = TakeField(request, "definition").value_or(Json());
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(input.name, fields.RequiredString("name", sla::kMaxNameChars * 4));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto calendar, sla::CreateCalendar(tx, input, call.audit, call.now));
    return CalendarJson(calendar);
  });
}

Result<http::Response> GetCalendar(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string calendar_id, PathId(call.request, "id", "cal_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto calendar, sla::GetCalendar(tx, calendar_id));
    return CalendarJson(calendar);
  });
}

Result<http::Response> UpdateCalendar(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string calendar_id, PathId(call.request, "id", "cal_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  sla::CalendarPatch patch;
  patch.definition = TakeField(request, "definition");
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", sla::kMaxNameChars * 4));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto calendar, sla::UpdateCalendar(tx, calendar_id, patch, call.audit, call.now));
    return CalendarJson(calendar);
  });
}

Result<http::Response> DeleteCalendar(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string calendar_id, PathId(call.request, "id", "cal_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(
      call.principal.tenant_id, [&](store::TenantTx& tx) { return sla::DeleteCalendar(tx, calendar_id, call.audit); }));
  return http::Response::NoContent();
}

Result<http::Response> SetTeamCalendar(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string team_id, PathId(call.request, "id", "team_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(auto calendar_id, fields.NullableString("calendar_id", 100));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  if (!calendar_id) return InvalidArgument("calendar_id is required (null: back to 24/7)", "calendar_id");
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_RETURN_IF_ERROR(sla::SetTeamCalendar(tx, team_id, *calendar_id, call.audit, call.now));
    return Json{{"team_id", team_id}, {"calendar_id", *calendar_id ? Json(**calendar_id) : Json(nullptr)}};
  });
}

Result<http::Response> ListPolicies(Registrar& registrar, Call& call) {
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto policies, sla::ListPolicies(tx));
    Json items = Json::array();
    for (const sla::Policy& policy : policies) items.push_back(PolicyJson(policy));
    return Json{{"items", std::move(items)}};
  });
}

Result<http::Response> CreatePolicy(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  sla::NewPolicy input;
  input.match = TakeField(request, "match").value_or(Json::object());
  input.targets = TakeField(request, "targets").value_or(Json());
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(input.name, fields.RequiredString("name", sla::kMaxNameChars * 4));
  TP_ASSIGN_OR_RETURN(input.position, fields.OptionalInt("position", 0, 1'000'000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto policy, sla::CreatePolicy(tx, input, call.audit, call.now));
    return PolicyJson(policy);
  });
}

Result<http::Response> GetPolicy(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string policy_id, PathId(call.request, "id", "slp_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto policy, sla::GetPolicy(tx, policy_id));
    return PolicyJson(policy);
  });
}

Result<http::Response> UpdatePolicy(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string policy_id, PathId(call.request, "id", "slp_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  sla::PolicyPatch patch;
  patch.match = TakeField(request, "match");
  patch.targets = TakeField(request, "targets");
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", sla::kMaxNameChars * 4));
  TP_ASSIGN_OR_RETURN(patch.position, fields.OptionalInt("position", 0, 1'000'000));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto policy, sla::UpdatePolicy(tx, policy_id, patch, call.audit, call.now));
    return PolicyJson(policy);
  });
}

Result<http::Response> DeletePolicy(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string policy_id, PathId(call.request, "id", "slp_"));
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) {
    return sla::DeletePolicy(tx, policy_id, call.audit, call.now);
  }));
  return http::Response::NoContent();
}

Result<http::Response> GetCaseSla(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(auto state, sla::CurrentCaseSla(tx, item, call.now));
    return sla::CaseSlaJson(state);
  });
}

Result<http::Response> GetAttainment(Registrar& registrar, Call& call) {
  sla::AttainmentQuery query;
  TP_ASSIGN_OR_RETURN(query.since, TimestampFromQuery(call.request, "since"));
  TP_ASSIGN_OR_RETURN(query.until, TimestampFromQuery(call.request, "until"));
  if (query.since && query.until && *query.until <= *query.since) {
    return InvalidArgument("until must be after since", "until");
  }
  query.team_id = call.request.QueryParam("team_id");
  query.policy_id = call.request.QueryParam("policy_id");
  query.only_teams = TeamScope(call);
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto attainment, sla::Attainment(tx, query));
    Json metrics = Json::object();
    for (std::size_t metric_idx = 0; metric_idx < sla::kMetrics.size(); ++metric_idx) {
      const sla::MetricAttainment& metric = attainment[metric_idx];
      metrics[std::string(sla::MetricName(sla::kMetrics[metric_idx]))] = {
          {"met", metric.met},
          {"breached", metric.breached},
          {"attainment_percent", metric.attainment_percent ? Json(*metric.attainment_percent) : Json(nullptr)}};
    }
    return Json{{"since", TimestampJson(query.since)},
                {"until", TimestampJson(query.until)},
                {"team_id", query.team_id ? Json(*query.team_id) : Json(nullptr)},
                {"policy_id", query.policy_id ? Json(*query.policy_id) : Json(nullptr)},
                {"metrics", std::move(metrics)}};
  });
}

}  // namespace

void RegisterSlaRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/sla/calendars", Permission::kCasesRead, ListCalendars);
  registrar.Protected("POST", "/api/v1/sla/calendars", Permission::kHelpdeskConfigure, CreateCalendar);
  registrar.Protected("GET", "/api/v1/sla/calendars/{id}", Permission::kCasesRead, GetCalendar);
  registrar.Protected("PATCH", "/api/v1/sla/calendars/{id}", Permission::kHelpdeskConfigure, UpdateCalendar);
  registrar.Protected("DELETE", "/api/v1/sla/calendars/{id}", Permission::kHelpdeskConfigure, DeleteCalendar);
  registrar.Protected("PUT", "/api/v1/teams/{id}/calendar", Permission::kHelpdeskConfigure, SetTeamCalendar);
  registrar.Protected("GET", "/api/v1/sla/policies", Permission::kCasesRead, ListPolicies);
  registrar.Protected("POST", "/api/v1/sla/policies", Permission::kHelpdeskConfigure, CreatePolicy);
  registrar.Protected("GET", "/api/v1/sla/policies/{id}", Permission::kCasesRead, GetPolicy);
  registrar.Protected("PATCH", "/api/v1/sla/policies/{id}", Permission::kHelpdeskConfigure, UpdatePolicy);
  registrar.Protected("DELETE", "/api/v1/sla/policies/{id}", Permission::kHelpdeskConfigure, DeletePolicy);
  registrar.Protected("GET", "/api/v1/cases/{id}/sla", Permission::kCasesRead, GetCaseSla);
  registrar.Protected("GET", "/api/v1/sla/attainment", Permission::kCasesRead, GetAttainment);
}

}  // namespace tp::api
