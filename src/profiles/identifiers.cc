#include "profiles/identifiers.h"

#include <algorithm>
#include <array>
#include <map>

#include "common/channels.h"
#include "identity/validation.h"
#include "profiles/customers.h"
#include "store/sql_params.h"
#include "profiles/text.h"

namespace tp::profiles {
namespace {

using store::Sql;
using store::SqlParams;

struct KindInfo {
  IdentifierKind kind;
  std::string_view name;
  int strength;
};

// The contact points and channel handles are named after the channel they address (common/channels.h).
constexpr std::array kKinds = {
    KindInfo{IdentifierKind::kUserId, "user_id", 6},
    KindInfo{IdentifierKind::kEmail, ChannelName(Channel::kEmail), 5},
    KindInfo{IdentifierKind::kPhone, ChannelName(Channel::kPhone), 4},
    KindInfo{IdentifierKind::kWhatsapp, ChannelName(Channel::kWhatsapp), 3},
    KindInfo{IdentifierKind::kMessenger, ChannelName(Channel::kMessenger), 3},
    KindInfo{IdentifierKind::kTelegram, ChannelName(Channel::kTelegram), 3},
    KindInfo{IdentifierKind::kWebchat, ChannelName(Channel::kWebchat), 2},
    KindInfo{IdentifierKind::kAnonymousId, "anonymous_id", 1},
};

const KindInfo& InfoOf(IdentifierKind kind) {
  for (const KindInfo& info : kKinds) {
    if (info.kind == kind) return info;
  }
  return kKinds.front();
}

constexpr std::string_view kSelectOwner =
    "SELECT customer_id FROM customer_identifiers WHERE tenant_id = $1 AND kind = $2 AND value = $3";
constexpr std::string_view kSelectLinksHead =
    "SELECT kind, value, customer_id, created_at FROM customer_identifiers WHERE tenant_id = $1 AND kind = ";
constexpr std::string_view kInsertIdentifier =
    "INSERT INTO customer_identifiers (tenant_id, kind, value, customer_id, created_at) VALUES ($1, $2, $3, $4, $5) "
    "ON CONFLICT (tenant_id, kind, value) DO NOTHING";
constexpr std::string_view kInsertIdentifiersHead =
    "INSERT INTO customer_identifiers (tenant_id, kind, value, customer_id, created_at) VALUES ";
constexpr std::string_view kOnConflictDoNothing = " ON CONFLICT (tenant_id, kind, value) DO NOTHING";
// Rows per multi-row INSERT: powers of two up to this, so a few statement texts cover every count.
constexpr std::size_t kLargestIdentifiersInsert = 128;
constexpr std::string_view kSelectOfCustomer =
    "SELECT kind, value, customer_id, created_at FROM customer_identifiers WHERE tenant_id = $1 AND customer_id = $2 "
    "ORDER BY kind, value";
constexpr std::string_view kDeleteIdentifier =
    "DELETE FROM customer_identifiers WHERE tenant_id = $1 AND customer_id = $2 AND kind = $3 AND value = $4";

IdentifierLink LinkFromRow(const store::Row& row) {
  const Result<IdentifierKind> kind = ParseIdentifierKind(row.Text(0));
  return IdentifierLink{.identifier = {kind.ok() ? *kind : IdentifierKind::kAnonymousId, row.Text(1)},
                        .customer_id = row.Text(2),
                        .created_at = row.Int(3)};
}

}  // namespace

std::string_view IdentifierKindName(IdentifierKind kind) { return InfoOf(kind).name; }

Result<IdentifierKind> ParseIdentifierKind(std::string_view name) {
  for (const KindInfo& info : kKinds) {
    if (info.name == name) return info.kind;
  }
  return InvalidArgument("unknown identifier kind '" + std::string(name) + "'", "kind");
}

const std::vector<IdentifierKind>& AllIdentifierKinds() {
  static const std::vector<IdentifierKind> kinds = [] {
    std::vector<IdentifierKind> all;
    for (const KindInfo& info : kKinds) all.push_back(info.kind);
    return all;
  }();
  return kinds;
}

bool ProfileMayHoldMany(IdentifierKind kind) { return kind != IdentifierKind::kUserId; }

int IdentifierStrength(IdentifierKind kind) { return InfoOf(kind).strength; }

Result<Identifier> NormaliseIdentifier(IdentifierKind kind, std::string_view value, std::string_view field) {
  const std::string field_name(field.empty() ? IdentifierKindName(kind) : field);
  switch (kind) {
    case IdentifierKind::kEmail: {
      TP_ASSIGN_OR_RETURN(std::string email, identity::ValidEmail(value, field_name));
      return Identifier{kind, std::move(email)};
    }
    case IdentifierKind::kPhone:
    case IdentifierKind::kWhatsapp: {
      Result<std::string> phone = NormalisePhone(value);
      if (!phone.ok()) return InvalidArgument(phone.status().message(), field_name);
      return Identifier{kind, *std::move(phone)};
    }
    default: {
      TP_ASSIGN_OR_RETURN(std::string cleaned, CleanLine(value, field_name, kMaxIdentifierChars, /*required=*/true));
      return Identifier{kind, std::move(cleaned)};
    }
  }
}

Result<std::optional<std::string>> FindCustomerByIdentifier(store::TenantTx& tx, const Identifier& identifier) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(kSelectOwner, {std::string(IdentifierKindName(identifier.kind)), identifier.value}));
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(row->Text(0));
}

