// Customers, cases, feedback and the analytics summary: the first CX endpoints, which later issues
// grow (profiles with identity resolution, the help desk, surveys, the analytics engine).
//
// Visibility rules on top of the permission check: agents see only cases of their teams and customers
// with such a case (identity::ScopedToOwnTeams); callers without contact_data:read get customers with
// e-mail and phone removed and cannot search by them.
#include "api/render.h"
#include "api/routes.h"
#include "cases/cases.h"
#include "feedback/feedback.h"
#include "profiles/customers.h"

namespace tp::api {
namespace {

using identity::Permission;

Json CustomerJson(const profiles::Customer& customer, bool with_contact_data) {
  Json body{{"id", customer.id},
            {"name", customer.name},
            {"email", nullptr},
            {"phone", nullptr},
            {"traits", StoredJson(customer.traits_json)},
            {"created_at", TimestampJson(customer.created_at)},
            {"updated_at", TimestampJson(customer.updated_at)}};
  if (with_contact_data) {
    if (customer.email) body["email"] = *customer.email;
    if (customer.phone) body["phone"] = *customer.phone;
  } else {
    body["contact_data_redacted"] = true;
  }
  return body;
}

bool SeesContactData(const Call& call) { return identity::HasPermission(call.principal, Permission::kContactDataRead); }

std::optional<std::vector<std::string>> TeamScope(const Call& call) {
  if (!identity::ScopedToOwnTeams(call.principal)) return std::nullopt;
  return call.principal.team_ids;
}

// Agents may only touch customers with a case in one of their teams; others see every customer.
Status CheckCustomerVisible(store::TenantTx& tx, const Call& call, std::string_view customer_id) {
  const auto teams = TeamScope(call);
  if (!teams) return Status::Ok();
  TP_ASSIGN_OR_RETURN(bool visible, profiles::CustomerVisibleToTeams(tx, customer_id, *teams));
  return visible ? Status::Ok() : NotFound("no such customer");
}

Result<http::Response> ListCustomers(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  profiles::CustomerQuery query;
  query.search = call.request.QueryParam("q");
  query.search_contact_data = SeesContactData(call);
  query.only_teams = TeamScope(call);
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto page, profiles::ListCustomers(tx, query, page_request));
    body = PageJson(page, [&](const profiles::Customer& customer) { return CustomerJson(customer, query.search_contact_data); });
    return Status::Ok();
  }));
  return JsonResponse(200, body);
}

Result<http::Response> CreateCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  profiles::NewCustomer customer;
  TP_ASSIGN_OR_RETURN(auto name, fields.OptionalString("name", 1000));
  customer.name = name.value_or("");
  TP_ASSIGN_OR_RETURN(customer.email, fields.OptionalString("email", 320));
  TP_ASSIGN_OR_RETURN(customer.phone, fields.OptionalString("phone", 64));
  TP_ASSIGN_OR_RETURN(customer.traits_json, fields.OptionalObjectText("traits", profiles::kMaxTraitsBytes));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto created, profiles::CreateCustomer(tx, customer, call.audit));
    body = CustomerJson(created, SeesContactData(call));
    return Status::Ok();
  }));
  return JsonResponse(201, body);
}

Result<http::Response> GetCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string customer_id, PathId(call.request, "id", "cus_"));
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, customer_id));
    TP_ASSIGN_OR_RETURN(auto customer, profiles::GetCustomer(tx, customer_id));
    body = CustomerJson(customer, SeesContactData(call));
    return Status::Ok();
  }));
  return JsonResponse(200, body);
}

Result<http::Response> UpdateCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string customer_id, PathId(call.request, "id", "cus_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  profiles::CustomerPatch patch;
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", 1000));
  TP_ASSIGN_OR_RETURN(patch.email, fields.NullableString("email", 320));
  TP_ASSIGN_OR_RETURN(patch.phone, fields.NullableString("phone", 64));
  TP_ASSIGN_OR_RETURN(patch.traits_json, fields.OptionalObjectText("traits", profiles::kMaxTraitsBytes));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, customer_id));
    TP_ASSIGN_OR_RETURN(auto updated, profiles::UpdateCustomer(tx, customer_id, patch, call.audit));
    body = CustomerJson(updated, SeesContactData(call));
    return Status::Ok();
  }));
  return JsonResponse(200, body);
}

