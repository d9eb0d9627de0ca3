#include "profiles/customers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <set>
#include <type_traits>
#include <utility>

#include "changes/kinds.h"
#include "common/ids.h"
#include "identity/validation.h"
#include "profiles/contact_data.h"
#include "profiles/identifiers.h"
#include "profiles/text.h"
#include "profiles/traits.h"
#include "store/sql_params.h"

namespace tp::profiles {
namespace {

using store::Sql;
using store::SqlParams;

using nlohmann::json;

constexpr std::string_view kIdPrefix = "cus_";
constexpr int kMaxTraitsDepth = 16;
constexpr std::size_t kMaxSearchChars = 200;
// Above this many matching terms a search walks the customers in id order instead of collecting the
// matches first (see SearchCondition).
constexpr std::int64_t kBroadSearchTerms = 10'000;

constexpr std::string_view kInsertCustomer =
    "INSERT INTO customers (tenant_id, id, name, email, phone, traits, trait_times, created_at, updated_at, "
    "first_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8)";
#define TP_CUSTOMER_COLUMNS                                                                                   \
  "id, name, email, phone, traits, created_at, updated_at, trait_times, merged_into, first_seen_at, last_seen_at, " \
  "channels, orders_count, refunds_count, money"
constexpr std::string_view kSelectCustomer =
    "SELECT " TP_CUSTOMER_COLUMNS " FROM customers WHERE tenant_id = $1 AND id = $2";
// Profiles ingestion creates, whole, many per statement (InsertProfiles).
constexpr std::string_view kInsertProfilesHead =
    "INSERT INTO customers (tenant_id, id, name, email, phone, traits, trait_times, created_at, updated_at, "
    "first_seen_at, last_seen_at, channels, orders_count, refunds_count, money) VALUES ";
// Rows per multi-row INSERT of profiles: powers of two up to this (14 parameters a row).
constexpr std::size_t kLargestProfilesInsert = 64;
// Profiles ingestion loads and saves, many per statement (GetCustomers, SaveProfiles). The saved rows
// are a VALUES list joined to customers: parameters arrive untyped, so PostgreSQL reads the list as
// text and the numbers are cast back.
constexpr std::string_view kSelectCustomersByIdHead =
    "SELECT " TP_CUSTOMER_COLUMNS " FROM customers WHERE tenant_id = $1 AND id IN (";
constexpr std::size_t kLargestCustomersSelect = 128;
constexpr std::string_view kSaveProfilesHead =
    "WITH saved (id, name, email, phone, traits, trait_times, created_at, updated_at, first_seen_at, last_seen_at, "
    "channels, orders_count, refunds_count, money) AS (VALUES ";
constexpr std::string_view kSaveProfilesTail =
    ") UPDATE customers SET name = saved.name, email = saved.email, phone = saved.phone, traits = saved.traits, "
    "trait_times = saved.trait_times, created_at = CAST(saved.created_at AS BIGINT), "
    "updated_at = CAST(saved.updated_at AS BIGINT), first_seen_at = CAST(saved.first_seen_at AS BIGINT), "
    "last_seen_at = CAST(saved.last_seen_at AS BIGINT), channels = saved.channels, "
    "orders_count = CAST(saved.orders_count AS BIGINT), refunds_count = CAST(saved.refunds_count AS BIGINT), "
    "money = saved.money FROM saved WHERE customers.tenant_id = $1 AND customers.id = saved.id";
constexpr std::string_view kCustomerExists = "SELECT 1 FROM customers WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kUpdateCustomer =
    "UPDATE customers SET name = $3, email = $4, phone = $5, traits = $6, trait_times = $7, updated_at = $8 "
    "WHERE tenant_id = $1 AND id = $2";

// Search terms: one row per (folded term, customer, kind). The primary key serves the prefix range;
// the second index serves broad searches (one probe per customer) and rewriting a customer's terms.
constexpr std::string_view kInsertTermsHead =
    "INSERT INTO customer_search_terms (tenant_id, term, customer_id, kind) VALUES ";
constexpr std::string_view kDeleteTerms = "DELETE FROM customer_search_terms WHERE tenant_id = $1 AND customer_id = $2";
constexpr std::string_view kDeleteTermsOfHead = "DELETE FROM customer_search_terms WHERE tenant_id = $1 AND customer_id IN (";
// Rows per multi-row INSERT of search terms, and customers per DELETE: powers of two up to these, so
// that a few statement texts (which the store caches) cover every count.
constexpr std::size_t kLargestTermsInsert = 256;
constexpr std::size_t kLargestTermsDelete = 64;
// Term kinds. A trait's terms are "trait:<canonical key>" so that a search can leave out the keys a
// tenant classifies as contact data after the terms were written; names and traits that are contact
// data by default (ContactDataClassifier) are "contact". (Terms written before the kinds carried the
// key are "trait"; only callers who see contact data match those.)
constexpr std::string_view kTermName = "name";
constexpr std::string_view kTermTraitPrefix = "trait:";
constexpr std::string_view kTermContact = "contact";
// Traits are searchable by their text values ("Brno", "vip"); long values are documents, not labels.
constexpr std::size_t kMaxSearchedTraits = 32;
constexpr std::size_t kMaxSearchedTraitBytes = 100;
constexpr std::string_view kNameTrait = "name";
constexpr std::string_view kTermEmail = "email";
constexpr std::string_view kTermPhone = "phone";

// List statements, assembled from these fragments (profiles/sql_params.h says why).
// The cursor condition sits inside the IN subqueries rather than on customers.id: with `id > $after` on
// the outer query SQLite walks the customers in id order testing each against the list, which for a
// rare name means reading every customer; with it inside, SQLite iterates the (sorted) list through
// the primary key and stops after the page.
constexpr std::string_view kSelectCustomers =
    "SELECT " TP_CUSTOMER_COLUMNS " FROM customers WHERE tenant_id = $1 AND merged_into IS NULL";
constexpr std::string_view kAndIdAfter = " AND id > ";
constexpr std::string_view kAndIdIs = " AND id = ";
constexpr std::string_view kAndIdInTermsAfter =
    " AND id IN (SELECT customer_id FROM customer_search_terms WHERE tenant_id = $1 AND customer_id > ";
constexpr std::string_view kAndHasTerm =
    " AND EXISTS (SELECT 1 FROM customer_search_terms WHERE customer_search_terms.tenant_id = $1 "
    "AND customer_search_terms.customer_id = customers.id";
constexpr std::string_view kCountTermsFrom =
    "SELECT COUNT(*) FROM (SELECT 1 FROM customer_search_terms WHERE tenant_id = $1";
constexpr std::string_view kLimit = " LIMIT ";
constexpr std::string_view kAsCapped = ") AS capped";
constexpr std::string_view kAndTermFrom = " AND term >= ";
constexpr std::string_view kAndTermBelow = " AND term < ";
// Without contact-data access a search matches names and traits only, less the tenant's contact keys.
constexpr std::string_view kAndKindIsNotContact = " AND (kind = 'name' OR kind LIKE 'trait:%')";
constexpr std::string_view kAndKindNotLike = " AND kind NOT LIKE ";
constexpr std::string_view kCloseParen = ")";
constexpr std::string_view kAndCustomerIdHasCaseOfTeams =
    " AND customer_id IN (SELECT customer_id FROM cases WHERE tenant_id = $1 AND team_id IN (";
constexpr std::string_view kAndNothing = " AND 1 = 0";
constexpr std::string_view kAndHasCaseOfTeams =
    " AND EXISTS (SELECT 1 FROM cases WHERE cases.tenant_id = $1 AND cases.customer_id = customers.id "
    "AND cases.team_id IN (";
constexpr std::string_view kCloseTwoParens = "))";
constexpr std::string_view kAndIdIn = " AND id IN (";
// One branch per team: the team's next customers in id order, read from the (tenant_id, team_id,
// customer_id) index and cut at the page size, so a page never reads more than teams × limit entries.
constexpr std::string_view kTeamCustomersFrom =
    "SELECT customer_id FROM (SELECT DISTINCT customer_id FROM cases WHERE tenant_id = $1 AND team_id = ";
constexpr std::string_view kAndCustomerAfter = " AND customer_id > ";
constexpr std::string_view kOrderByCustomerLimit = " ORDER BY customer_id LIMIT ";
constexpr std::string_view kAsTeamBranch = ") AS team_";
constexpr std::string_view kUnion = " UNION ";
constexpr std::string_view kOrderByIdLimit = " ORDER BY id LIMIT ";

constexpr std::string_view kCaseOfTeamsFrom =
    "SELECT 1 FROM cases WHERE tenant_id = $1 AND customer_id = $2 AND team_id IN (";
constexpr std::string_view kCloseParenLimitOne = ") LIMIT 1";

std::vector<std::string> SplitChannels(const std::string& channels) {
  std::vector<std::string> list;
  std::size_t begin = 0;
  while (begin < channels.size()) {
    std::size_t end = channels.find(',', begin);
    if (end == std::string::npos) end = channels.size();
    if (end > begin) list.push_back(channels.substr(begin, end - begin));
    begin = end + 1;
  }
  return list;
}

std::string JoinChannels(const std::vector<std::string>& channels) {
  std::string joined;
  for (const std::string& channel : channels) joined += (joined.empty() ? "" : ",") + channel;
  return joined;
}

// The customers.money column: {"revenue": MoneyTotalsJson, "refunded": MoneyTotalsJson}.
std::string MoneyColumn(const ComputedAttributes& computed) {
  nlohmann::json money = nlohmann::json::object();
  if (computed.revenue != MoneyTotals{}) money["revenue"] = MoneyTotalsJson(computed.revenue);
  if (computed.refunded != MoneyTotals{}) money["refunded"] = MoneyTotalsJson(computed.refunded);
  return money.dump();
}

Customer CustomerFromRow(const store::Row& row) {
  Customer customer{.id = row.Text(0),
                  .name = row.Text(1),
                  .email = row.OptionalText(2),
                  .phone = row.OptionalText(3),
                  .traits_json = row.Text(4),
                  .trait_times_json = row.Text(7),
                  .created_at = row.Int(5),
                  .updated_at = row.Int(6),
                  .merged_into = row.OptionalText(8),
                  .computed = {.first_seen_at = row.OptionalInt(9),
                               .last_seen_at = row.OptionalInt(10),
                               .channels = SplitChannels(row.Text(11)),
                               .orders_count = row.Int(12),
                               .refunds_count = row.Int(13)}};
  ReadMoneyColumn(row.Text(14), customer.computed);
  return customer;
}

// Points a contact point at the customer (identity resolution finds the profile by it); another
// customer holding it is kConflict naming the field, unless the writer cannot see that customer: then
// the contact point stays with its holder and the write succeeds as with a free one, so that the answer
// does not tell the writer that the address exists.
Status AttachContactPoint(store::TenantTx& tx, const std::string& customer_id, const Identifier& identifier, Micros at,
                          const std::optional<std::vector<std::string>>& writer_teams) {
  const Status attached = AttachIdentifier(tx, customer_id, identifier, at);
  if (attached.code() != ErrorCode::kConflict || !writer_teams) return attached;
  TP_ASSIGN_OR_RETURN(const std::optional<std::string> holder, FindCustomerByIdentifier(tx, identifier));
  if (!holder) return attached;
  TP_ASSIGN_OR_RETURN(const bool visible, CustomerVisibleToTeams(tx, *holder, *writer_teams));
  return visible ? attached : Status::Ok();
}

Status AttachContactIdentifiers(store::TenantTx& tx, const Customer& customer, Micros at,
                                const std::optional<std::vector<std::string>>& writer_teams) {
  if (customer.email) {
    TP_RETURN_IF_ERROR(
        AttachContactPoint(tx, customer.id, {IdentifierKind::kEmail, *customer.email}, at, writer_teams));
  }
  if (customer.phone) {
    TP_RETURN_IF_ERROR(
        AttachContactPoint(tx, customer.id, {IdentifierKind::kPhone, *customer.phone}, at, writer_teams));
  }
  return Status::Ok();
}

Status DetachReplaced(store::TenantTx& tx, const std::string& customer_id, IdentifierKind kind,
                      const std::optional<std::string>& before, const std::optional<std::string>& after) {
  if (!before || before == after) return Status::Ok();
  const Status status = DetachIdentifier(tx, customer_id, {kind, *before});
  return status.code() == ErrorCode::kNotFound ? Status::Ok() : status;
}

// Times for every trait of a whole traits object set at `at`.
std::string TraitTimes(const json& traits, Micros at) {
  json times = json::object();
  for (const auto& [name, value] : traits.items()) times[name] = at;
  return times.dump();
}

json OptionalJson(const std::optional<std::string>& value) { return value ? json(*value) : json(nullptr); }

// Traits as a JSON value for audit snapshots; rows written by this module always hold an object, but a
// row from elsewhere (a manual fix, a future import) must not make auditing throw.
json TraitsJson(const std::string& traits_json) {
  json traits = json::parse(traits_json, nullptr, false);
  return traits.is_discarded() ? json(traits_json) : traits;
}

json CustomerJson(const Customer& customer) {
  return json{{"id", customer.id},
              {"name", customer.name},
              {"email", OptionalJson(customer.email)},
              {"phone", OptionalJson(customer.phone)},
              {"traits", TraitsJson(customer.traits_json)},
              {"created_at", FormatTimestamp(customer.created_at)}};
}

// The deepest nesting of arrays and objects in `text`, counted without parsing so that a hostile
// document cannot exhaust the parser's stack first.
Result<std::string> NormaliseTraits(std::string_view traits_json) {
  if (traits_json.size() > kMaxTraitsBytes) return InvalidArgument("traits must be at most 16 KiB", "traits");
  if (JsonDepth(traits_json) > kMaxTraitsDepth) {
    return InvalidArgument("traits are nested more than " + std::to_string(kMaxTraitsDepth) + " levels", "traits");
  }
  const json traits = json::parse(traits_json, nullptr, false);
  if (!traits.is_object()) return InvalidArgument("traits must be a JSON object", "traits");
  return traits.dump();
}

Result<std::optional<std::string>> NormaliseOptional(const std::optional<std::string>& value,
                                                     Result<std::string> (*normalise)(std::string_view)) {
  if (!value) return std::optional<std::string>();
  TP_ASSIGN_OR_RETURN(std::string normalised, normalise(*value));
  return std::optional<std::string>(std::move(normalised));
}

// Short text traits (contact data among them, under its own kind). The `name` trait is not: the
// profile's name is what finds it (after a merge the trait may still hold the other profile's name).
bool IsSearchableTrait(std::string_view name, const json& value) {
  return name != kNameTrait && value.is_string() &&
         value.get_ref<const std::string&>().size() <= kMaxSearchedTraitBytes;
}

// The parts of a name (first_name, firstName, last_name, …): the profile's name, whole and word by word,
// already finds the customer by them, so indexing them again only costs index entries.
bool IsNamePartTrait(std::string_view name) {
  const std::string key = CanonicalKey(name);
  return key == "firstname" || key == "lastname" || key == "middlename" || key == "givenname" || key == "familyname" ||
         key == "surname";
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A date or a time stamp ("2024-01-31", "2024-01-31T10:15:00Z", "2024-01-31 10:15"): nobody finds a
// customer by the words of a signup time, and each such value split into "2024", "01", "31t10"… put
// half a dozen entries per customer at scattered places in the index.
bool IsDateOrTimestamp(std::string_view text) {
  if (text.size() < 10) return false;
  for (std::size_t i = 0; i < 10; ++i) {
    const bool separator = i == 4 || i == 7;
    if (separator ? text[i] != '-' : !IsDigit(text[i])) return false;
  }
  if (text.size() == 10) return true;
  return (text[10] == 'T' || text[10] == 't' || text[10] == ' ') && text.size() > 11 && IsDigit(text[11]);
}

}  // namespace

bool TraitChangeAffectsSearch(const std::string& name, const json& value) {
  return IsSearchableTrait(name, value) || value.is_null();
}

namespace {

// The folded terms a customer is found by, deduplicated.
std::set<std::pair<std::string, std::string>> SearchTermsOf(const Customer& customer) {
  std::set<std::pair<std::string, std::string>> terms;
  const std::string name_kind(ContactDataClassifier::ContainsContactText(customer.name) ? kTermContact : kTermName);
  const std::vector<std::string> words = SearchWords(customer.name);
  for (const std::string& word : words) terms.emplace(word, name_kind);
  if (words.size() > 1) terms.emplace(SearchKey(customer.name), name_kind);
  if (customer.email) terms.emplace(SearchKey(*customer.email), kTermEmail);
  const json traits = json::parse(customer.traits_json, nullptr, false);
  if (traits.is_object()) {
    std::size_t indexed = 0;
    for (const auto& [name, value] : traits.items()) {
      if (!IsSearchableTrait(name, value) || IsNamePartTrait(name)) continue;
      const std::string& text = value.get_ref<const std::string&>();
      // The profile's own e-mail and phone are indexed as such below; dates are not searched.
      if (text == customer.email || text == customer.phone || IsDateOrTimestamp(text)) continue;
      if (++indexed > kMaxSearchedTraits) break;
      const std::string kind =
          ContactDataClassifier::IsDefaultContactKey(name) || ContactDataClassifier::ContainsContactText(text)
              ? std::string(kTermContact)
              : std::string(kTermTraitPrefix) + CanonicalKey(name);
      for (const std::string& word : SearchWords(text)) terms.emplace(word, kind);
      terms.emplace(SearchKey(text), kind);
    }
  }
  if (customer.phone) terms.emplace(SearchKey(*customer.phone), kTermPhone);
  return terms;
}

Status InsertSearchTerms(store::TenantTx& tx, const std::vector<const Customer*>& customers) {
  struct TermRow {
    const std::string* customer_id;
    std::string term;
    std::string kind;
  };
  std::vector<TermRow> rows;
  for (const Customer* customer : customers) {
    for (auto& [term, kind] : SearchTermsOf(*customer)) rows.push_back({&customer->id, term, kind});
  }
  for (std::size_t begin = 0; begin < rows.size();) {
    std::size_t chunk = kLargestTermsInsert;
    while (chunk > rows.size() - begin) chunk /= 2;
    SqlParams params;
    std::string sql(kInsertTermsHead);
    for (std::size_t i = begin; i < begin + chunk; ++i) {
      if (i > begin) sql += ", ";
      sql += Sql({"($1, ", params.Bind(rows[i].term), ", ", params.Bind(*rows[i].customer_id), ", ",
                  params.Bind(rows[i].kind), ")"});
    }
    TP_RETURN_IF_ERROR(tx.Execute(sql, params.values()).status());
    begin += chunk;
  }
  return Status::Ok();
}

// Applies one field of a patch: records the change in the audit snapshots when the value differs.
template <typename T>
void ApplyField(std::string_view field, T& current, T updated, json& before, json& after) {
  if (current == updated) return;
  if constexpr (std::is_same_v<T, std::optional<std::string>>) {
    before[std::string(field)] = OptionalJson(current);
    after[std::string(field)] = OptionalJson(updated);
  } else {
    before[std::string(field)] = current;
    after[std::string(field)] = updated;
  }
  current = std::move(updated);
}

// An exact id in any letter case ("CUS_01j…" or "cus_01J…"), as pasted from a URL or a log.
std::optional<std::string> AsCustomerId(std::string_view search) {
  const std::string_view trimmed = identity::TrimAscii(search);
  if (trimmed.size() <= kIdPrefix.size()) return std::nullopt;
  std::string id(kIdPrefix);
  for (char c : trimmed.substr(kIdPrefix.size())) id += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  std::string prefix(trimmed.substr(0, kIdPrefix.size()));
  for (char& c : prefix) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (prefix != kIdPrefix || !LooksLikeId(id, kIdPrefix)) return std::nullopt;
  return id;
}

// The conditions on customer_search_terms that select the terms starting with `key` that the query may
// match. A canonical key is letters and digits only, so it needs no escaping inside a LIKE pattern.
std::string TermConditions(SqlParams& params, const std::string& key, const CustomerQuery& query) {
  std::string sql = Sql({kAndTermFrom, params.Bind(key)});
  if (const std::optional<std::string> bound = PrefixUpperBound(key)) sql += Sql({kAndTermBelow, params.Bind(*bound)});
  if (query.search_contact_data) return sql;
  sql += kAndKindIsNotContact;
  for (const std::string& hidden : query.hidden_trait_keys) {
    const std::string prefix = std::string(kTermTraitPrefix);
    sql +=
        Sql({kAndKindNotLike, params.Bind(prefix + hidden + "%"), kAndKindNotLike, params.Bind(prefix + "%" + hidden)});
  }
  return sql;
}

// The customer whose identifier of any kind is exactly the search text (a user id as the company
// knows it, an anonymous id, an e-mail address, a phone number, a channel handle), so that
// `?q=u1` finds user u1. Contact identifiers count only for callers who see contact data.
Result<std::optional<std::string>> HolderOfIdentifier(store::TenantTx& tx, const CustomerQuery& query) {
  std::vector<Identifier> candidates;
  for (const IdentifierKind kind : AllIdentifierKinds()) {
    Result<Identifier> identifier = NormaliseIdentifier(kind, *query.search);
    if (!identifier.ok()) continue;
    if (!query.search_contact_data && IsContactIdentifier(identifier->kind, identifier->value)) continue;
    candidates.push_back(std::move(*identifier));
  }
  if (candidates.empty()) return std::optional<std::string>();
  TP_ASSIGN_OR_RETURN(const std::vector<IdentifierLink> links, FindIdentifierLinks(tx, candidates));
  // The strongest kind wins when two people hold the same text under different kinds.
  const IdentifierLink* best = nullptr;
  for (const IdentifierLink& link : links) {
    if (!best || IdentifierStrength(link.identifier.kind) > IdentifierStrength(best->identifier.kind)) best = &link;
  }
  if (!best) return std::optional<std::string>();
  return std::optional<std::string>(best->customer_id);
}

// The one customer holding every identifier the query filters by; std::nullopt when nobody does.
Result<std::optional<std::string>> HolderOfEvery(store::TenantTx& tx, const CustomerQuery& query) {
  std::vector<Identifier> wanted;
  for (const auto& [kind, value] : query.identifiers) {
    TP_ASSIGN_OR_RETURN(Identifier identifier, NormaliseIdentifier(kind, value));
    if (!query.search_contact_data && IsContactIdentifier(identifier.kind, identifier.value)) {
      const std::string field(IdentifierKindName(kind));
      return Status(ErrorCode::kPermissionDenied,
                    "filtering customers by " + field + " needs the contact_data:read permission", field);
    }
    wanted.push_back(std::move(identifier));
  }
  TP_ASSIGN_OR_RETURN(const std::vector<IdentifierLink> links, FindIdentifierLinks(tx, wanted));
  std::optional<std::string> holder;
  for (const Identifier& identifier : wanted) {
    const auto link = std::find_if(links.begin(), links.end(),
                                   [&](const IdentifierLink& found) { return found.identifier == identifier; });
    if (link == links.end() || (holder && *holder != link->customer_id)) return std::optional<std::string>();
    holder = link->customer_id;
  }
  return holder;
}

// The WHERE terms for a search (including the cursor). A narrow search collects its matches from the
// term index and reads them through the primary key: cheap while the matches are few. A broad one
// ("a", typed into a search box) matches a large share of all customers, so collecting is the
// expensive part; walking the customers in id order and probing each one's terms fills a page after a
// few hundred probes instead. A capped count of the matching terms (one short index range) decides.
Result<std::string> SearchCondition(store::TenantTx& tx, const CustomerQuery& query, SqlParams& params,
                                    const std::string& after_param) {
  const std::optional<std::size_t> search_length = identity::Utf8Length(*query.search);
  if (!search_length || *search_length > kMaxSearchChars) {
    return InvalidArgument("search must be valid UTF-8 of at most " + std::to_string(kMaxSearchChars) + " characters",
                           "search");
  }
  if (const std::optional<std::string> id = AsCustomerId(*query.search)) {
    return Sql({kAndIdIs, params.Bind(*id), kAndIdAfter, after_param});
  }
  TP_ASSIGN_OR_RETURN(const std::optional<std::string> holder, HolderOfIdentifier(tx, query));
  if (holder) return Sql({kAndIdIs, params.Bind(*holder), kAndIdAfter, after_param});
  const std::string key = SearchKey(*query.search);
  if (key.empty()) return InvalidArgument("search must contain a letter or a digit", "search");

  SqlParams count_params;
  const std::string count_sql = Sql({kCountTermsFrom, TermConditions(count_params, key, query), kLimit,
                                     count_params.Bind(kBroadSearchTerms), kAsCapped});
  TP_ASSIGN_OR_RETURN(const store::Rows counted, tx.Query(count_sql, count_params.values()));
  const bool broad = !counted.empty() && counted.front().Int(0) >= kBroadSearchTerms;
  if (broad) {
    return Sql({kAndIdAfter, after_param, kAndHasTerm, TermConditions(params, key, query), kCloseParen});
  }
  return Sql({kAndIdInTermsAfter, after_param, TermConditions(params, key, query), kCloseParen});
}

Result<Page<Customer>> QueryCustomers(store::TenantTx& tx, std::string_view sql, const SqlParams& params,
                                      int limit) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Customer> customers;
  customers.reserve(rows.size());
  for (const store::Row& row : rows) customers.push_back(CustomerFromRow(row));
  return MakePage(std::move(customers), limit, [](const Customer& customer) { return customer.id; });
}

}  // namespace

Result<std::string> NormaliseEmail(std::string_view email) { return identity::ValidEmail(email, "email"); }

Result<std::string> NormalisePhone(std::string_view phone) {
  std::string normalised;
  for (char c : phone) {
    if (c == ' ' || c == '-' || c == '(' || c == ')') continue;
    normalised += c;
  }
  const Status invalid =
      InvalidArgument("phone must be in international format: + and 8 to 15 digits, e.g. +420777123456", "phone");
  if (normalised.size() < kMinPhoneDigits + 1 || normalised.size() > kMaxPhoneDigits + 1 || normalised[0] != '+') {
    return invalid;
  }
  for (char c : std::string_view(normalised).substr(1)) {
    if (c < '0' || c > '9') return invalid;
  }
  return normalised;
}

Result<Customer> CreateCustomer(store::TenantTx& tx, const NewCustomer& input, const identity::AuditContext& audit,
                                const std::optional<std::vector<std::string>>& writer_teams) {
  const Micros now = NowMicros();
  Customer customer;
  TP_ASSIGN_OR_RETURN(customer.name, CleanLine(input.name, "name", kMaxCustomerNameChars, /*required=*/false));
  TP_ASSIGN_OR_RETURN(customer.email, NormaliseOptional(input.email, NormaliseEmail));
  TP_ASSIGN_OR_RETURN(customer.phone, NormaliseOptional(input.phone, NormalisePhone));
  if (input.traits_json) {
    TP_ASSIGN_OR_RETURN(customer.traits_json, NormaliseTraits(*input.traits_json));
  }
  if (input.created_at) TP_RETURN_IF_ERROR(CheckClientTimestamp(*input.created_at, now, "created_at"));
  customer.id = NewId(kIdPrefix);
  customer.created_at = input.created_at.value_or(now);
  customer.updated_at = customer.created_at;

  const json traits = json::parse(customer.traits_json);
  customer.trait_times_json = TraitTimes(traits, customer.created_at);
  customer.computed.first_seen_at = customer.created_at;
  TP_RETURN_IF_ERROR(tx.Execute(kInsertCustomer, {customer.id, customer.name, store::Nullable(customer.email),
                                                  store::Nullable(customer.phone), customer.traits_json,
                                                  customer.trait_times_json, customer.created_at}));
  TP_RETURN_IF_ERROR(AttachContactIdentifiers(tx, customer, customer.created_at, writer_teams));
  TP_RETURN_IF_ERROR(RecordTraitHistory(tx, customer.id, DiffTraits(json::object(), traits, customer.created_at), "api"));
  TP_RETURN_IF_ERROR(InsertSearchTerms(tx, {&customer}));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "customer.create", "customer", customer.id, {},
                                           CustomerJson(customer).dump()));
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCustomerCreated, customer.id, json{{"customer_id", customer.id}}.dump()));
  return customer;
}

