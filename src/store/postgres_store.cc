#include "store/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/backend_support.h"

namespace tp::store {
namespace {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;

// Type OIDs from PostgreSQL's catalog/pg_type.h; they are fixed in the catalog, and the server headers
// that name them are not a build dependency.
constexpr size_t kMaxPreparedStatements = 1024;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Any constant works as long as every process migrating the same database uses the same one.
constexpr std::int64_t kMigrationLockKey = 0x74'6f'75'63'68'70'74;  // "touchpt"
constexpr int kMaxSerializationRetries = 3;
// Ping answers within about twice kPingTimeout even when the server does not respond at all: once for
// a free connection, once for connecting and querying together (the connect timeout is libpq's, in
// whole seconds and two at least).
constexpr std::chrono::milliseconds kPingTimeout{2000};
constexpr char kPingConnectTimeout[] = "2";
constexpr size_t kSqlInMessage = 200;

constexpr std::string_view kBeginReadWrite = "BEGIN";
constexpr std::string_view kBeginReadOnly = "BEGIN READ ONLY";
constexpr std::string_view kLockMigrations = "SELECT pg_advisory_xact_lock($1)";

struct ConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// What went wrong with a statement, as far as retrying the transaction is concerned.
enum class Failure { kNone, kStatement, kSerialization, kConnectionLost };

// What the store may do after a failed transaction attempt.
enum class Retry { kNo, kAfterSerializationFailure, kAfterReconnect };

struct Attempt {
  Status status;
  Retry retry = Retry::kNo;
};

// Up to 5 ms before the first retry, doubling with every further one.
std::chrono::milliseconds RetryPause(int retry) {
  thread_local std::minstd_rand random(std::random_device{}());
  std::uniform_int_distribution<int> pause_ms(1, 5 << (retry - 1));
  return std::chrono::milliseconds(pause_ms(random));
}

// libpq messages end with a newline and sometimes carry several lines; one line reads better in logs.
std::string OneLine(const char* message) {
  std::string text = message == nullptr ? std::string() : std::string(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

std::string Abbreviated(std::string_view sql) {
  if (sql.size() <= kSqlInMessage) return std::string(sql);
  return std::string(sql.substr(0, kSqlInMessage)) + "...";
}

bool IsErrorResult(const PGresult* result) {
  switch (PQresultStatus(result)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return false;
    default:
      return true;
  }
}

// SQLSTATEs that mean the session is gone or cannot be had: class 08 (connection exception),
// admin_shutdown, crash_shutdown and cannot_connect_now.
bool IsConnectionSqlstate(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03";
}

bool IsSerializationSqlstate(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

Result<Value> DecodeValue(Oid type, std::string_view text) {
  const char* const end = text.data() + text.size();
  switch (type) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid: {
      std::int64_t number = 0;
      const auto [stop, error] = std::from_chars(text.data(), end, number);
      if (error != std::errc() || stop != end)
        return Internal("unreadable integer from PostgreSQL: " + std::string(text));
      return Value(number);
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      // from_chars accepts PostgreSQL's "NaN", "Infinity" and "-Infinity" as well as plain numbers.
      double number = 0;
      const auto [stop, error] = std::from_chars(text.data(), end, number);
      if (error != std::errc() || stop != end)
        return Internal("unreadable number from PostgreSQL: " + std::string(text));
      return Value(number);
    }
    default:
      return Value(std::string(text));
  }
}

Result<Rows> DecodeRows(const PGresult* result) {
  const int row_count = PQntuples(result);
  const int column_count = PQnfields(result);
  std::vector<Oid> types(static_cast<size_t>(column_count));
  for (int column_idx = 0; column_idx < column_count; ++column_idx) {
    types[static_cast<size_t>(column_idx)] = PQftype(result, column_idx);
  }
  Rows rows;
  rows.reserve(static_cast<size_t>(row_count));
  for (int row_idx = 0; row_idx < row_count; ++row_idx) {
    std::vector<Value> cells;
    cells.reserve(static_cast<size_t>(column_count));
    for (int column_idx = 0; column_idx < column_count; ++column_idx) {
      if (PQgetisnull(result, row_idx, column_idx)) {
        cells.emplace_back();
        continue;
      }
      const std::string_view text(PQgetvalue(result, row_idx, column_idx),
                                  static_cast<size_t>(PQgetlength(result, row_idx, column_idx)));
      TP_ASSIGN_OR_RETURN(Value cell, DecodeValue(types[static_cast<size_t>(column_idx)], text));
      cells.push_back(std::move(cell));
    }
    rows.emplace_back(std::move(cells));
  }
  return rows;
}

// Connects with defaults that suit a server process. libpq applies the settings in order and the last
// one wins: the caller's conninfo (expanded from `dbname`) overrides the defaults before it, while the
// client encoding (every string in touchpoint is UTF-8) and `connect_timeout_override` (seconds; libpq
// skips it when null) override the conninfo.
ConnPtr Connect(const std::string& conninfo, const char* connect_timeout_override) {
  const std::pair<const char*, const char*> settings[] = {
      {"connect_timeout", "5"},
      // A server or network that died without closing the socket is noticed within about a minute.
      {"keepalives_idle", "30"},
      {"keepalives_interval", "10"},
      {"keepalives_count", "3"},
      {"fallback_application_name", "touchpoint"},
      {"dbname", conninfo.c_str()},
      {"client_encoding", "UTF8"},
      {"connect_timeout", connect_timeout_override},
  };
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword);
    values.push_back(value);
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  return ConnPtr(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
}

// One libpq session and the statements prepared on it. Not thread-safe: the pool lends it to one
// thread at a time.
class PgConnection final : public Connection {
 public:
  explicit PgConnection(const std::string& conninfo) : conninfo_(conninfo) {}
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Backend backend() const override { return Backend::kPostgres; }

  // Connects if there is no healthy session; a new session starts with no prepared statements.
  Status EnsureConnected(const char* connect_timeout_override = nullptr) {
    if (conn_ != nullptr && PQstatus(conn_.get()) == CONNECTION_OK) return Status::Ok();
    statements_.clear();
    conn_ = Connect(conninfo_, connect_timeout_override);
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      const std::string message = OneLine(PQerrorMessage(conn_.get()));
      conn_.reset();
      return Unavailable("cannot connect to PostgreSQL: " + message);
    }
    // libpq prints notices to stderr by default; every Migrate() would add "relation already exists,
    // skipping" there. Nothing in a notice calls for action, and the store has no logger of its own.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    return Status::Ok();
  }

  // Closes the session unless it is healthy and outside any transaction (a query abandoned after a
  // timeout, a failed ROLLBACK), so that the next borrower reconnects instead of inheriting its state.
  void CloseUnlessIdle() {
    if (conn_ == nullptr) return;
    if (PQstatus(conn_.get()) != CONNECTION_OK || PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      conn_.reset();
    }
  }

  // One try at BEGIN, fn, COMMIT; says whether trying again is safe and useful.
  Attempt RunTransaction(std::string_view begin, const Store::ConnectionFn& fn) {
    failure_ = Failure::kNone;
    first_error_.reset();
    if (Result<ResultPtr> began = Run(begin, {}, std::nullopt); !began.ok()) return Abandon(began.status());
    Status status = fn(*this);
    // PostgreSQL aborts the whole transaction at the first failed statement, and COMMIT would then
    // silently roll back; a function that swallowed that error must not be told it committed.
    if (status.ok() && first_error_) status = *first_error_;
    if (!status.ok()) return Abandon(std::move(status));
    Result<ResultPtr> committed = Run(kCommit, {}, std::nullopt);
    if (!committed.ok()) {
      // A serialization failure at COMMIT rolled everything back, so a retry is safe. A connection lost
      // during COMMIT leaves the outcome unknown, so the caller gets kUnavailable and no retry.
      const Retry retry = failure_ == Failure::kSerialization ? Retry::kAfterSerializationFailure : Retry::kNo;
      return {committed.status(), retry};
    }
    if (std::string_view(PQcmdStatus(committed->get())) != kCommit) {
      return {Internal("PostgreSQL rolled the transaction back at COMMIT"), Retry::kNo};
    }
    return {Status::Ok(), Retry::kNo};
  }

  Status Ping(Clock::time_point deadline) {
    if (Result<ResultPtr> result = Run(kPing, {}, deadline); !result.ok()) {
      return Unavailable("PostgreSQL did not answer: " + result.status().message());
    }
    return Status::Ok();
  }

  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) override {
    TP_ASSIGN_OR_RETURN(ResultPtr result, Run(sql, params, std::nullopt));
    return DecodeRows(result.get());
  }

  Result<std::int64_t> Execute(std::string_view sql, const std::vector<Value>& params) override {
    TP_ASSIGN_OR_RETURN(ResultPtr result, Run(sql, params, std::nullopt));
    // PQcmdTuples is empty for statements that do not count rows (DDL).
    const std::string_view count = PQcmdTuples(result.get());
    std::int64_t changed = 0;
    std::from_chars(count.data(), count.data() + count.size(), changed);
    return changed;
  }

  Status ExecuteScript(std::string_view sql) override {
    // The simple-query protocol runs several statements in one round trip (no parameters, no
    // preparation); it is what PQexec uses, sent asynchronously so the wait is the same as elsewhere.
    const std::string script(sql);
    if (!PQsendQuery(conn_.get(), script.c_str())) return SendError(sql);
    return internal::AsStatus(AwaitResult(sql, std::nullopt));
  }

 private:
  // Ends a failed attempt. The retry decision is taken first, so that a ROLLBACK failing now cannot turn
  // the function's own error into a retry. After a FATAL error the session may look healthy until libpq
  // reads the end of the stream, so it is closed outright and the retry starts on a new one.
  Attempt Abandon(Status status) {
    const Retry retry = RetryFor(failure_);
    if (failure_ == Failure::kConnectionLost) {
      conn_.reset();
    } else {
      // If ROLLBACK fails the session is left inside a transaction, and CloseUnlessIdle drops it.
      (void)Run(kRollback, {}, std::nullopt);
    }
    return {std::move(status), retry};
  }

  // Prepares `sql` on first use in this session and executes it with text-format parameters.
  Result<ResultPtr> Run(std::string_view sql, const std::vector<Value>& params, Deadline deadline) {
    TP_ASSIGN_OR_RETURN(std::string name, Prepared(sql, deadline));
    // Integers and reals need text storage; strings are passed as they are, NULL as a null pointer.
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t param_idx = 0; param_idx < params.size(); ++param_idx) {
      const Value& param = params[param_idx];
      if (const auto* text = std::get_if<std::string>(&param)) {
        // Text parameters end at the first NUL, and PostgreSQL text cannot hold one anyway; cutting the
        // value short without a word would store something the caller never sent.
        if (text->find('\0') != std::string::npos) {
          return InvalidArgument("text value contains a NUL character");
        }
        values[param_idx] = text->c_str();
      } else if (const auto* integer = std::get_if<std::int64_t>(&param)) {
        storage[param_idx] = std::to_string(*integer);
        values[param_idx] = storage[param_idx].c_str();
      } else if (const auto* real = std::get_if<double>(&param)) {
        char buffer[32];
        std::snprintf(buffer, sizeof(buffer), "%.17g", *real);
        storage[param_idx] = buffer;
        values[param_idx] = storage[param_idx].c_str();
      }
    }
    if (!PQsendQueryPrepared(conn_.get(), name.c_str(), static_cast<int>(values.size()), values.data(),
                             /*paramLengths=*/nullptr, /*paramFormats=*/nullptr, /*resultFormat=*/0)) {
      return SendError(sql);
    }
    return AwaitResult(sql, deadline);
  }

