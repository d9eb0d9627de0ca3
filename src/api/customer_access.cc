#include "api/customer_access.h"

#include "api/render.h"

namespace tp::api {

using identity::Permission;

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

Json CustomerJson(const profiles::Customer& customer, bool with_contact_data) {
  const profiles::ComputedAttributes& computed = customer.computed;
  Json body{{"id", customer.id},
            {"name", customer.name},
            {"email", nullptr},
            {"phone", nullptr},
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
  if (with_contact_data) {
    if (customer.email) body["email"] = *customer.email;
    if (customer.phone) body["phone"] = *customer.phone;
  } else {
    body["contact_data_redacted"] = true;
    // Traits from identify calls carry the same contact data under their Segment names.
    for (const char* trait : {"email", "phone", "address"}) body["traits"].erase(trait);
  }
  return body;
}

Json IdentifiersJson(const std::vector<profiles::IdentifierLink>& links, bool with_contact_data) {
  Json items = Json::array();
  for (const profiles::IdentifierLink& link : links) {
    const bool is_contact_data = link.identifier.kind != profiles::IdentifierKind::kUserId &&
                                 link.identifier.kind != profiles::IdentifierKind::kAnonymousId;
    if (is_contact_data && !with_contact_data) continue;
    items.push_back({{"kind", profiles::IdentifierKindName(link.identifier.kind)},
                     {"value", link.identifier.value},
                     {"added_at", TimestampJson(link.created_at)}});
  }
  return items;
}

}  // namespace tp::api
