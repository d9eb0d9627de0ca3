#include "api/customer_access.h"

#include <algorithm>

#include "api/render.h"

namespace tp::api {
namespace {

using identity::Permission;

Json EventBody(const events::Event& event) {
  const bool carries_traits = events::CarriesTraits(event.type);
  const Json payload = StoredJson(event.properties_json);
  return Json{{"id", event.id},
              {"message_id", event.message_id},
              {"customer_id", event.customer_id},
              {"type", events::EventTypeName(event.type)},
              {"name", event.name},
              {"user_id", event.user_id ? Json(*event.user_id) : Json(nullptr)},
              {"anonymous_id", event.anonymous_id ? Json(*event.anonymous_id) : Json(nullptr)},
              {"channel", event.channel},
              {"amount", events::AmountJson(event.amount, event.reporting_amount, event.exchange_rate)},
              {"properties", carries_traits ? Json::object() : payload},
              {"traits", carries_traits ? payload : Json::object()},
              {"context", StoredJson(event.context_json)},
              {"occurred_at", TimestampJson(event.occurred_at)},
              {"received_at", TimestampJson(event.received_at)}};
}

}  // namespace

bool SeesContactData(const Call& call) { return identity::HasPermission(call.principal, Permission::kContactDataRead); }

std::optional<std::vector<std::string>> TeamScope(const Call& call) {
  if (!identity::ScopedToOwnTeams(call.principal)) return std::nullopt;
  return call.principal.team_ids;
}

Status CheckCustomerVisible(store::TenantTx& tx, const Call& call, std::string_view customer_id) {
  const auto teams = TeamScope(call);
  if (!teams) return Status::Ok();
  TP_ASSIGN_OR_RETURN(bool visible, profiles::CustomerVisibleToTeams(tx, customer_id, *teams));
  return visible ? Status::Ok() : NotFound("no such customer");
}

Result<CustomerDataView> CustomerDataView::For(store::TenantTx& tx, const Call& call) {
  if (SeesContactData(call)) return CustomerDataView(std::nullopt);
  TP_ASSIGN_OR_RETURN(profiles::ContactDataClassifier classifier, profiles::LoadContactDataClassifier(tx));
  return CustomerDataView(std::move(classifier));
}

void CustomerDataView::Restrict(profiles::CustomerQuery& query) const {
  query.search_contact_data = contact_data();
  if (hidden_) query.hidden_trait_keys = hidden_->extra_keys();
}

// `contact_data_redacted` says why members are missing.
bool CustomerDataView::Redact(Json& document) const {
  if (!hidden_ || !hidden_->Redact(document)) return false;
  if (document.is_object()) document["contact_data_redacted"] = true;
  return true;
}

Json CustomerDataView::Customer(const profiles::Customer& customer) const {
  const profiles::ComputedAttributes& computed = customer.computed;
  Json body{{"id", customer.id},
            {"name", customer.name},
            {"email", customer.email ? Json(*customer.email) : Json(nullptr)},
            {"phone", customer.phone ? Json(*customer.phone) : Json(nullptr)},
            {"traits", StoredJson(customer.traits_json)},
            {"created_at", TimestampJson(customer.created_at)},
            {"updated_at", TimestampJson(customer.updated_at)},
            {"computed",
             {{"first_seen_at", TimestampJson(computed.first_seen_at)},
              {"last_seen_at", TimestampJson(computed.last_seen_at)},
              {"channels", computed.channels},
              {"orders_count", computed.orders_count},
              {"revenue", profiles::MoneyTotalsJson(computed.revenue)},
              {"refunds_count", computed.refunds_count},
              {"refunded", profiles::MoneyTotalsJson(computed.refunded)}}}};
  if (hidden_) {
    Redact(body);
    // The profile's own contact fields stay in the shape, empty, even when this profile has none.
    body["email"] = nullptr;
    body["phone"] = nullptr;
    body["contact_data_redacted"] = true;
  }
  return body;
}

Json CustomerDataView::Identifiers(const std::vector<profiles::IdentifierLink>& links) const {
  Json items = Json::array();
  for (const profiles::IdentifierLink& link : links) {
    if (hidden_ && profiles::IsContactIdentifier(link.identifier.kind, link.identifier.value)) continue;
    items.push_back({{"kind", profiles::IdentifierKindName(link.identifier.kind)},
                     {"value", link.identifier.value},
                     {"added_at", TimestampJson(link.created_at)}});
  }
  return items;
}

Json CustomerDataView::Event(const events::Event& event) const {
  Json body = EventBody(event);
  Redact(body);
  return body;
}

Json CustomerDataView::TimelineEntry(const timeline::TimelineEntry& entry) const {
  Json body{{"kind", timeline::TimelineKindName(entry.kind)},
            {"id", entry.id},
            {"at", TimestampJson(entry.at)},
            {"title", entry.title},
            {"detail", entry.detail}};
  Redact(body);
  return body;
}

Json CustomerDataView::Feedback(const feedback::FeedbackResponse& response) const {
  Json body = FeedbackJson(response);
  Redact(body);
  return body;
}

Json CustomerDataView::SurveyResponse(const surveys::SurveyResponse& response) const {
  Json body = SurveyResponseJson(response);
  Redact(body["answers"]);
  return body;
}

Json CustomerDataView::Review(const feedback::Review& review) const {
  Json body = ReviewJson(review);
  Redact(body);
  if (hidden_ && !review.author.empty()) {
    body["author"] = nullptr;
    body["contact_data_redacted"] = true;
  }
  return body;
}

Status CheckCaseVisible(const Call& call, const cases::Case& item) {
  return cases::CaseInTeams(item, TeamScope(call)) ? Status::Ok() : NotFound("no such case");
}


Result<profiles::NewCustomer> ReadNewCustomer(FieldReader& fields) {
  profiles::NewCustomer customer;
  TP_ASSIGN_OR_RETURN(auto name, fields.OptionalString("name", 1000));
  customer.name = name.value_or("");
  TP_ASSIGN_OR_RETURN(customer.email, fields.OptionalString("email", 320));
  TP_ASSIGN_OR_RETURN(customer.phone, fields.OptionalString("phone", 64));
  TP_ASSIGN_OR_RETURN(customer.traits_json, fields.OptionalObjectText("traits", profiles::kMaxTraitsBytes));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return customer;
}

}  // namespace tp::api