Json CaseJson(const cases::Case& item) {
  return Json{{"id", item.id},
              {"customer_id", item.customer_id},
              {"subject", item.subject},
              {"status", cases::CaseStatusName(item.status)},
              {"priority", cases::CasePriorityName(item.priority)},
              {"channel", cases::ChannelName(item.channel)},
              {"team_id", item.team_id ? Json(*item.team_id) : Json(nullptr)},
              {"assignee_id", item.assignee_id ? Json(*item.assignee_id) : Json(nullptr)},
              {"created_at", TimestampJson(item.created_at)},
              {"updated_at", TimestampJson(item.updated_at)}};
}

// Parses an optional enum-valued field with one of the domain parsers; the error names the field.
template <typename T>
Result<std::optional<T>> ParseOptional(const std::optional<std::string>& text, Result<T> (*parse)(std::string_view),
                                       std::string_view field) {
  if (!text) return std::optional<T>();
  Result<T> parsed = parse(*text);
  if (!parsed.ok()) return InvalidArgument(parsed.status().message(), std::string(field));
  return std::optional<T>(*parsed);
}

Status CheckCaseVisible(const Call& call, const cases::Case& item) {
  const auto teams = TeamScope(call);
  if (!teams) return Status::Ok();
  if (item.team_id && std::find(teams->begin(), teams->end(), *item.team_id) != teams->end()) return Status::Ok();
  return NotFound("no such case");
}

Result<http::Response> ListCases(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  cases::CaseQuery query;
  TP_ASSIGN_OR_RETURN(query.status, ParseOptional(call.request.QueryParam("status"), cases::ParseCaseStatus, "status"));
  query.customer_id = call.request.QueryParam("customer_id");
  query.team_id = call.request.QueryParam("team_id");
  query.only_teams = TeamScope(call);
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto page, cases::ListCases(tx, query, page_request));
    body = PageJson(page, CaseJson);
    return Status::Ok();
  }));
  return JsonResponse(200, body);
}

Result<http::Response> CreateCase(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  cases::NewCase item;
  TP_ASSIGN_OR_RETURN(item.customer_id, fields.RequiredString("customer_id", 64));
  TP_ASSIGN_OR_RETURN(item.subject, fields.RequiredString("subject", 2000));
  TP_ASSIGN_OR_RETURN(auto channel, fields.OptionalString("channel", 20));
  TP_ASSIGN_OR_RETURN(auto priority, fields.OptionalString("priority", 20));
  TP_ASSIGN_OR_RETURN(item.team_id, fields.OptionalString("team_id", 64));
  TP_ASSIGN_OR_RETURN(item.assignee_id, fields.OptionalString("assignee_id", 64));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(auto parsed_channel, ParseOptional(channel, cases::ParseChannel, "channel"));
  TP_ASSIGN_OR_RETURN(auto parsed_priority, ParseOptional(priority, cases::ParseCasePriority, "priority"));
  item.channel = parsed_channel.value_or(cases::Channel::kOther);
  item.priority = parsed_priority.value_or(cases::CasePriority::kNormal);
  if (const auto teams = TeamScope(call);
      teams && (!item.team_id || std::find(teams->begin(), teams->end(), *item.team_id) == teams->end())) {
    return Status(ErrorCode::kPermissionDenied, "agents open cases for one of their own teams", "team_id");
  }
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto created, cases::CreateCase(tx, item, call.audit));
    body = CaseJson(created);
    return Status::Ok();
  }));
  return JsonResponse(201, body);
}

Result<http::Response> GetCase(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    body = CaseJson(item);
    return Status::Ok();
  }));
  return JsonResponse(200, body);
}

Result<http::Response> UpdateCase(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string case_id, PathId(call.request, "id", "cas_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  cases::CasePatch patch;
  TP_ASSIGN_OR_RETURN(auto status, fields.OptionalString("status", 20));
  TP_ASSIGN_OR_RETURN(auto priority, fields.OptionalString("priority", 20));
  TP_ASSIGN_OR_RETURN(patch.team_id, fields.NullableString("team_id", 64));
  TP_ASSIGN_OR_RETURN(patch.assignee_id, fields.NullableString("assignee_id", 64));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(patch.status, ParseOptional(status, cases::ParseCaseStatus, "status"));
  TP_ASSIGN_OR_RETURN(patch.priority, ParseOptional(priority, cases::ParseCasePriority, "priority"));
  Json body;
  TP_RETURN_IF_ERROR(registrar.store().Write(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto item, cases::GetCase(tx, case_id));
    TP_RETURN_IF_ERROR(CheckCaseVisible(call, item));
    TP_ASSIGN_OR_RETURN(auto updated, cases::UpdateCase(tx, case_id, patch, call.audit));
    body = CaseJson(updated);
    return Status::Ok();
  }));
  return JsonResponse(200, body);
}
