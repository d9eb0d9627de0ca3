// Customer profiles: the one record per customer that cases, feedback and (later) events, identity
// resolution and the timeline hang off. A profile holds a display name, the contact points (one e-mail,
// one phone in E.164) and free-form traits (a JSON object, as Segment's identify call carries).
//
//   TP_ASSIGN_OR_RETURN(Customer customer,
//                       CreateCustomer(tx, {.name = "Jana Nováková", .email = "Jana@Example.cz",
//                                           .phone = "+420 777 123 456"}, audit));
//   TP_ASSIGN_OR_RETURN(Page<Customer> page,
//                       ListCustomers(tx, {.search = "novak", .only_teams = principal.team_ids}, request));
//
// Every function works inside the transaction's tenant only: an id from another tenant is kNotFound.
// Lists are ordered by id (creation order) with cursor pagination; search and the team filter use
// indexes, so a page costs about the same at a million customers as at a thousand. Contact data is
// returned as stored: hiding it from roles without kContactDataRead is the caller's job (and so is
// setting CustomerQuery::search_contact_data to false for them).
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/money.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "profiles/identifiers.h"
#include "store/sql_params.h"
#include "store/store.h"

namespace tp::profiles {

inline constexpr std::size_t kMaxCustomerNameChars = 200;
inline constexpr std::size_t kMaxTraitsBytes = 16 * 1024;

// What a profile's orders (or refunds) add up to: exact, per currency, never summed across currencies.
struct MoneyTotals {
  std::map<std::string, std::int64_t> by_currency;
  // In the tenant's reporting currency at the rate configured when each amount arrived: one entry, or
  // more after the tenant changed its reporting currency.
  std::map<std::string, std::int64_t> reporting;
  // The part of by_currency for which no rate was configured, so it is missing from `reporting`.
  std::map<std::string, std::int64_t> unconverted;

