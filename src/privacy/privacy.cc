#include "privacy/privacy.h"

#include <array>
#include <map>
#include <vector>

#include "cases/attachments.h"
#include "cases/search.h"
#include "changes/kinds.h"
#include "common/money.h"
#include "ingest/ingest.h"
#include "ingest/merges.h"
#include "profiles/customer_tables.h"
#include "profiles/customers.h"
#include "store/sql_params.h"

namespace tp::privacy {
namespace {

using nlohmann::json;
using store::Sql;

std::vector<std::string> SplitColumns(std::string_view columns) {
  std::vector<std::string> names;
  std::size_t begin = 0;
  while (begin <= columns.size()) {
    std::size_t end = columns.find(',', begin);
    if (end == std::string_view::npos) end = columns.size();
    std::string_view name = columns.substr(begin, end - begin);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    names.emplace_back(name);
    begin = end + 1;
  }
  return names;
}

// How a column's values read in the export: times as RFC 3339 like every other time the API shows
// (columns named *_at), amounts as decimal text (common/money.h), JSON documents parsed.
enum class CellKind { kPlain, kJson, kTime, kAmount };

CellKind KindOfColumn(const profiles::CustomerOwnedTable& table, std::string_view name) {
  if (std::find(table.json_columns.begin(), table.json_columns.end(), name) != table.json_columns.end()) {
    return CellKind::kJson;
  }
  if (name.ends_with("_at")) return CellKind::kTime;
  if (name == "amount" || name == "reporting_amount") return CellKind::kAmount;
  return CellKind::kPlain;
}

json CellJson(const store::Value& value, CellKind kind) {
  if (std::holds_alternative<std::int64_t>(value)) {
    const std::int64_t number = std::get<std::int64_t>(value);
    if (kind == CellKind::kTime) return FormatTimestamp(number);
    if (kind == CellKind::kAmount) return FormatAmount(number);
    return number;
  }
  if (std::holds_alternative<double>(value)) return std::get<double>(value);
  if (std::holds_alternative<std::string>(value)) {
    const std::string& text = std::get<std::string>(value);
    if (kind != CellKind::kJson) return text;
    json parsed = json::parse(text, nullptr, false);
    return parsed.is_discarded() ? json(text) : parsed;
  }
  return nullptr;
}

Result<json> TableRows(store::TenantTx& tx, const profiles::CustomerOwnedTable& table, const std::string& customer_id) {
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(Sql({"SELECT ", table.export_columns, " FROM ", table.name,
                                                      " WHERE tenant_id = $1 AND customer_id = $2 ORDER BY ",
                                                      table.export_order}),
                                                 {customer_id}));
  const std::vector<std::string> names = SplitColumns(table.export_columns);
  json out = json::array();
  for (const store::Row& row : rows) {
    json item = json::object();
    for (std::size_t i = 0; i < names.size(); ++i) {
      item[names[i]] = CellJson(row.Raw(i), KindOfColumn(table, names[i]));
    }
    out.push_back(std::move(item));
  }
  return out;
}

json ProfileJson(const profiles::Customer& customer) {
  const auto& computed = customer.computed;
  json traits = json::parse(customer.traits_json, nullptr, false);
  return json{{"id", customer.id},
              {"name", customer.name},
              {"email", customer.email ? json(*customer.email) : json(nullptr)},
              {"phone", customer.phone ? json(*customer.phone) : json(nullptr)},
              {"traits", traits.is_discarded() ? json::object() : traits},
              {"created_at", FormatTimestamp(customer.created_at)},
              {"orders_count", computed.orders_count},
              {"revenue", profiles::MoneyTotalsJson(computed.revenue)},
              {"refunds_count", computed.refunds_count},
              {"refunded", profiles::MoneyTotalsJson(computed.refunded)},
              {"channels", computed.channels}};
}

// The merge records naming any of the person's profiles, as survivor or as merged, once each, oldest
// first: which profiles were joined (and separated again), when, why and by whom.
Result<json> MergeRecords(store::TenantTx& tx, const std::vector<std::string>& profile_ids) {
  std::map<std::string, json> records;  // by id, which sorts by time
  for (const std::string& id : profile_ids) {
    TP_ASSIGN_OR_RETURN(store::Rows rows,
                        tx.Query("SELECT id, survivor_id, merged_id, reason, actor_type, actor_id, created_at, undone_at "
                                 "FROM customer_merges WHERE tenant_id = $1 AND (survivor_id = $2 OR merged_id = $2)",
                                 {id}));
    for (const store::Row& row : rows) {
      records[row.Text(0)] = json{{"id", row.Text(0)},
                                  {"survivor_id", row.Text(1)},
                                  {"merged_id", row.Text(2)},
                                  {"reason", row.Text(3)},
                                  {"actor_type", row.Text(4)},
                                  {"actor_id", row.Text(5)},
                                  {"created_at", FormatTimestamp(row.Int(6))},
                                  {"undone_at", CellJson(row.Raw(7), CellKind::kTime)}};
    }
  }
  json out = json::array();
  for (auto& [id, record] : records) out.push_back(std::move(record));
  return out;
}

Result<std::int64_t> Run(store::TenantTx& tx, std::string_view sql, const std::string& id) {
  return tx.Execute(sql, {id});
}

}  // namespace