Result<Customer> GetCustomer(store::TenantTx& tx, std::string_view customer_id) {
  if (!LooksLikeId(customer_id, kIdPrefix)) return NotFound("no such customer");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectCustomer, {std::string(customer_id)}));
  if (!row) return NotFound("no such customer");
  return CustomerFromRow(*row);
}

std::string AndCustomerServedByTeams(const std::vector<std::string>& teams, store::SqlParams& params) {
  if (teams.empty()) return std::string(kAndNothing);
  return Sql({kAndCustomerIdHasCaseOfTeams, params.BindList(teams), kCloseTwoParens});
}

Result<bool> CustomerExists(store::TenantTx& tx, std::string_view customer_id) {
  if (!LooksLikeId(customer_id, kIdPrefix)) return false;
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kCustomerExists, {std::string(customer_id)}));
  return row.has_value();
}

Result<Page<Customer>> ListCustomers(store::TenantTx& tx, const CustomerQuery& query, const PageRequest& page) {
  std::optional<std::string> holder;
  if (!query.identifiers.empty()) {
    TP_ASSIGN_OR_RETURN(holder, HolderOfEvery(tx, query));
    if (!holder) return Page<Customer>{};
  }
  if (query.only_teams && query.only_teams->empty()) return Page<Customer>{};
  SqlParams params;
  std::string sql(kSelectCustomers);
  const std::string after_param = params.Bind(page.after_id);
  const std::string limit_param = params.Bind(std::int64_t{page.limit} + 1);

  if (holder) {
    // One candidate: the search and the team filter only have to confirm it.
    sql += Sql({kAndIdIs, params.Bind(*holder), kAndIdAfter, after_param});
    if (query.search) {
      TP_ASSIGN_OR_RETURN(const std::string condition, SearchCondition(tx, query, params, after_param));
      sql += condition;
    }
    if (query.only_teams) sql += Sql({kAndHasCaseOfTeams, params.BindList(*query.only_teams), kCloseTwoParens});
  } else if (query.search) {
    TP_ASSIGN_OR_RETURN(const std::string condition, SearchCondition(tx, query, params, after_param));
    sql += condition;
    if (query.only_teams) sql += Sql({kAndHasCaseOfTeams, params.BindList(*query.only_teams), kCloseTwoParens});
  } else if (query.only_teams) {
    // Without a search the teams' cases drive the query, so an agent of a small team does not walk
    // every customer of the tenant to fill a page.
    sql += kAndIdIn;
    for (size_t team_idx = 0; team_idx < query.only_teams->size(); ++team_idx) {
      if (team_idx > 0) sql += kUnion;
      sql += Sql({kTeamCustomersFrom, params.Bind((*query.only_teams)[team_idx]), kAndCustomerAfter, after_param,
                  kOrderByCustomerLimit, limit_param, kAsTeamBranch, std::to_string(team_idx)});
    }
    sql += kCloseParen;
  } else {
    sql += Sql({kAndIdAfter, after_param});
  }
  sql += Sql({kOrderByIdLimit, limit_param});
  return QueryCustomers(tx, sql, params, page.limit);
}

