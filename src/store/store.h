// The storage interface. Domain code never sees a backend: it asks a Store to run a function inside one
// transaction and issues portable SQL through the transaction handle it is given.
//
//   Status status = store.Write(tenant_id, [&](TenantTx& tx) -> Status {
//     TP_ASSIGN_OR_RETURN(auto rows, tx.Query(kFindUserByEmail, {email}));
//     ...
//     return Status::Ok();   // commits; any non-OK status rolls the whole transaction back
//   });
//
// SQL dialect: the common subset of SQLite ≥ 3.35 and PostgreSQL 15. Parameters are $1..$n; text is
// TEXT, integers BIGINT, timestamps BIGINT microseconds since the epoch (common/clock.h), booleans
// INTEGER 0/1, JSON documents TEXT. INSERT … ON CONFLICT and RETURNING work on both.
//
// Thread safety: a Store is safe for concurrent use from many threads. A transaction handle belongs to
// the thread running the function and must not escape it. Write functions may be retried by the
// backend after a serialization failure or a lost connection, so they must not have side effects
// outside the transaction. On PostgreSQL a failed statement aborts the whole transaction (unlike
// SQLite): use INSERT … ON CONFLICT instead of "try the insert and handle kConflict" in one transaction.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tp::store {

// One committed domain change (changes/README.md is the contract). A write transaction publishes it
// with TenantTx::Publish; the store appends it to the change_feed table in the same transaction and,
// only once the commit is durable, tells its listeners. Sequences are gapless and in commit order
// across the whole database, every tenant included.
struct Change {
  std::int64_t sequence = 0;
  std::string tenant_id;
  std::string kind;        // what happened, e.g. "customer.merged" (changes/kinds.h lists them)
  std::string subject_id;  // the id of the thing that changed
  std::string data;        // a JSON object: the ids involved and what changed
  Micros committed_at = 0;
};

// One SQL value. std::monostate is NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;
inline const Value kNull{};

// Converts an optional into a Value, NULL when empty.
template <typename T>
Value Nullable(const std::optional<T>& value) {
  return value ? Value(*value) : kNull;
}

class Row {
 public:
  explicit Row(std::vector<Value> cells) : cells_(std::move(cells)) {}
  size_t size() const { return cells_.size(); }
  bool IsNull(size_t column) const { return std::holds_alternative<std::monostate>(cells_.at(column)); }
  // Text of a TEXT column ("" for NULL); integers are formatted.
  std::string Text(size_t column) const;
  std::optional<std::string> OptionalText(size_t column) const;
  // Integer of an integer column (0 for NULL); numeric text is parsed.
  std::int64_t Int(size_t column) const;
  std::optional<std::int64_t> OptionalInt(size_t column) const;
  double Real(size_t column) const;
  const Value& Raw(size_t column) const { return cells_.at(column); }

 private:
  std::vector<Value> cells_;
};

using Rows = std::vector<Row>;

enum class Backend { kSqlite, kPostgres };

// A connection inside an open transaction. Implemented by each backend; domain code uses it only
// through TenantTx or SystemTx.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  virtual Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) = 0;
  // Returns the number of rows changed.
  virtual Result<std::int64_t> Execute(std::string_view sql, const std::vector<Value>& params) = 0;
  // Runs several statements without parameters (migrations).
  virtual Status ExecuteScript(std::string_view sql) = 0;
};

// A transaction scoped to one tenant. Every statement must reference $1, which is bound to the tenant
// id; the caller's parameters become $2, $3, ... A statement without $1 fails with kInternal before it
// reaches the database, so forgetting `WHERE tenant_id = $1` is caught by the first test that runs it.
class TenantTx {
 public:
  // `published` collects the changes of a write transaction; read transactions have none.
  TenantTx(Connection& connection, std::string tenant_id, std::vector<Change>* published = nullptr)
      : connection_(connection), tenant_id_(std::move(tenant_id)), published_(published) {}
  TenantTx(const TenantTx&) = delete;
  TenantTx& operator=(const TenantTx&) = delete;

  const std::string& tenant_id() const { return tenant_id_; }
  // For the few statements with no portable form (full-text search, store/text_index.h).
  Backend backend() const { return connection_.backend(); }
  Result<Rows> Query(std::string_view sql, std::initializer_list<Value> params = {});
  // `params` is read when the statement runs: a caller may still be binding into it while the other
  // arguments are evaluated.
  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params);
  // The && overloads take the values over instead of copying them (large text: events' properties).
  Result<Rows> Query(std::string_view sql, std::vector<Value>&& params);
  // The first row, or std::nullopt when there is none.
  Result<std::optional<Row>> QueryOne(std::string_view sql, std::initializer_list<Value> params = {});
  Result<std::int64_t> Execute(std::string_view sql, std::initializer_list<Value> params = {});
  Result<std::int64_t> Execute(std::string_view sql, const std::vector<Value>& params);
  Result<std::int64_t> Execute(std::string_view sql, std::vector<Value>&& params);
  // Holds, until the transaction ends, a lock on each of `keys` (names of whatever the caller is about to
  // write, e.g. identifiers), taken in one global order so that writers of overlapping sets queue
  // instead of deadlocking. On PostgreSQL: transaction-level advisory locks on hashes of the tenant and
  // key (a collision only makes two writers queue). SQLite has one writer at a time: nothing to do.
  Status LockKeys(std::vector<std::string> keys);
  // Publishes a change of this tenant when, and only if, the transaction commits. `data` is a JSON
  // object. Fails with kInternal in a read transaction.
  Status Publish(std::string_view kind, std::string subject_id, std::string data);
  // Every change published after this call carries `cause_json` (a JSON value) as "caused_by" in its
  // data, so a subscriber can tell which automation made it (the rules engine's loop protection).
  void SetCause(std::string cause_json) { cause_json_ = std::move(cause_json); }

 private:
  Status CheckScoped(std::string_view sql) const;
  std::vector<Value> WithTenant(std::vector<Value> params) const;

  Connection& connection_;
  std::string tenant_id_;
  std::vector<Change>* published_;
  std::string cause_json_;
};