  Result<std::string> Prepared(std::string_view sql, Deadline deadline) {
    if (const auto found = statements_.find(sql); found != statements_.end()) return found->second;
    // SQL built from optional filters has many texts; bound the server-side statements per session.
    if (statements_.size() >= kMaxPreparedStatements) {
      TP_RETURN_IF_ERROR(ExecuteScript("DEALLOCATE ALL"));
      statements_.clear();
    }
    std::string key(sql);
    std::string name = "tp_" + std::to_string(++statement_counter_);
    // Parameter types are left to the server, which infers them from the statement, so the SQL text
    // alone identifies a prepared statement.
    if (!PQsendPrepare(conn_.get(), name.c_str(), key.c_str(), 0, /*paramTypes=*/nullptr)) return SendError(sql);
    TP_RETURN_IF_ERROR(AwaitResult(sql, deadline));
    statements_.emplace(std::move(key), name);
    return name;
  }

  // Collects the results of the command just sent. Like PQexec it keeps the first error or else the
  // last result, but waits with poll() so that a deadline can bound the wait.
  Result<ResultPtr> AwaitResult(std::string_view sql, Deadline deadline) {
    PGconn* const conn = conn_.get();
    ResultPtr kept;
    while (true) {
      while (PQisBusy(conn)) {
        TP_RETURN_IF_ERROR(WaitForInput(sql, deadline));
        // On failure the connection is broken; PQgetResult below turns that into an error result.
        if (!PQconsumeInput(conn)) break;
      }
      ResultPtr result(PQgetResult(conn));
      if (result == nullptr) break;
      if (kept == nullptr || !IsErrorResult(kept.get())) kept = std::move(result);
    }
    if (kept == nullptr) return SendError(sql);
    if (IsErrorResult(kept.get())) return StatementError(kept.get(), sql);
    return kept;
  }