Result<bool> CustomerVisibleToTeams(store::TenantTx& tx, std::string_view customer_id,
                                    const std::vector<std::string>& team_ids) {
  if (team_ids.empty() || !LooksLikeId(customer_id, kIdPrefix)) return false;
  SqlParams params;
  params.Bind(std::string(customer_id));
  const std::string sql = Sql({kCaseOfTeamsFrom, params.BindList(team_ids), kCloseParenLimitOne});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  return !rows.empty();
}

Result<Customer> UpdateCustomer(store::TenantTx& tx, std::string_view customer_id, const CustomerPatch& patch,
                                const identity::AuditContext& audit,
                                const std::optional<std::vector<std::string>>& writer_teams) {
  TP_ASSIGN_OR_RETURN(Customer customer, GetCustomer(tx, customer_id));
  json before = json::object();
  json after = json::object();
  const Customer original = customer;
  if (patch.name) {
    TP_ASSIGN_OR_RETURN(std::string name, CleanLine(*patch.name, "name", kMaxCustomerNameChars, false));
    ApplyField("name", customer.name, std::move(name), before, after);
  }
  if (patch.email) {
    TP_ASSIGN_OR_RETURN(std::optional<std::string> email, NormaliseOptional(*patch.email, NormaliseEmail));
    ApplyField("email", customer.email, std::move(email), before, after);
  }
  if (patch.phone) {
    TP_ASSIGN_OR_RETURN(std::optional<std::string> phone, NormaliseOptional(*patch.phone, NormalisePhone));
    ApplyField("phone", customer.phone, std::move(phone), before, after);
  }
  const Micros now = NowMicros();
  std::vector<TraitChange> trait_changes;
  if (patch.traits_json) {
    TP_ASSIGN_OR_RETURN(std::string traits, NormaliseTraits(*patch.traits_json));
    if (traits != customer.traits_json) {
      before["traits"] = TraitsJson(customer.traits_json);
      after["traits"] = TraitsJson(traits);
      trait_changes = DiffTraits(TraitsJson(customer.traits_json), TraitsJson(traits), now);
      json times = StoredObject(customer.trait_times_json);
      for (const TraitChange& change : trait_changes) {
        if (change.value.is_null()) {
          times.erase(change.name);
        } else {
          times[change.name] = now;
        }
      }
      customer.trait_times_json = times.dump();
      customer.traits_json = std::move(traits);
    }
  }
  if (after.empty()) return customer;

  customer.updated_at = now;
  TP_RETURN_IF_ERROR(tx.Execute(kUpdateCustomer, {customer.id, customer.name, store::Nullable(customer.email),
                                                  store::Nullable(customer.phone), customer.traits_json,
                                                  customer.trait_times_json, customer.updated_at}));
  // A corrected address replaces the old one as an identifier; a removed one stops identifying.
  TP_RETURN_IF_ERROR(DetachReplaced(tx, customer.id, IdentifierKind::kEmail, original.email, customer.email));
  TP_RETURN_IF_ERROR(DetachReplaced(tx, customer.id, IdentifierKind::kPhone, original.phone, customer.phone));
  TP_RETURN_IF_ERROR(AttachContactIdentifiers(tx, customer, now, writer_teams));
  TP_RETURN_IF_ERROR(RecordTraitHistory(tx, customer.id, trait_changes, "api"));
  if (customer.name != original.name || customer.email != original.email || customer.phone != original.phone ||
      customer.traits_json != original.traits_json) {
    TP_RETURN_IF_ERROR(RewriteSearchTerms(tx, customer));
  }
  TP_RETURN_IF_ERROR(
      identity::RecordAudit(tx, audit, "customer.update", "customer", customer.id, before.dump(), after.dump()));
  json fields = json::array();
  for (const auto& [field, value] : after.items()) fields.push_back(field);
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCustomerUpdated, customer.id,
                                json{{"customer_id", customer.id}, {"fields", std::move(fields)}}.dump()));
  return customer;
}

