// Who may see which customer data, shared by every endpoint that returns customers or their history:
// agents see only customers with a case in one of their teams (identity::ScopedToOwnTeams); callers
// without contact_data:read get customers with e-mail, phone and channel handles removed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/registrar.h"
#include "profiles/customers.h"
#include "profiles/identifiers.h"

namespace tp::api {

bool SeesContactData(const Call& call);
// The caller's teams when they see only their teams' customers; std::nullopt for everyone else.
std::optional<std::vector<std::string>> TeamScope(const Call& call);
// kNotFound (as for a customer that does not exist) when an agent's teams have no case of the customer.
Status CheckCustomerVisible(store::TenantTx& tx, const Call& call, std::string_view customer_id);

// A profile as the API shows it, contact data removed unless `with_contact_data`.
Json CustomerJson(const profiles::Customer& customer, bool with_contact_data);
// Identifiers that are contact data (e-mail, phone, channel handles) are left out unless `with_contact_data`.
Json IdentifiersJson(const std::vector<profiles::IdentifierLink>& links, bool with_contact_data);

}  // namespace tp::api