  Status WaitForInput(std::string_view sql, Deadline deadline) {
    pollfd descriptor{};
    descriptor.fd = PQsocket(conn_.get());
    descriptor.events = POLLIN;
    if (descriptor.fd < 0) return SendError(sql);
    while (true) {
      int timeout_ms = -1;
      if (deadline) {
        const auto remaining = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
        timeout_ms = static_cast<int>(std::max<std::int64_t>(0, remaining.count()));
      }
      const int ready = poll(&descriptor, 1, timeout_ms);
      if (ready > 0) return Status::Ok();
      if (ready == 0) {
        // The query is still running; CloseUnlessIdle drops the session when it goes back to the pool.
        return Record(Failure::kConnectionLost, Unavailable("PostgreSQL did not answer in time: " + Abbreviated(sql)));
      }
      if (errno != EINTR) {
        return Record(Failure::kConnectionLost,
                      Unavailable(std::string("waiting for PostgreSQL: ") + std::strerror(errno)));
      }
    }
  }

  // A command that could not be sent or produced no result: the session is broken, or libpq ran out
  // of memory.
  Status SendError(std::string_view sql) {
    const std::string message = OneLine(PQerrorMessage(conn_.get())) + " (statement: " + Abbreviated(sql) + ")";
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      return Record(Failure::kConnectionLost, Unavailable("PostgreSQL connection lost: " + message));
    }
    return Record(Failure::kStatement, Internal("PostgreSQL: " + message));
  }

