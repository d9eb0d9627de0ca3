#include "ingest/merges.h"

#include <nlohmann/json.hpp>

#include <array>

#include "changes/kinds.h"
#include "common/ids.h"
#include "events/events.h"
#include "ingest/ingest.h"
#include "profiles/customer_tables.h"
#include "profiles/customers.h"
#include "profiles/identifiers.h"
#include "store/sql_params.h"
#include "profiles/traits.h"

namespace tp::ingest {
namespace {

using nlohmann::json;
using store::Sql;
using store::SqlParams;

constexpr std::string_view kIdPrefix = "mrg_";


constexpr std::string_view kInsertMerge =
    "INSERT INTO customer_merges (tenant_id, id, survivor_id, merged_id, reason, actor_type, actor_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr std::string_view kMergeColumns =
    "id, survivor_id, merged_id, reason, actor_type, actor_id, created_at, undone_at";
constexpr std::string_view kSetMergedInto =
    "UPDATE customers SET merged_into = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kMarkUndone = "UPDATE customer_merges SET undone_at = $3 WHERE tenant_id = $1 AND id = $2";
// The merged profile and every profile merged into it before, through any number of merges.
constexpr std::string_view kMergedSubtree =
    "WITH RECURSIVE subtree(id) AS (SELECT id FROM customers WHERE tenant_id = $1 AND id = $2 "
    "UNION ALL SELECT customers.id FROM customers JOIN subtree ON customers.merged_into = subtree.id "
    "WHERE customers.tenant_id = $1) SELECT id FROM subtree";
constexpr std::string_view kEventTotals =
    "SELECT MIN(occurred_at), MAX(occurred_at), "
    "SUM(CASE WHEN type = 'track' AND name = $3 THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN type = 'track' AND name = $4 THEN 1 ELSE 0 END) "
    "FROM events WHERE tenant_id = $1 AND customer_id = $2";
// Summed here rather than in SQL, with the same saturating addition as ingestion (SQL's SUM fails on
// overflow).
constexpr std::string_view kEventAmounts =
    "SELECT name, amount, currency, reporting_amount, reporting_currency FROM events "
    "WHERE tenant_id = $1 AND customer_id = $2 AND type = 'track' AND name IN ($3, $4) AND amount IS NOT NULL";
constexpr std::string_view kEventChannels =
    "SELECT DISTINCT channel FROM events WHERE tenant_id = $1 AND customer_id = $2 AND channel <> '' ORDER BY channel";

Merge MergeFromRow(const store::Row& row) {
  return Merge{.id = row.Text(0),
               .survivor_id = row.Text(1),
               .merged_id = row.Text(2),
               .reason = row.Text(3),
               .actor_type = row.Text(4),
               .actor_id = row.Text(5),
               .created_at = row.Int(6),
               .undone_at = row.OptionalInt(7)};
}

json MergeJson(const Merge& merge) {
  return json{{"survivor_id", merge.survivor_id}, {"merged_id", merge.merged_id}, {"reason", merge.reason}};
}

Result<std::optional<std::string>> UserIdOf(store::TenantTx& tx, const std::string& customer_id) {
  TP_ASSIGN_OR_RETURN(std::vector<profiles::IdentifierLink> links, profiles::ListIdentifiers(tx, customer_id));
  for (const profiles::IdentifierLink& link : links) {
    if (link.identifier.kind == profiles::IdentifierKind::kUserId) return std::optional(link.identifier.value);
  }
  return std::optional<std::string>();
}

// Moves every row of `from` to `to`, remembering where each row started.
Status MoveRows(store::TenantTx& tx, const std::string& from, const std::string& to) {
  for (const profiles::CustomerOwnedTable& table : profiles::CustomerOwnedTables()) {
    if (!table.follows_merges) continue;
    TP_RETURN_IF_ERROR(tx.Execute(Sql({"UPDATE ", table.name,
                                       " SET origin_customer_id = COALESCE(origin_customer_id, customer_id), "
                                       "customer_id = $3 WHERE tenant_id = $1 AND customer_id = $2"}),
                                  {from, to})
                           .status());
  }
  return Status::Ok();
}

// Moves back to `to` the rows of `from` that started on one of `origins`.
Status MoveRowsBack(store::TenantTx& tx, const std::string& from, const std::string& to,
                    const std::vector<std::string>& origins) {
  for (const profiles::CustomerOwnedTable& table : profiles::CustomerOwnedTables()) {
    if (!table.follows_merges) continue;
    SqlParams params;
    const std::string from_param = params.Bind(from);
    const std::string to_param = params.Bind(to);
    TP_RETURN_IF_ERROR(tx.Execute(Sql({"UPDATE ", table.name, " SET customer_id = ", to_param,
                                       " WHERE tenant_id = $1 AND customer_id = ", from_param,
                                       " AND origin_customer_id IN (", params.BindList(origins), ")"}),
                                  params.values())
                           .status());
  }
  return Status::Ok();
}

// Contact fields the profile no longer holds as identifiers are replaced by ones it does (or cleared).
Status ReconcileContactFields(store::TenantTx& tx, profiles::Customer& customer) {
  TP_ASSIGN_OR_RETURN(std::vector<profiles::IdentifierLink> links, profiles::ListIdentifiers(tx, customer.id));
  for (const auto& [kind, field] : {std::pair{profiles::IdentifierKind::kEmail, &profiles::Customer::email},
                                    std::pair{profiles::IdentifierKind::kPhone, &profiles::Customer::phone}}) {
    std::optional<std::string> replacement;
    bool still_held = false;
    for (const profiles::IdentifierLink& link : links) {
      if (link.identifier.kind != kind) continue;
      if (!replacement) replacement = link.identifier.value;
      if (customer.*field == link.identifier.value) still_held = true;
    }
    if (!still_held) customer.*field = replacement;
  }
  return Status::Ok();
}

}  // namespace

Status RecomputeProfile(store::TenantTx& tx, const std::string& customer_id) {
  TP_ASSIGN_OR_RETURN(profiles::Customer customer, profiles::GetCustomer(tx, customer_id));
  TP_ASSIGN_OR_RETURN(profiles::TraitState traits, profiles::TraitsFromHistory(tx, customer_id));
  customer.traits_json = traits.traits.dump();
  customer.trait_times_json = traits.times.dump();
  TP_RETURN_IF_ERROR(ReconcileContactFields(tx, customer));

  TP_ASSIGN_OR_RETURN(std::optional<store::Row> totals,
                      tx.QueryOne(kEventTotals, {customer_id, std::string(events::kOrderCompleted),
                                                 std::string(events::kOrderRefunded)}));
  profiles::ComputedAttributes& computed = customer.computed;
  computed = {};
  computed.first_seen_at = customer.created_at;
  if (totals && !totals->IsNull(0)) {
    computed.first_seen_at = std::min(customer.created_at, totals->Int(0));
    computed.last_seen_at = totals->Int(1);
    computed.orders_count = totals->Int(2);
    computed.refunds_count = totals->Int(3);
  }
  TP_ASSIGN_OR_RETURN(store::Rows amounts, tx.Query(kEventAmounts, {customer_id, std::string(events::kOrderCompleted),
                                                                    std::string(events::kOrderRefunded)}));
  for (const store::Row& row : amounts) {
    profiles::MoneyTotals& totals_of_kind = row.Text(0) == events::kOrderCompleted ? computed.revenue : computed.refunded;
    totals_of_kind.Add(*events::MoneyAt(row, 1), events::MoneyAt(row, 3));
  }
  TP_ASSIGN_OR_RETURN(store::Rows channels, tx.Query(kEventChannels, {customer_id}));
  for (const store::Row& row : channels) computed.channels.push_back(row.Text(0));
  customer.updated_at = NowMicros();
  TP_RETURN_IF_ERROR(profiles::SaveProfile(tx, customer));
  return profiles::RewriteSearchTerms(tx, customer);
}

Result<Merge> MergeCustomers(store::TenantTx& tx, std::string_view survivor_id, std::string_view merged_id,
                             std::string_view reason, const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(const std::string survivor, LiveCustomerId(tx, survivor_id));
  TP_ASSIGN_OR_RETURN(const std::string merged, LiveCustomerId(tx, merged_id));
  if (survivor == merged) return InvalidArgument("the two customers are already one profile", "customer_id");
  TP_ASSIGN_OR_RETURN(const std::optional<std::string> survivor_user, UserIdOf(tx, survivor));
  TP_ASSIGN_OR_RETURN(const std::optional<std::string> merged_user, UserIdOf(tx, merged));
  if (survivor_user && merged_user && survivor_user != merged_user) {
    return Conflict("the customers have different user ids, so they are different people", "customer_id");
  }
  const Micros now = NowMicros();
  // Contact fields the survivor lacks come from the merged profile.
  TP_ASSIGN_OR_RETURN(profiles::Customer survivor_profile, profiles::GetCustomer(tx, survivor));
  TP_ASSIGN_OR_RETURN(const profiles::Customer merged_profile, profiles::GetCustomer(tx, merged));
  bool fields_taken = false;
  for (auto field : {&profiles::Customer::email, &profiles::Customer::phone}) {
    if (!(survivor_profile.*field) && merged_profile.*field) {
      survivor_profile.*field = merged_profile.*field;
      fields_taken = true;
    }
  }
  if (survivor_profile.name.empty() && !merged_profile.name.empty()) {
    survivor_profile.name = merged_profile.name;
    fields_taken = true;
  }
  if (fields_taken) TP_RETURN_IF_ERROR(profiles::SaveProfile(tx, survivor_profile));

  TP_RETURN_IF_ERROR(tx.Execute(kSetMergedInto, {merged, survivor, now}).status());
  TP_RETURN_IF_ERROR(MoveRows(tx, merged, survivor));
  TP_RETURN_IF_ERROR(profiles::DeleteSearchTerms(tx, merged));
  TP_RETURN_IF_ERROR(RecomputeProfile(tx, survivor));

  Merge merge{.id = NewId(kIdPrefix),
              .survivor_id = survivor,
              .merged_id = merged,
              .reason = std::string(reason),
              .actor_type = audit.actor_type,
              .actor_id = audit.actor_id,
              .created_at = now};
  TP_RETURN_IF_ERROR(tx.Execute(kInsertMerge, {merge.id, merge.survivor_id, merge.merged_id, merge.reason,
                                               merge.actor_type, merge.actor_id, merge.created_at})
                         .status());
  TP_RETURN_IF_ERROR(
      identity::RecordAudit(tx, audit, "customer.merge", "customer_merge", merge.id, {}, MergeJson(merge).dump()));
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCustomerMerged, merge.survivor_id,
                                nlohmann::json{{"survivor_id", merge.survivor_id},
                                               {"merged_id", merge.merged_id},
                                               {"merge_id", merge.id}}
                                    .dump()));
  return merge;
}