Result<std::vector<IdentifierLink>> FindIdentifierLinks(store::TenantTx& tx,
                                                        const std::vector<Identifier>& identifiers) {
  // One `kind = … AND value IN (…)` range per kind and chunk: each value is a primary-key probe. (A
  // chain of `(kind = … AND value = …) OR …` made SQLite scan the tenant's identifiers instead.)
  constexpr std::size_t kChunk = 64;
  std::map<IdentifierKind, std::vector<std::string>> values_by_kind;
  for (const Identifier& identifier : identifiers) values_by_kind[identifier.kind].push_back(identifier.value);
  std::vector<IdentifierLink> links;
  for (const auto& [kind, values] : values_by_kind) {
    for (std::size_t begin = 0; begin < values.size(); begin += kChunk) {
      const std::vector<std::string> chunk(values.begin() + static_cast<std::ptrdiff_t>(begin),
                                           values.begin() + static_cast<std::ptrdiff_t>(std::min(values.size(), begin + kChunk)));
      SqlParams params;
      const std::string kind_param = params.Bind(std::string(IdentifierKindName(kind)));
      const std::string sql = Sql({kSelectLinksHead, kind_param, " AND value IN (", params.BindList(chunk), ")"});
      TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
      for (const store::Row& row : rows) links.push_back(LinkFromRow(row));
    }
  }
  return links;
}

Status AttachIdentifier(store::TenantTx& tx, const std::string& customer_id, const Identifier& identifier,
                        Micros at) {
  const std::string kind(IdentifierKindName(identifier.kind));
  TP_ASSIGN_OR_RETURN(std::int64_t inserted, tx.Execute(kInsertIdentifier, {kind, identifier.value, customer_id, at}));
  if (inserted > 0) return Status::Ok();
  TP_ASSIGN_OR_RETURN(std::optional<std::string> owner, FindCustomerByIdentifier(tx, identifier));
  if (owner && *owner == customer_id) return Status::Ok();
  return Conflict("the " + kind + " is already held by another customer", kind);
}

Result<std::int64_t> AttachIdentifiers(store::TenantTx& tx, const std::vector<IdentifierLink>& unordered_links) {
  // In key order: on PostgreSQL an insert waits for a concurrent transaction inserting the same key,
  // and two batches inserting shared identifiers in different orders deadlocked (each found after a
  // second's deadlock_timeout, then retried). In one order, one simply waits for the other.
  std::vector<IdentifierLink> links = unordered_links;
  std::sort(links.begin(), links.end(),
            [](const IdentifierLink& a, const IdentifierLink& b) { return a.identifier < b.identifier; });
  std::int64_t attached = 0;
  for (std::size_t begin = 0; begin < links.size();) {
    std::size_t chunk = kLargestIdentifiersInsert;
    while (chunk > links.size() - begin) chunk /= 2;
    SqlParams params;
    std::string sql(kInsertIdentifiersHead);
    for (std::size_t i = begin; i < begin + chunk; ++i) {
      const IdentifierLink& link = links[i];
      if (i > begin) sql += ", ";
      sql += Sql({"($1, ", params.Bind(std::string(IdentifierKindName(link.identifier.kind))), ", ",
                  params.Bind(link.identifier.value), ", ", params.Bind(link.customer_id), ", ",
                  params.Bind(link.created_at), ")"});
    }
    sql += kOnConflictDoNothing;
    TP_ASSIGN_OR_RETURN(const std::int64_t inserted, tx.Execute(sql, params.values()));
    attached += inserted;
    begin += chunk;
  }
  return attached;
}

Result<std::vector<IdentifierLink>> ListIdentifiers(store::TenantTx& tx, std::string_view customer_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectOfCustomer, {std::string(customer_id)}));
  std::vector<IdentifierLink> links;
  links.reserve(rows.size());
  for (const store::Row& row : rows) links.push_back(LinkFromRow(row));
  return links;
}

Status DetachIdentifier(store::TenantTx& tx, std::string_view customer_id, const Identifier& identifier) {
  TP_ASSIGN_OR_RETURN(std::int64_t removed,
                      tx.Execute(kDeleteIdentifier, {std::string(customer_id),
                                                     std::string(IdentifierKindName(identifier.kind)),
                                                     identifier.value}));
  if (removed == 0) return NotFound("the customer does not hold that identifier");
  return Status::Ok();
}

}  // namespace tp::profiles