  Status StatementError(const PGresult* result, std::string_view sql) {
    const char* const field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const std::string_view sqlstate = field == nullptr ? std::string_view() : std::string_view(field);
    const std::string message = OneLine(PQresultErrorMessage(result));
    if (PQstatus(conn_.get()) != CONNECTION_OK || IsConnectionSqlstate(sqlstate)) {
      return Record(Failure::kConnectionLost, Unavailable("PostgreSQL connection lost: " + message));
    }
    if (sqlstate == "23505") {
      // The detail (the duplicate key's value) stays out: conflict messages may reach clients.
      const char* const constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
      return Record(Failure::kStatement, Conflict(std::string("already exists (unique constraint ") +
                                                  (constraint == nullptr ? "?" : constraint) + ")"));
    }
    const Failure failure = IsSerializationSqlstate(sqlstate) ? Failure::kSerialization : Failure::kStatement;
    return Record(failure, Internal("PostgreSQL " + std::string(sqlstate) + ": " + message +
                                    " (statement: " + Abbreviated(sql) + ")"));
  }

  // Remembers the first error of the transaction; a lost connection outranks anything else because it
  // decides whether the transaction can be retried on a new session.
  Status Record(Failure failure, Status status) {
    if (failure_ == Failure::kNone || failure == Failure::kConnectionLost) failure_ = failure;
    if (!first_error_) first_error_ = status;
    return status;
  }