Result<Merge> UndoMerge(store::TenantTx& tx, std::string_view merge_id, const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(Merge merge, GetMerge(tx, merge_id));
  if (merge.undone_at) return Conflict("the merge was already undone", "merge_id");
  // The merged profile's rows sit on whatever the survivor has been merged into since.
  TP_ASSIGN_OR_RETURN(const std::string holder, LiveCustomerId(tx, merge.survivor_id));
  TP_ASSIGN_OR_RETURN(const std::vector<std::string> origins, ProfileAndMergedIds(tx, merge.merged_id));

  const Micros now = NowMicros();
  TP_RETURN_IF_ERROR(tx.Execute(kSetMergedInto, {merge.merged_id, store::kNull, now}).status());
  constexpr std::size_t kChunk = 200;
  for (std::size_t begin = 0; begin < origins.size(); begin += kChunk) {
    const std::vector<std::string> chunk(origins.begin() + static_cast<std::ptrdiff_t>(begin),
                                         origins.begin() + static_cast<std::ptrdiff_t>(std::min(origins.size(), begin + kChunk)));
    TP_RETURN_IF_ERROR(MoveRowsBack(tx, holder, merge.merged_id, chunk));
  }
  TP_RETURN_IF_ERROR(RecomputeProfile(tx, holder));
  TP_RETURN_IF_ERROR(RecomputeProfile(tx, merge.merged_id));
  TP_RETURN_IF_ERROR(tx.Execute(kMarkUndone, {merge.id, now}).status());
  merge.undone_at = now;
  TP_RETURN_IF_ERROR(
      identity::RecordAudit(tx, audit, "customer.unmerge", "customer_merge", merge.id, MergeJson(merge).dump(), {}));
  // The rows that started on the merged profile (and on the profiles merged into it before) are back.
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCustomerUnmerged, merge.merged_id,
                                nlohmann::json{{"survivor_id", holder},
                                               {"restored_id", merge.merged_id},
                                               {"restored_profile_ids", origins},
                                               {"merge_id", merge.id}}
                                    .dump()));
  return merge;
}