Status RewriteSearchTerms(store::TenantTx& tx, const Customer& customer) {
  TP_RETURN_IF_ERROR(DeleteSearchTerms(tx, customer.id));
  return InsertSearchTerms(tx, {&customer});
}

Status RewriteSearchTerms(store::TenantTx& tx, const std::vector<const Customer*>& customers) {
  for (std::size_t begin = 0; begin < customers.size(); begin += kLargestTermsDelete) {
    std::vector<std::string> ids;
    for (std::size_t i = begin; i < std::min(customers.size(), begin + kLargestTermsDelete); ++i) {
      ids.push_back(customers[i]->id);
    }
    SqlParams params;
    TP_RETURN_IF_ERROR(tx.Execute(Sql({kDeleteTermsOfHead, params.BindList(ids), kCloseParen}), params.values()).status());
  }
  return InsertSearchTerms(tx, customers);
}

Status DeleteSearchTerms(store::TenantTx& tx, std::string_view customer_id) {
  return tx.Execute(kDeleteTerms, {std::string(customer_id)}).status();
}

Customer NewProfileFromEvent(Micros first_seen_at) {
  return Customer{.id = NewId(kIdPrefix),
                  .created_at = first_seen_at,
                  .updated_at = first_seen_at,
                  .computed = {.first_seen_at = first_seen_at}};
}

