#include "identity/audit.h"

#include <algorithm>
#include <limits>

#include "common/ids.h"

namespace tp::identity {
namespace {
constexpr std::string_view kInsertEntry =
    "INSERT INTO audit_log (tenant_id, id, at, actor_type, actor_id, action, target_type, target_id, "
    "before_json, after_json, request_id, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
// Optional filters are passed as '' (text) or the widest time range, which keeps one statement that
// both backends can plan without guessing the type of a NULL parameter.
constexpr std::string_view kListEntries =
    "SELECT id, at, actor_type, actor_id, action, target_type, target_id, before_json, after_json, request_id, "
    "ip FROM audit_log WHERE tenant_id = $1 AND ($2 = '' OR actor_id = $2) AND ($3 = '' OR action = $3) AND "
    "($4 = '' OR target_id = $4) AND at >= $5 AND at < $6 AND ($7 = '' OR id < $7) ORDER BY id DESC LIMIT $8";

AuditEntry EntryFromRow(const store::Row& row) {
  return AuditEntry{.id = row.Text(0),
                    .at = row.Int(1),
                    .actor_type = row.Text(2),
                    .actor_id = row.Text(3),
                    .action = row.Text(4),
                    .target_type = row.Text(5),
                    .target_id = row.Text(6),
                    .before_json = row.OptionalText(7),
                    .after_json = row.OptionalText(8),
                    .request_id = row.Text(9),
                    .ip = row.Text(10)};
}
}  // namespace

AuditContext AuditContext::For(const Principal& principal, std::string request_id, std::string ip) {
  return AuditContext{.actor_type = std::string(principal.actor_type()),
                      .actor_id = principal.actor_id(),
                      .request_id = std::move(request_id),
                      .ip = std::move(ip)};
}

AuditContext AuditContext::System(std::string request_id) {
  return AuditContext{.actor_type = "system", .actor_id = "", .request_id = std::move(request_id), .ip = ""};
}

Status RecordAudit(store::TenantTx& tx, const AuditContext& context, std::string_view action,
                   std::string_view target_type, std::string_view target_id, std::optional<std::string> before_json,
                   std::optional<std::string> after_json) {
  if (std::find(std::begin(kAuditActions), std::end(kAuditActions), action) == std::end(kAuditActions)) {
    return Internal("audit action \"" + std::string(action) + "\" is not in kAuditActions");
  }
  return tx
      .Execute(kInsertEntry,
               {NewId("aud_"), NowMicros(), context.actor_type, context.actor_id, std::string(action),
                std::string(target_type), std::string(target_id), store::Nullable(before_json),
                store::Nullable(after_json), context.request_id, context.ip})
      .status();
}

Result<Page<AuditEntry>> ListAudit(store::TenantTx& tx, const AuditFilter& filter, const PageRequest& page) {
  TP_ASSIGN_OR_RETURN(
      store::Rows rows,
      tx.Query(kListEntries, {filter.actor_id.value_or(""), filter.action.value_or(""), filter.target_id.value_or(""),
                              filter.since.value_or(std::numeric_limits<Micros>::min()),
                              filter.until.value_or(std::numeric_limits<Micros>::max()), page.after_id,
                              std::int64_t{page.limit} + 1}));
  std::vector<AuditEntry> entries;
  entries.reserve(rows.size());
  for (const store::Row& row : rows) entries.push_back(EntryFromRow(row));
  return MakePage(std::move(entries), page.limit, [](const AuditEntry& entry) { return entry.id; });
}

}  // namespace tp::identity