Result<json> ExportCustomerData(store::TenantTx& tx, std::string_view customer_id,
                                const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(const std::string live, ingest::LiveCustomerId(tx, customer_id));
  TP_ASSIGN_OR_RETURN(const profiles::Customer customer, profiles::GetCustomer(tx, live));
  TP_ASSIGN_OR_RETURN(const std::vector<std::string> profile_ids, ingest::ProfileAndMergedIds(tx, live));
  json document{{"exported_at", FormatTimestamp(NowMicros())},
                {"profile", ProfileJson(customer)},
                {"merged_profile_ids", json(std::vector<std::string>(profile_ids.begin() + 1, profile_ids.end()))}};
  for (const profiles::CustomerOwnedTable& table : profiles::CustomerOwnedTables()) {
    if (table.export_columns.empty()) continue;
    TP_ASSIGN_OR_RETURN(document[std::string(table.name)], TableRows(tx, table, live));
  }
  TP_ASSIGN_OR_RETURN(document["customer_merges"], MergeRecords(tx, profile_ids));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "customer.export", "customer", live, {}, {}));
  return document;
}

Result<ErasureReport> EraseCustomer(store::TenantTx& tx, std::string_view customer_id,
                                    const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(const std::string live, ingest::LiveCustomerId(tx, customer_id));
  TP_ASSIGN_OR_RETURN(const std::vector<std::string> profile_ids, ingest::ProfileAndMergedIds(tx, live));
  ErasureReport report{.customer_id = live, .profiles = static_cast<std::int64_t>(profile_ids.size())};

  // Case audit snapshots hold subjects; redact them before the cases go.
  TP_ASSIGN_OR_RETURN(store::Rows case_rows,
                      tx.Query("SELECT id FROM cases WHERE tenant_id = $1 AND customer_id = $2", {live}));
  std::vector<std::string> redact_targets = profile_ids;
  std::vector<std::string> case_ids;
  for (const store::Row& row : case_rows) case_ids.push_back(row.Text(0));
  redact_targets.insert(redact_targets.end(), case_ids.begin(), case_ids.end());
  // The search index holds the words of their subjects and messages.
  TP_RETURN_IF_ERROR(cases::ForgetCaseText(tx, case_ids));
  // Merge records name both profiles.
  for (const std::string& id : profile_ids) {
    TP_ASSIGN_OR_RETURN(store::Rows merges, tx.Query("SELECT id FROM customer_merges WHERE tenant_id = $1 AND "
                                                     "(survivor_id = $2 OR merged_id = $2)",
                                                     {id}));
    for (const store::Row& row : merges) redact_targets.push_back(row.Text(0));
  }
  // Their entries keep who did what and when, but neither the snapshots nor the target: only the
  // erasure record, written last, names the profile.
  for (const std::string& target : redact_targets) {
    TP_ASSIGN_OR_RETURN(std::int64_t redacted,
                        Run(tx, "UPDATE audit_log SET before_json = NULL, after_json = NULL, target_id = '' "
                                "WHERE tenant_id = $1 AND target_id = $2",
                            target));
    report.audit_entries_redacted += redacted;
    // Replayable responses of idempotent requests may hold the person's data.
    TP_RETURN_IF_ERROR(Run(tx, "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND response_body LIKE $2",
                           "%" + target + "%")
                           .status());
  }

  // Every customer-owned table: rows deleted, or kept for the aggregates and unlinked (survey scores).
  std::map<std::string_view, std::int64_t> removed;
  for (const profiles::CustomerOwnedTable& table : profiles::CustomerOwnedTables()) {
    const std::string sql =
        table.on_erasure == profiles::OnErasure::kDelete
            ? Sql({"DELETE FROM ", table.name, " WHERE tenant_id = $1 AND customer_id = $2"})
            : Sql({"UPDATE ", table.name, " SET ", table.unlink_assignments,
                   " WHERE tenant_id = $1 AND customer_id = $2"});
    TP_ASSIGN_OR_RETURN(removed[table.name], Run(tx, sql, live));
  }
  // Attachment contents are shared by hash; those no remaining attachment uses go too.
  TP_RETURN_IF_ERROR(cases::DeleteOrphanedAttachmentContents(tx).status());
  report.events = removed["events"];
  report.cases = removed["cases"];
  report.feedback_responses = removed["feedback_responses"];
  report.notes = removed["customer_notes"];
  report.identifiers = removed["customer_identifiers"];
  for (const std::string& id : profile_ids) {
    TP_RETURN_IF_ERROR(profiles::DeleteSearchTerms(tx, id));
    TP_RETURN_IF_ERROR(
        Run(tx, "DELETE FROM customer_merges WHERE tenant_id = $1 AND (survivor_id = $2 OR merged_id = $2)", id).status());
    TP_RETURN_IF_ERROR(Run(tx, "DELETE FROM customers WHERE tenant_id = $1 AND id = $2", id).status());
  }
  TP_RETURN_IF_ERROR(identity::RecordAudit(
      tx, audit, "customer.erase", "customer", live, {},
      json{{"profiles", report.profiles}, {"events", report.events}, {"cases", report.cases},
           {"feedback_responses", report.feedback_responses}, {"notes", report.notes}}
          .dump()));
  // Every id the person had, so a subscriber holding data under a merged id forgets that too.
  TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kCustomerErased, live,
                                json{{"customer_id", live}, {"profile_ids", profile_ids}}.dump()));
  return report;
}

}  // namespace tp::privacy