Result<std::vector<std::string>> ProfileAndMergedIds(store::TenantTx& tx, std::string_view customer_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kMergedSubtree, {std::string(customer_id)}));
  std::vector<std::string> ids;
  ids.reserve(rows.size());
  for (const store::Row& row : rows) ids.push_back(row.Text(0));
  return ids;
}

Result<bool> WereSeparated(store::TenantTx& tx, std::string_view a, std::string_view b) {
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne("SELECT 1 FROM customer_merges WHERE tenant_id = $1 AND undone_at IS NOT NULL AND "
                                  "((survivor_id = $2 AND merged_id = $3) OR (survivor_id = $3 AND merged_id = $2)) "
                                  "LIMIT 1",
                                  {std::string(a), std::string(b)}));
  return row.has_value();
}

Result<Merge> GetMerge(store::TenantTx& tx, std::string_view merge_id) {
  if (!LooksLikeId(merge_id, kIdPrefix)) return NotFound("no such merge");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(Sql({"SELECT ", kMergeColumns, " FROM customer_merges WHERE tenant_id = $1 AND id = $2"}),
                                  {std::string(merge_id)}));
  if (!row) return NotFound("no such merge");
  return MergeFromRow(*row);
}

Result<Page<Merge>> ListMerges(store::TenantTx& tx, std::string_view customer_id, const PageRequest& page) {
  SqlParams params;
  const std::string customer = params.Bind(std::string(customer_id));
  std::string sql = Sql({"SELECT ", kMergeColumns, " FROM customer_merges WHERE tenant_id = $1 AND (survivor_id = ",
                         customer, " OR merged_id = ", customer, ")"});
  if (!page.after_id.empty()) sql += Sql({" AND id < ", params.Bind(page.after_id)});
  sql += Sql({" ORDER BY id DESC LIMIT ", params.Bind(std::int64_t{page.limit} + 1)});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Merge> merges;
  for (const store::Row& row : rows) merges.push_back(MergeFromRow(row));
  return MakePage(std::move(merges), page.limit, [](const Merge& merge) { return merge.id; });
}

}  // namespace tp::ingest