namespace {

// Runs `head` + one row of every stored column per customer (in the order of kInsertProfilesHead after
// the tenant) + `tail`, for chunks of customers whose sizes are powers of two up to
// kLargestProfilesInsert (a few statement texts cover every count). `tenant_placeholder` starts each
// row with the tenant ("$1, ") where the statement's rows name it.
Status ExecuteProfileRows(store::TenantTx& tx, const std::vector<const Customer*>& customers, std::string_view head,
                          std::string_view tenant_placeholder, std::string_view tail) {
  for (std::size_t begin = 0; begin < customers.size();) {
    std::size_t chunk = kLargestProfilesInsert;
    while (chunk > customers.size() - begin) chunk /= 2;
    SqlParams params;
    std::string sql(head);
    for (std::size_t i = begin; i < begin + chunk; ++i) {
      const Customer& customer = *customers[i];
      const ComputedAttributes& computed = customer.computed;
      if (i > begin) sql += ", ";
      sql += Sql({"(",     tenant_placeholder, params.Bind(customer.id),
                  ", ",    params.Bind(customer.name),
                  ", ",    params.Bind(store::Nullable(customer.email)),
                  ", ",    params.Bind(store::Nullable(customer.phone)),
                  ", ",    params.Bind(customer.traits_json),
                  ", ",    params.Bind(customer.trait_times_json),
                  ", ",    params.Bind(customer.created_at),
                  ", ",    params.Bind(customer.updated_at),
                  ", ",    params.Bind(store::Nullable(computed.first_seen_at)),
                  ", ",    params.Bind(store::Nullable(computed.last_seen_at)),
                  ", ",    params.Bind(JoinChannels(computed.channels)),
                  ", ",    params.Bind(computed.orders_count),
                  ", ",    params.Bind(computed.refunds_count),
                  ", ",    params.Bind(MoneyColumn(computed)),
                  ")"});
    }
    sql += tail;
    TP_RETURN_IF_ERROR(tx.Execute(sql, params.values()).status());
    begin += chunk;
  }
  return Status::Ok();
}

}  // namespace

