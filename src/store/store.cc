#include "store/store.h"

#include <algorithm>
#include <charconv>

#include "common/clock.h"
#include "store/migrations.h"
#include "store/sql_params.h"
#include "store/sql_text.h"

namespace tp::store {

std::string Row::Text(size_t column) const {
  const Value& cell = cells_.at(column);
  if (const auto* text = std::get_if<std::string>(&cell)) return *text;
  if (const auto* integer = std::get_if<std::int64_t>(&cell)) return std::to_string(*integer);
  if (const auto* real = std::get_if<double>(&cell)) return std::to_string(*real);
  return {};
}

std::optional<std::string> Row::OptionalText(size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

std::int64_t Row::Int(size_t column) const {
  const Value& cell = cells_.at(column);
  if (const auto* integer = std::get_if<std::int64_t>(&cell)) return *integer;
  if (const auto* real = std::get_if<double>(&cell)) return static_cast<std::int64_t>(*real);
  if (const auto* text = std::get_if<std::string>(&cell)) {
    std::int64_t parsed = 0;
    std::from_chars(text->data(), text->data() + text->size(), parsed);
    return parsed;
  }
  return 0;
}

std::optional<std::int64_t> Row::OptionalInt(size_t column) const {
  if (IsNull(column)) return std::nullopt;
  return Int(column);
}

double Row::Real(size_t column) const {
  const Value& cell = cells_.at(column);
  if (const auto* real = std::get_if<double>(&cell)) return *real;
  if (const auto* integer = std::get_if<std::int64_t>(&cell)) return static_cast<double>(*integer);
  if (const auto* text = std::get_if<std::string>(&cell)) return std::strtod(text->c_str(), nullptr);
  return 0;
}

namespace {
Result<std::optional<Row>> FirstRow(Result<Rows> rows) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Row>();
  return std::optional<Row>(std::move(rows->front()));
}
}  // namespace

Status TenantTx::CheckScoped(std::string_view sql) const {
  if (tenant_id_.empty()) return Internal("tenant-scoped statement without a tenant");
  // $1 itself: not $10, and not a "$1" inside a literal or comment.
  if (!ReferencesParameter(sql, 1)) {
    return Internal("tenant-scoped statement does not bind the tenant as $1: " + std::string(sql.substr(0, 80)));
  }
  return Status::Ok();
}

std::vector<Value> TenantTx::WithTenant(std::vector<Value> params) const {
  params.insert(params.begin(), Value(tenant_id_));
  return params;
}

Result<Rows> TenantTx::Query(std::string_view sql, std::initializer_list<Value> params) {
  return Query(sql, std::vector<Value>(params));
}

Result<Rows> TenantTx::Query(std::string_view sql, const std::vector<Value>& params) {
  return Query(sql, std::vector<Value>(params));
}

Result<Rows> TenantTx::Query(std::string_view sql, std::vector<Value>&& params) {
  TP_RETURN_IF_ERROR(CheckScoped(sql));
  return connection_.Query(sql, WithTenant(std::move(params)));
}

Result<std::optional<Row>> TenantTx::QueryOne(std::string_view sql, std::initializer_list<Value> params) {
  return FirstRow(Query(sql, params));
}

Result<std::int64_t> TenantTx::Execute(std::string_view sql, std::initializer_list<Value> params) {
  return Execute(sql, std::vector<Value>(params));
}

Result<std::int64_t> TenantTx::Execute(std::string_view sql, const std::vector<Value>& params) {
  return Execute(sql, std::vector<Value>(params));
}

Result<std::int64_t> TenantTx::Execute(std::string_view sql, std::vector<Value>&& params) {
  TP_RETURN_IF_ERROR(CheckScoped(sql));
  return connection_.Execute(sql, WithTenant(std::move(params)));
}

Result<Rows> SystemTx::Query(std::string_view sql, std::initializer_list<Value> params) {
  return connection_.Query(sql, std::vector<Value>(params));
}

Result<Rows> SystemTx::Query(std::string_view sql, const std::vector<Value>& params) {
  return connection_.Query(sql, params);
}

Result<std::optional<Row>> SystemTx::QueryOne(std::string_view sql, std::initializer_list<Value> params) {
  return FirstRow(Query(sql, params));
}

Result<std::int64_t> SystemTx::Execute(std::string_view sql, std::initializer_list<Value> params) {
  return connection_.Execute(sql, std::vector<Value>(params));
}

Result<std::int64_t> SystemTx::Execute(std::string_view sql, const std::vector<Value>& params) {
  return connection_.Execute(sql, params);
}

Status TenantTx::LockKeys(std::vector<std::string> keys) {
  if (backend() != Backend::kPostgres || keys.empty()) return Status::Ok();
  // The locks are taken in hash order, the one order every writer shares. BindList's padding repeats
  // a key, which DISTINCT drops.
  SqlParams params;
  const std::string list = params.BindList(keys);
  return Query(Sql({"SELECT pg_advisory_xact_lock(hash) FROM (SELECT DISTINCT hashtextextended($1 || ':' || key, 0) "
                    "AS hash FROM unnest(ARRAY[",
                    list, "]::text[]) AS keys (key) ORDER BY hash) AS sorted"}),
               params.values())
      .status();
}

Status TenantTx::Publish(std::string_view kind, std::string subject_id, std::string data) {
  if (published_ == nullptr) return Internal("a change was published in a read transaction: " + std::string(kind));
  if (!cause_json_.empty()) {
    if (data.size() < 2 || data.front() != '{')
      return Internal("change data is not a JSON object: " + std::string(kind));
    const bool empty_object = data.find_first_not_of(" \t\n\r", 1) == data.size() - 1;
    data = "{\"caused_by\":" + cause_json_ + (empty_object ? "}" : "," + data.substr(1));
  }
  published_->push_back(Change{0, tenant_id_, std::string(kind), std::move(subject_id), std::move(data), 0});
  return Status::Ok();
}

Status Store::Write(const std::string& tenant_id, const std::function<Status(TenantTx&)>& fn) {
  return WriteAndPublish([&](Connection& connection, std::vector<Change>& changes) {
    TenantTx tx(connection, tenant_id, &changes);
    return fn(tx);
  });
}

Status Store::Read(const std::string& tenant_id, const std::function<Status(TenantTx&)>& fn) {
  return RunRead([&](Connection& connection) {
    TenantTx tx(connection, tenant_id);
    return fn(tx);
  });
}

Status Store::WriteSystem(const std::function<Status(SystemTx&)>& fn) {
  return WriteAndPublish([&](Connection& connection, std::vector<Change>& changes) {
    SystemTx tx(connection, &changes);
    return fn(tx);
  });
}

void Store::OnPublished(PublishedListener listener) {
  const std::lock_guard lock(listener_mutex_);
  listener_ = std::move(listener);
}

Status Store::WriteAndPublish(const std::function<Status(Connection&, std::vector<Change>&)>& fn) {
  std::vector<Change> changes;
  TP_RETURN_IF_ERROR(RunWrite([&](Connection& connection) -> Status {
    changes.clear();  // a retried attempt publishes only what it does itself
    TP_RETURN_IF_ERROR(fn(connection, changes));
    return AppendToFeed(connection, changes);
  }));
  if (changes.empty()) return Status::Ok();
  const std::lock_guard lock(listener_mutex_);
  if (listener_) listener_(changes);
  return Status::Ok();
}

namespace {
// One row holds the last sequence handed out. Updating it inside the transaction makes sequences
// transactional (a rolled-back write leaves no gap) and, because the row stays locked until COMMIT,
// puts them in commit order: a reader that has seen sequence N has seen everything before it.
constexpr std::string_view kAdvanceFeedHead =
    "UPDATE change_feed_head SET last_sequence = last_sequence + $1 WHERE id = 1 RETURNING last_sequence";
constexpr std::string_view kNotifyChanges = "SELECT pg_notify('touchpoint_changes', $1)";
constexpr size_t kFeedRowsPerInsert = 64;
}  // namespace

Status Store::AppendToFeed(Connection& connection, std::vector<Change>& changes) {
  if (changes.empty()) return Status::Ok();
  TP_ASSIGN_OR_RETURN(Rows head,
                      connection.Query(kAdvanceFeedHead, {Value(static_cast<std::int64_t>(changes.size()))}));
  if (head.empty()) return Internal("change_feed_head has no row; is the schema migrated?");
  std::int64_t sequence = head.front().Int(0) - static_cast<std::int64_t>(changes.size());
  const Micros now = NowMicros();
  for (size_t first = 0; first < changes.size(); first += kFeedRowsPerInsert) {
    const size_t count = std::min(kFeedRowsPerInsert, changes.size() - first);
    std::string sql = "INSERT INTO change_feed (sequence, tenant_id, kind, subject_id, data, committed_at) VALUES ";
    std::vector<Value> params;
    params.reserve(count * 6);
    for (size_t index = first; index < first + count; ++index) {
      Change& change = changes[index];
      change.sequence = ++sequence;
      change.committed_at = now;
      const size_t base = params.size();
      if (index != first) sql += ", ";
      sql += "(";
      for (size_t column = 1; column <= 6; ++column) {
        sql += (column == 1 ? "$" : ", $") + std::to_string(base + column);
      }
      sql += ")";
      params.emplace_back(change.sequence);
      params.emplace_back(change.tenant_id);
      params.emplace_back(change.kind);
      params.emplace_back(change.subject_id);
      params.emplace_back(change.data);
      params.emplace_back(change.committed_at);
    }
    TP_RETURN_IF_ERROR(connection.Execute(sql, params).status());
  }
  // NOTIFY is transactional: other processes are woken only if this commits.
  if (backend() == Backend::kPostgres) {
    TP_RETURN_IF_ERROR(connection.Query(kNotifyChanges, {Value(std::to_string(sequence))}).status());
  }
  return Status::Ok();
}

Status Store::ReadSystem(const std::function<Status(SystemTx&)>& fn) {
  return RunRead([&](Connection& connection) {
    SystemTx tx(connection);
    return fn(tx);
  });
}

namespace {
constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
    "applied_at BIGINT NOT NULL)";
constexpr std::string_view kCurrentVersion = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr std::string_view kRecordMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";
}  // namespace

Status Store::Migrate() {
  return RunMigrationLocked([](Connection& connection) -> Status {
    TP_RETURN_IF_ERROR(connection.ExecuteScript(kCreateMigrationsTable));
    TP_ASSIGN_OR_RETURN(Rows rows, connection.Query(kCurrentVersion, {}));
    const std::int64_t current = rows.empty() ? 0 : rows.front().Int(0);
    for (const Migration& migration : AllMigrations()) {
      if (migration.version <= current) continue;
      TP_RETURN_IF_ERROR(connection.ExecuteScript(migration.sql));
      const std::string_view specific =
          connection.backend() == Backend::kSqlite ? migration.sqlite_sql : migration.postgres_sql;
      if (!specific.empty()) TP_RETURN_IF_ERROR(connection.ExecuteScript(specific));
      TP_RETURN_IF_ERROR(connection.Execute(
          kRecordMigration,
          {Value(std::int64_t{migration.version}), Value(std::string(migration.name)), Value(NowMicros())}));
    }
    return Status::Ok();
  });
}

Result<int> Store::SchemaVersion() {
  int version = 0;
  TP_RETURN_IF_ERROR(RunMigrationLocked([&](Connection& connection) -> Status {
    TP_RETURN_IF_ERROR(connection.ExecuteScript(kCreateMigrationsTable));
    TP_ASSIGN_OR_RETURN(Rows rows, connection.Query(kCurrentVersion, {}));
    version = rows.empty() ? 0 : static_cast<int>(rows.front().Int(0));
    return Status::Ok();
  }));
  return version;
}

}  // namespace tp::store