  static Retry RetryFor(Failure failure) {
    switch (failure) {
      case Failure::kSerialization:
        return Retry::kAfterSerializationFailure;
      case Failure::kConnectionLost:
        return Retry::kAfterReconnect;
      case Failure::kNone:
      case Failure::kStatement:
        return Retry::kNo;
    }
    return Retry::kNo;
  }

  const std::string& conninfo_;  // owned by the store, which outlives its connections
  ConnPtr conn_;
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> statements_;  // SQL → name
  std::uint64_t statement_counter_ = 0;
  Failure failure_ = Failure::kNone;
  std::optional<Status> first_error_;
};

// A session of its own that LISTENs for other processes' commits (store.cc NOTIFYs in every write
// that publishes changes). It reconnects when the session is lost and then reports a notification,
// since commits may have been missed meanwhile and the feed reads the table anyway.
class PgChangeNotifications final : public ChangeNotifications {
 public:
  explicit PgChangeNotifications(std::string conninfo) : conninfo_(std::move(conninfo)) {}

  bool Wait(std::chrono::milliseconds timeout) override {
    if (conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK) {
      if (!Connect()) {
        std::this_thread::sleep_for(std::min(timeout, std::chrono::milliseconds(1000)));
        return false;
      }
      return true;
    }
    if (Drain()) return true;
    pollfd descriptor{PQsocket(conn_.get()), POLLIN, 0};
    const int ready = poll(&descriptor, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) return false;
    if (PQconsumeInput(conn_.get()) == 0) {
      conn_.reset();
      return true;
    }
    return Drain();
  }