Status InsertProfiles(store::TenantTx& tx, const std::vector<const Customer*>& customers) {
  return ExecuteProfileRows(tx, customers, kInsertProfilesHead, "$1, ", "");
}

Status SaveProfiles(store::TenantTx& tx, const std::vector<const Customer*>& customers) {
  return ExecuteProfileRows(tx, customers, kSaveProfilesHead, "", kSaveProfilesTail);
}

Result<std::vector<Customer>> GetCustomers(store::TenantTx& tx, const std::vector<std::string>& customer_ids) {
  std::vector<Customer> customers;
  customers.reserve(customer_ids.size());
  for (std::size_t begin = 0; begin < customer_ids.size(); begin += kLargestCustomersSelect) {
    const std::vector<std::string> chunk(
        customer_ids.begin() + static_cast<std::ptrdiff_t>(begin),
        customer_ids.begin() + static_cast<std::ptrdiff_t>(std::min(customer_ids.size(), begin + kLargestCustomersSelect)));
    SqlParams params;
    TP_ASSIGN_OR_RETURN(store::Rows rows,
                        tx.Query(Sql({kSelectCustomersByIdHead, params.BindList(chunk), kCloseParen}), params.values()));
    for (const store::Row& row : rows) customers.push_back(CustomerFromRow(row));
  }
  return customers;
}