  void Add(const Money& amount, const std::optional<Money>& reporting_amount);
  bool operator==(const MoneyTotals&) const = default;
};
// {"by_currency": {"CZK": "300.00"}, "reporting": {"EUR": "11.94"}, "unconverted": {}}: decimal text,
// how the API, exports and the stored profile show it.
nlohmann::json MoneyTotalsJson(const MoneyTotals& totals);
// The inverse; kInternal for a document MoneyTotalsJson did not write.
Result<MoneyTotals> MoneyTotalsFromJson(const nlohmann::json& document);

// Attributes computed from a profile's events and kept current by every write (ingest/).
struct ComputedAttributes {
  std::optional<Micros> first_seen_at;
  std::optional<Micros> last_seen_at;
  std::vector<std::string> channels;  // sorted: "web", "mobile", "server", "email", ...
  std::int64_t orders_count = 0;      // orders ("Order Completed"), each counted once (events::ApplyOrderFields)
  MoneyTotals revenue;
  std::int64_t refunds_count = 0;     // refunds ("Order Refunded")
  MoneyTotals refunded;
};

// Reads the customers.money column ({"revenue": …, "refunded": …}) into `computed`, for readers of the
// table other than GetCustomer (exports).
void ReadMoneyColumn(const std::string& text, ComputedAttributes& computed);

struct Customer {
  std::string id;  // "cus_…"
  std::string name;
  std::optional<std::string> email;  // lower-case
  std::optional<std::string> phone;  // E.164, "+420777123456"
  std::string traits_json = "{}";    // always a JSON object
  std::string trait_times_json = "{}";  // trait name → when its current value was set (micros)
  Micros created_at = 0;
  Micros updated_at = 0;
  // Set when this profile was merged into another: the id it redirects to (ingest/merges.h).
  std::optional<std::string> merged_into;
  ComputedAttributes computed;
};

struct NewCustomer {
  std::string name;  // may be empty: a profile can start from an e-mail or phone alone
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> traits_json;  // "{}" when absent
  // When the customer really became one (imports, demo data); now when absent. Not in the future.
  std::optional<Micros> created_at;
};

// Fields left empty stay as they are. email and phone are two-level: an empty outer optional keeps the
// value, an outer optional holding std::nullopt removes it.
struct CustomerPatch {
  std::optional<std::string> name;
  std::optional<std::optional<std::string>> email;
  std::optional<std::optional<std::string>> phone;
  std::optional<std::string> traits_json;  // replaces the whole traits object
};

struct CustomerQuery {
  // Case- and accent-insensitive: a prefix of the whole name or of any word in it ("novak" finds
  // "Jana Nováková"), a prefix of the e-mail address or of the phone number ("+420 777" finds
  // "+420777123456"), of a short text trait or a word in it ("brno" finds city "Brno"), or an exact
  // customer id. Not indexed, so not searched: traits whose value is a date or a time stamp
  // ("2024-01-31", "2024-01-31T10:15:00Z"), the parts of a name (first_name, last_name… : the name
  // itself finds them) and traits repeating the profile's own e-mail or phone (found as those).
  // Also exactly the value of any identifier (a user id, anonymous id, e-mail, phone, channel handle):
  // that finds its holder alone.
  std::optional<std::string> search;
  // False for callers who may not read contact data: the search then ignores e-mail, phone and every
  // name or trait that is contact data (profiles/contact_data.h), so a hit cannot reveal them.
  bool search_contact_data = true;
  // Without contact data, also the traits under these canonical keys (the tenant's own contact-data
  // keys, ContactDataClassifier::extra_keys; the default ones are never searchable without).
  std::vector<std::string> hidden_trait_keys;
  // When set, only customers with at least one case owned by one of these teams (an agent's view);
  // an empty list matches nothing.
  std::optional<std::vector<std::string>> only_teams;
  // Exact identifier filters (?user_id=, ?email=, ?phone=, ?anonymous_id=), values as the caller gave
  // them: the list holds only the customer who holds every one of them, or nothing. A malformed value
  // is kInvalidArgument naming its kind; one that is contact data (an e-mail, a phone, a user id that is
  // an e-mail address) with search_contact_data false is kPermissionDenied naming its kind, whether or
  // not anyone holds it, so the answer cannot confirm an address.
  std::vector<std::pair<IdentifierKind, std::string>> identifiers;
};

// Lower-cases and checks an e-mail address. kInvalidArgument field "email".
Result<std::string> NormaliseEmail(std::string_view email);
// Strips spaces, dashes and parentheses; the rest must be '+' and 8 to 15 digits (E.164).
// kInvalidArgument field "phone".
Result<std::string> NormalisePhone(std::string_view phone);

// kInvalidArgument field "name", "email", "phone", "traits" or "created_at"; kConflict field "email" or
// "phone" when another customer holds it as an identifier. Records "customer.create".
// `writer_teams`: the writer's teams when they see only their teams' customers. An e-mail or phone
// held by a customer they cannot see is then no conflict: the profile keeps it as its contact field,
// the holder keeps it as identifier, and the writer gets the answer a free address gets.
Result<Customer> CreateCustomer(store::TenantTx& tx, const NewCustomer& customer, const identity::AuditContext& audit,
                                const std::optional<std::vector<std::string>>& writer_teams = std::nullopt);
// kNotFound when the tenant has no such customer. A merged profile is returned as stored, with
// merged_into set (callers follow it with ingest::LiveCustomerId).
Result<Customer> GetCustomer(store::TenantTx& tx, std::string_view customer_id);
// True when the tenant has the customer (one indexed read, for the modules that reference customers).
Result<bool> CustomerExists(store::TenantTx& tx, std::string_view customer_id);
// The WHERE term (" AND …") that keeps the rows of a customer_id-bearing table whose customer has a
// case owned by one of `teams`: an agent's view of feedback, reviews and survey responses. An empty
// list keeps nothing; anonymous rows (customer_id NULL) never pass.
std::string AndCustomerServedByTeams(const std::vector<std::string>& teams, store::SqlParams& params);
// Lists live profiles only (merged ones redirect). kInvalidArgument field "search" when the search text has no letter or digit.
Result<Page<Customer>> ListCustomers(store::TenantTx& tx, const CustomerQuery& query, const PageRequest& page);
// True when the customer has a case owned by one of `team_ids` (false for an unknown customer).
Result<bool> CustomerVisibleToTeams(store::TenantTx& tx, std::string_view customer_id,
                                    const std::vector<std::string>& team_ids);
// Validates, and treats `writer_teams`, like CreateCustomer. A patch that changes nothing returns the
// customer and records nothing; otherwise records "customer.update" with the changed fields before and
// after.
Result<Customer> UpdateCustomer(store::TenantTx& tx, std::string_view customer_id, const CustomerPatch& patch,
                                const identity::AuditContext& audit,
                                const std::optional<std::vector<std::string>>& writer_teams = std::nullopt);

// Rewrites the customer's rows in the search index from its name, e-mail and phone (after a change made
// outside UpdateCustomer: ingestion, merges).
Status RewriteSearchTerms(store::TenantTx& tx, const Customer& customer);
// The same for many customers in a few statements (ingestion rewrites a whole batch's at once).
Status RewriteSearchTerms(store::TenantTx& tx, const std::vector<const Customer*>& customers);
// True when setting trait `name` to `value` (null: removing it) can change what finds the customer.
bool TraitChangeAffectsSearch(const std::string& name, const nlohmann::json& value);
// Removes the customer from the search index (merged and erased profiles are not found).
Status DeleteSearchTerms(store::TenantTx& tx, std::string_view customer_id);

// A new profile that starts from an event (no name or contact data yet, so nothing to index or audit:
// the event is the record), with its id, not yet stored: ingestion fills it from the batch and stores
// it whole with InsertProfiles, instead of inserting a bare row, reading it back and updating it.
Customer NewProfileFromEvent(Micros first_seen_at);
// Inserts profiles that are not stored yet, every column as given, in a few multi-row statements.
Status InsertProfiles(store::TenantTx& tx, const std::vector<const Customer*>& customers);
// Adds the search terms of customers that have none yet (created in this transaction): no delete first.
Status AddSearchTerms(store::TenantTx& tx, const std::vector<const Customer*>& customers);
// The stored customers among `customer_ids` (merged ones included), in a few statements, in no order.
Result<std::vector<Customer>> GetCustomers(store::TenantTx& tx, const std::vector<std::string>& customer_ids);
// Writes back stored profiles as ingestion and merges change them: name, contact data, traits with their
// times, the created time (an import may state an earlier one) and the computed attributes, in a few
// multi-row statements. Does not touch the search index (RewriteSearchTerms does, when a searched field
// changed).
Status SaveProfiles(store::TenantTx& tx, const std::vector<const Customer*>& customers);
Status SaveProfile(store::TenantTx& tx, const Customer& customer);

}  // namespace tp::profiles