 private:
  bool Connect() {
    conn_ = tp::store::Connect(conninfo_, nullptr);
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      conn_.reset();
      return false;
    }
    PQsetNoticeProcessor(conn_.get(), [](void*, const char*) {}, nullptr);
    ResultPtr listening(PQexec(conn_.get(), "LISTEN touchpoint_changes"));
    if (PQresultStatus(listening.get()) != PGRES_COMMAND_OK) {
      conn_.reset();
      return false;
    }
    return true;
  }

  // Takes every notification already read; true when there was one.
  bool Drain() {
    bool notified = false;
    while (PGnotify* notification = PQnotifies(conn_.get())) {
      notified = true;
      PQfreemem(notification);
    }
    return notified;
  }

  std::string conninfo_;
  ConnPtr conn_;
};

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(const PostgresOptions& options)
      : conninfo_(options.conninfo), acquire_timeout_(options.acquire_timeout) {
    idle_.reserve(static_cast<size_t>(options.pool_size));
    for (int slot = 0; slot < options.pool_size; ++slot) idle_.push_back(std::make_unique<PgConnection>(conninfo_));
  }

  // Leases point back at the store, so it waits for every one of them however long Close() waited.
  ~PostgresStore() override {
    Close();
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return leased_ == 0; });
  }

  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  Backend backend() const override { return Backend::kPostgres; }
  // COMMIT returns once the commit is durable and only then is it visible (synchronous_commit = on,
  // docs/operations.md).
  bool CommitsVisibleBeforeDurable() const override { return false; }
  std::unique_ptr<ChangeNotifications> ListenForChanges() override {
    return std::make_unique<PgChangeNotifications>(conninfo_);
  }

  Status Ping() override {
    TP_ASSIGN_OR_RETURN(Lease lease, Acquire(std::min<std::chrono::milliseconds>(acquire_timeout_, kPingTimeout)));
    const Clock::time_point deadline = Clock::now() + kPingTimeout;
    TP_RETURN_IF_ERROR(lease->EnsureConnected(kPingConnectTimeout));
    return lease->Ping(deadline);
  }

  void Close() override {
    std::vector<std::unique_ptr<PgConnection>> closing;
    {
      std::unique_lock lock(mutex_);
      closed_ = true;
      available_.notify_all();
      // Connections still out after this are closed by Release when they come back.
      returned_.wait_for(lock, acquire_timeout_, [&] { return leased_ == 0; });
      closing.swap(idle_);
    }
    // `closing` goes out of scope here, so the sessions are closed without holding the lock.
  }

 protected:
  Status RunWrite(const ConnectionFn& fn) override { return RunTransaction(kBeginReadWrite, fn); }
  Status RunRead(const ConnectionFn& fn) override { return RunTransaction(kBeginReadOnly, fn); }

  Status RunMigrationLocked(const ConnectionFn& fn) override {
    return RunTransaction(kBeginReadWrite, [&](Connection& connection) -> Status {
      // A transaction-level lock: COMMIT or ROLLBACK releases it, and so does the server if this
      // process dies. The second migrator waits here and then finds the migrations already recorded.
      TP_RETURN_IF_ERROR(connection.Query(kLockMigrations, {Value(kMigrationLockKey)}));
      return fn(connection);
    });
  }

 private:
  // A connection borrowed from the pool, given back when the lease ends.
  class Lease {
   public:
    Lease(PostgresStore& store, std::unique_ptr<PgConnection> connection)
        : store_(&store), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (connection_ != nullptr) store_->Release(std::move(connection_));
    }
    PgConnection* operator->() { return connection_.get(); }

   private:
    PostgresStore* store_;
    std::unique_ptr<PgConnection> connection_;
  };

  Result<Lease> Acquire(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, timeout, [&] { return closed_ || !idle_.empty(); })) {
      return Unavailable("no PostgreSQL connection became free within " + std::to_string(timeout.count()) + " ms");
    }
    if (closed_) return Unavailable("the store is closed");
    std::unique_ptr<PgConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    ++leased_;
    return Lease(*this, std::move(connection));
  }

  void Release(std::unique_ptr<PgConnection> connection) {
    connection->CloseUnlessIdle();
    std::unique_lock lock(mutex_);
    --leased_;
    if (leased_ == 0) returned_.notify_all();
    if (closed_) {
      lock.unlock();
      connection.reset();
      return;
    }
    // Last in, first out: the most recently used sessions stay warm, the others stay idle.
    idle_.push_back(std::move(connection));
    available_.notify_one();
  }

  Status RunTransaction(std::string_view begin, const ConnectionFn& fn) {
    TP_ASSIGN_OR_RETURN(Lease lease, Acquire(acquire_timeout_));
    int serialization_retries = 0;
    bool reconnected = false;
    while (true) {
      TP_RETURN_IF_ERROR(lease->EnsureConnected());
      Attempt attempt = lease->RunTransaction(begin, fn);
      if (attempt.retry == Retry::kAfterSerializationFailure && serialization_retries < kMaxSerializationRetries) {
        ++serialization_retries;
        // Retrying at once can take the first lock again before the transaction that won the deadlock
        // wakes up to take it, and deadlock once more; a short random pause lets the winner go first.
        std::this_thread::sleep_for(RetryPause(serialization_retries));
        continue;
      }
      // Nothing was committed, so the transaction runs once more on a fresh session.
      if (attempt.retry == Retry::kAfterReconnect && !reconnected) {
        reconnected = true;
        continue;
      }
      return attempt.status;
    }
  }

  const std::string conninfo_;
  const std::chrono::milliseconds acquire_timeout_;
  std::mutex mutex_;
  std::condition_variable available_;  // a connection was returned, or the store closed
  std::condition_variable returned_;   // leased_ dropped to zero
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int leased_ = 0;
  bool closed_ = false;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options) {
  if (options.pool_size < 1) return InvalidArgument("the PostgreSQL pool needs at least one connection", "db");
  // Checked here so that a typo fails at start-up; connections themselves are opened on first use,
  // which lets the process start (and report kUnavailable) while the database is still down.
  char* error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(options.conninfo.c_str(), &error);
  if (parsed == nullptr) {
    std::string message = error == nullptr ? std::string("out of memory") : OneLine(error);
    PQfreemem(error);
    return InvalidArgument("invalid PostgreSQL connection string: " + message, "db");
  }
  PQconninfoFree(parsed);
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(options));
}

}  // namespace tp::store