Status AddSearchTerms(store::TenantTx& tx, const std::vector<const Customer*>& customers) {
  return InsertSearchTerms(tx, customers);
}

void ReadMoneyColumn(const std::string& text, ComputedAttributes& computed) {
  const nlohmann::json money = nlohmann::json::parse(text, nullptr, false);
  if (!money.is_object()) return;
  for (auto [key, totals] : {std::pair{"revenue", &computed.revenue}, std::pair{"refunded", &computed.refunded}}) {
    if (const auto it = money.find(key); it != money.end()) {
      if (Result<MoneyTotals> parsed = MoneyTotalsFromJson(*it); parsed.ok()) *totals = std::move(*parsed);
    }
  }
}

void MoneyTotals::Add(const Money& amount, const std::optional<Money>& reporting_amount) {
  by_currency[amount.currency] = AddAmounts(by_currency[amount.currency], amount.amount);
  if (reporting_amount) {
    reporting[reporting_amount->currency] = AddAmounts(reporting[reporting_amount->currency], reporting_amount->amount);
  } else {
    unconverted[amount.currency] = AddAmounts(unconverted[amount.currency], amount.amount);
  }
}

nlohmann::json MoneyTotalsJson(const MoneyTotals& totals) {
  nlohmann::json document = nlohmann::json::object();
  for (const auto& [key, amounts] : {std::pair{"by_currency", &totals.by_currency},
                                     std::pair{"reporting", &totals.reporting},
                                     std::pair{"unconverted", &totals.unconverted}}) {
    nlohmann::json& out = document[key] = nlohmann::json::object();
    for (const auto& [currency, amount] : *amounts) out[currency] = FormatAmount(amount);
  }
  return document;
}

Result<MoneyTotals> MoneyTotalsFromJson(const nlohmann::json& document) {
  MoneyTotals totals;
  if (!document.is_object()) return Internal("a money total is not a JSON object");
  for (auto [key, amounts] : {std::pair{"by_currency", &totals.by_currency}, std::pair{"reporting", &totals.reporting},
                              std::pair{"unconverted", &totals.unconverted}}) {
    const auto it = document.find(key);
    if (it == document.end()) continue;
    if (!it->is_object()) return Internal(std::string("money total ") + key + " is not an object");
    for (const auto& [currency, amount] : it->items()) {
      if (!amount.is_string()) return Internal("a money amount is not decimal text");
      const Result<std::int64_t> parsed = ParseAmountText(amount.get<std::string>(), key);
      if (!parsed.ok()) return Internal("a stored money amount does not parse: " + parsed.status().message());
      (*amounts)[currency] = *parsed;
    }
  }
  return totals;
}

Status SaveProfile(store::TenantTx& tx, const Customer& customer) { return SaveProfiles(tx, {&customer}); }

}  // namespace tp::profiles