// A transaction that may touch every tenant. Used only where no tenant is known yet (resolving a
// session token or API key, creating a tenant, migrations); grep for SystemTx to audit every use.
class SystemTx {
 public:
  explicit SystemTx(Connection& connection, std::vector<Change>* published = nullptr)
      : connection_(connection), published_(published) {}
  SystemTx(const SystemTx&) = delete;
  SystemTx& operator=(const SystemTx&) = delete;

  Result<Rows> Query(std::string_view sql, std::initializer_list<Value> params = {});
  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params);
  Result<std::optional<Row>> QueryOne(std::string_view sql, std::initializer_list<Value> params = {});
  Result<std::int64_t> Execute(std::string_view sql, std::initializer_list<Value> params = {});
  Result<std::int64_t> Execute(std::string_view sql, const std::vector<Value>& params);
  Status ExecuteScript(std::string_view sql) { return connection_.ExecuteScript(sql); }
  // Opens a tenant-scoped view on the same transaction.
  TenantTx InTenant(std::string tenant_id) { return TenantTx(connection_, std::move(tenant_id), published_); }

 private:
  Connection& connection_;
  std::vector<Change>* published_;
};

// Wakes a process when another process committed changes (PostgreSQL LISTEN/NOTIFY).
class ChangeNotifications {
 public:
  virtual ~ChangeNotifications() = default;
  // Waits up to `timeout`; true when a notification arrived (possibly for several commits).
  virtual bool Wait(std::chrono::milliseconds timeout) = 0;
};

class Store {
 public:
  using ConnectionFn = std::function<Status(Connection&)>;

  virtual ~Store() = default;

  virtual Backend backend() const = 0;
  // Fails with kUnavailable when the database cannot be reached.
  virtual Status Ping() = 0;
  // Fails with kUnavailable (with retry_after_seconds) while the store refuses writes although it
  // answers reads: on SQLite after a failed WAL sync (until restart) and for a while after a write found
  // the disk full. Reads a flag only, so readiness checks may call it often.
  virtual Status WriteHealth() { return Status::Ok(); }
  // Finishes queued writes and closes every connection; later calls fail with kUnavailable.
  virtual void Close() = 0;

  // Applies every migration newer than the database's schema version, in order, in one transaction
  // (both backends have transactional DDL). Safe to call from several processes at once.
  Status Migrate();
  Result<int> SchemaVersion();

  // Run `fn` in one read-write transaction: committed when it returns OK, rolled back otherwise.
  // Returns only after the commit is durable.
  Status Write(const std::string& tenant_id, const std::function<Status(TenantTx&)>& fn);
  Status Read(const std::string& tenant_id, const std::function<Status(TenantTx&)>& fn);
  Status WriteSystem(const std::function<Status(SystemTx&)>& fn);
  Status ReadSystem(const std::function<Status(SystemTx&)>& fn);

  // Called with the changes of every write that published some (sequences assigned), after its commit
  // is durable and before Write returns, on the writing thread. The change feed sets it once.
  using PublishedListener = std::function<void(const std::vector<Change>& changes)>;
  void OnPublished(PublishedListener listener);
  // True when readers can see a commit before it is durable (SQLite: a sync thread makes the commit
  // durable after it is visible), so the feed must not deliver past the last durable sequence.
  virtual bool CommitsVisibleBeforeDurable() const = 0;
  // Notifications of other processes' commits; nullptr when no other process can write (SQLite).
  virtual std::unique_ptr<ChangeNotifications> ListenForChanges() { return nullptr; }

 protected:
  // Backends implement transactions; `fn`'s status decides commit or rollback.
  virtual Status RunWrite(const ConnectionFn& fn) = 0;
  virtual Status RunRead(const ConnectionFn& fn) = 0;
  // Serialises concurrent Migrate() calls across processes (an advisory lock on PostgreSQL).
  virtual Status RunMigrationLocked(const ConnectionFn& fn) { return RunWrite(fn); }

 private:
  // One write attempt's published changes go to change_feed inside the transaction (retries start over).
  Status AppendToFeed(Connection& connection, std::vector<Change>& changes);
  Status WriteAndPublish(const std::function<Status(Connection&, std::vector<Change>&)>& fn);

  std::mutex listener_mutex_;
  PublishedListener listener_;  // guarded by listener_mutex_
};

// Opens a store from a URL: "sqlite:PATH" (the file is created) or "postgresql://..." / "postgres://...".
// Does not migrate.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);
// The URL as it may be printed or logged: a PostgreSQL URL without its user, password and parameters
// ("postgresql://db.internal:5432/touchpoint"); a SQLite URL as it is.
std::string DescribeStoreUrl(std::string_view url);

}  // namespace tp::store
