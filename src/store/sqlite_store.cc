#include "store/sqlite_store.h"

#include "store/backend_support.h"
#include "store/sql_text.h"
#include "store/wal_gathering_vfs.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace tp::store {
namespace {

struct DatabaseCloser {
  void operator()(sqlite3* database) const { sqlite3_close_v2(database); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using DatabasePtr = std::unique_ptr<sqlite3, DatabaseCloser>;
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

constexpr std::string_view kBeginWrite = "BEGIN IMMEDIATE";
constexpr std::string_view kBeginRead = "BEGIN";
constexpr std::string_view kSavepoint = "SAVEPOINT tp_write";
constexpr std::string_view kReleaseSavepoint = "RELEASE tp_write";
constexpr std::string_view kRollbackToSavepoint = "ROLLBACK TO tp_write";
constexpr std::string_view kEnableWal = "PRAGMA journal_mode = WAL";
// The writer touches the hot pages of every table it appends to, so it gets a larger page cache than
// SQLite's 2 MiB default (readers keep the default: each holds its own). Each write job runs in a
// savepoint, whose journal of original pages Debian's SQLite keeps in a temporary file: in memory it
// saves the writer a write system call per page, about 60 % of its writes. Commits do not wait for the
// disk (synchronous = NORMAL keeps the WAL consistent, not durable): the store syncs the WAL itself,
// on its own thread, before it answers the writes a commit carried (WalLog, SqliteStore::SyncLoop).
// Deleted content is overwritten, not left in free pages, so that an erased person is gone from the file
// (Debian's SQLite defaults to this; other builds do not).
constexpr std::string_view kWriterSettings =
    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -16384; PRAGMA temp_store = MEMORY; "
    "PRAGMA secure_delete = ON";
constexpr std::string_view kCheckpoint = "PRAGMA wal_checkpoint(PASSIVE)";
// The background checkpoint starts at SQLite's own automatic threshold, in WAL pages. Under sustained
// writes it never catches up with the log's end, and the log can only start over (instead of growing
// without bound) once a checkpoint has: past kWriterCheckpointPages the writer copies the rest itself.
constexpr int kCheckpointPages = 1000;
constexpr int kWriterCheckpointPages = 4 * kCheckpointPages;
// Past this the writer waits for a complete checkpoint: the background one can hold the checkpoint lock
// for long on a busy machine while commits, which do not wait for the disk, keep coming.
constexpr int kWriterWaitPages = 3 * kWriterCheckpointPages;
// The checkpoint thread's scheduling niceness (0 is normal, 19 the lowest priority).
constexpr int kCheckpointerNiceness = 10;
// Internal messages quote the start of the failing statement; that is enough to find it in the code.
constexpr size_t kQuotedSqlLength = 120;
constexpr size_t kMaxCachedStatements = 1024;
constexpr std::string_view kWalFailed =
    "the write-ahead log could not be written to disk; writes stop until the server is restarted";

// After a write failed for a full disk, readiness reports the store as refusing writes this long
// (unless a write succeeds first): whether space came back cannot be seen without writing, and an
// instance out of rotation gets no writes to find out.
constexpr std::chrono::seconds kDiskFullBackoff{30};

const std::vector<Value> kNoParams;

// Maps an (extended) SQLite result code onto the store's error codes. Conflict messages name the
// violated columns ("UNIQUE constraint failed: teams.tenant_id, teams.name") but never the SQL; only
// kInternal messages, which are logged and never shown, quote the statement.
Status SqliteError(int code, sqlite3* database, std::string_view sql) {
  const std::string detail = database != nullptr ? sqlite3_errmsg(database) : sqlite3_errstr(code);
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) return Conflict(detail);
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
      return Unavailable("sqlite: " + detail);
    default:
      break;
  }
  std::string message = "sqlite: " + detail;
  if (!sql.empty()) message += " in: " + std::string(sql.substr(0, kQuotedSqlLength));
  return Internal(std::move(message));
}

Status BindValue(sqlite3_stmt* statement, int index, const Value& value) {
  int code = SQLITE_OK;
  if (const auto* integer = std::get_if<std::int64_t>(&value)) {
    code = sqlite3_bind_int64(statement, index, *integer);
  } else if (const auto* real = std::get_if<double>(&value)) {
    code = sqlite3_bind_double(statement, index, *real);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    // SQLITE_STATIC: the parameters outlive the statement's use, and bindings are cleared afterwards.
    code = sqlite3_bind_text64(statement, index, text->data(), text->size(), SQLITE_STATIC, SQLITE_UTF8);
  } else {
    code = sqlite3_bind_null(statement, index);
  }
  if (code != SQLITE_OK) return SqliteError(code, sqlite3_db_handle(statement), sqlite3_sql(statement));
  return Status::Ok();
}

Value ColumnValue(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      return Value(static_cast<std::int64_t>(sqlite3_column_int64(statement, column)));
    case SQLITE_FLOAT:
      return Value(sqlite3_column_double(statement, column));
    case SQLITE_TEXT: {
      // sqlite3_column_bytes must follow sqlite3_column_text, which may convert the value first.
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
      const int size = sqlite3_column_bytes(statement, column);
      return size == 0 ? Value(std::string()) : Value(std::string(text, static_cast<size_t>(size)));
    }
    case SQLITE_BLOB: {
      const auto* blob = static_cast<const char*>(sqlite3_column_blob(statement, column));
      const int size = sqlite3_column_bytes(statement, column);
      return size == 0 ? Value(std::string()) : Value(std::string(blob, static_cast<size_t>(size)));
    }
    default:
      return kNull;
  }
}

// Returns a cached statement to its initial state when a call is done with it, so that it holds no
// read snapshot, no lock and no pointer into the caller's parameters.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* statement_;
};

// One SQLite connection with its prepared-statement cache. Not thread-safe: the store hands it to one
// thread at a time.
class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(DatabasePtr database) : database_(std::move(database)) {}
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  Backend backend() const override { return Backend::kSqlite; }

  Result<Rows> Query(std::string_view sql, const std::vector<Value>& params) override {
    TP_ASSIGN_OR_RETURN(sqlite3_stmt * statement, Prepare(sql));
    const StatementUse use(statement);
    TP_RETURN_IF_ERROR(Bind(statement, sql, params));
    const int columns = sqlite3_column_count(statement);
    Rows rows;
    for (;;) {
      const int code = sqlite3_step(statement);
      if (code == SQLITE_DONE) return rows;
      if (code != SQLITE_ROW) return Failed(code, sql);
      std::vector<Value> cells;
      cells.reserve(static_cast<size_t>(columns));
      for (int column = 0; column < columns; ++column) cells.push_back(ColumnValue(statement, column));
      rows.emplace_back(std::move(cells));
    }
  }

  Result<std::int64_t> Execute(std::string_view sql, const std::vector<Value>& params) override {
    TP_ASSIGN_OR_RETURN(sqlite3_stmt * statement, Prepare(sql));
    const StatementUse use(statement);
    TP_RETURN_IF_ERROR(Bind(statement, sql, params));
    // Stepping to the end also runs statements that return rows (INSERT ... RETURNING).
    int code = SQLITE_ROW;
    while (code == SQLITE_ROW) code = sqlite3_step(statement);
    if (code != SQLITE_DONE) return Failed(code, sql);
    return static_cast<std::int64_t>(sqlite3_changes64(database_.get()));
  }

  // Scripts run once (migrations), so their statements are not cached.
  Status ExecuteScript(std::string_view sql) override {
    const char* cursor = sql.data();
    const char* const end = sql.data() + sql.size();
    while (cursor < end) {
      sqlite3_stmt* raw = nullptr;
      const char* tail = nullptr;
      const int prepared =
          sqlite3_prepare_v3(database_.get(), cursor, static_cast<int>(end - cursor), 0, &raw, &tail);
      const StatementPtr statement(raw);
      const std::string_view current(cursor, static_cast<size_t>(end - cursor));
      if (prepared != SQLITE_OK) return Failed(prepared, current);
      cursor = tail;
      if (statement == nullptr) continue;  // only whitespace or a comment was left
      int code = SQLITE_ROW;
      while (code == SQLITE_ROW) code = sqlite3_step(statement.get());
      if (code != SQLITE_DONE) return Failed(code, current);
    }
    return Status::Ok();
  }

  // Runs a statement that takes no parameters (BEGIN, COMMIT, SAVEPOINT...).
  Status Run(std::string_view sql) { return Execute(sql, kNoParams).status(); }

  bool InTransaction() const { return sqlite3_get_autocommit(database_.get()) == 0; }

  // Whether a statement failed for a full disk (SQLITE_FULL) since the last call.
  bool TakeDiskFull() { return std::exchange(disk_full_, false); }

  // Copies what it can of the WAL into the database file without waiting for anyone (busy: skipped).
  void CheckpointPassive() { Checkpoint(SQLITE_CHECKPOINT_PASSIVE); }
  // Copies all of the WAL, waiting (up to the busy timeout) for a checkpoint in progress and for readers
  // of older snapshots.
  void CheckpointFull() { Checkpoint(SQLITE_CHECKPOINT_FULL); }

  // Calls `on_commit(pages)` after every commit with the WAL's size in pages, in place of SQLite's
  // automatic checkpoint.
  void OnWalCommit(std::function<void(int)> on_commit) {
    on_wal_commit_ = std::move(on_commit);
    sqlite3_wal_hook(
        database_.get(),
        [](void* self, sqlite3*, const char*, int pages) {
          static_cast<SqliteConnection*>(self)->on_wal_commit_(pages);
          return SQLITE_OK;
        },
        this);
  }

 private:
  Status Failed(int code, std::string_view sql) {
    if ((code & 0xff) == SQLITE_FULL) disk_full_ = true;
    return SqliteError(code, database_.get(), sql);
  }

  void Checkpoint(int mode) {
    static_cast<void>(sqlite3_wal_checkpoint_v2(database_.get(), nullptr, mode, nullptr, nullptr));
  }

  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    if (const auto cached = statements_.find(sql); cached != statements_.end()) return cached->second.get();
    const std::string converted = RewriteParameters(sql, '?');
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    // The length includes the terminating NUL, which spares SQLite a copy of the text.
    const int code = sqlite3_prepare_v3(database_.get(), converted.c_str(), static_cast<int>(converted.size() + 1),
                                        SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    StatementPtr statement(raw);
    if (code != SQLITE_OK) return SqliteError(code, database_.get(), sql);
    if (statement == nullptr) return Internal("empty SQL statement");
    // A second statement would be silently ignored, so refuse it; scripts go through ExecuteScript.
    for (; *tail != '\0'; ++tail) {
      if (*tail != ';' && *tail != ' ' && *tail != '\n' && *tail != '\t' && *tail != '\r') {
        return Internal("more than one SQL statement in: " + std::string(sql.substr(0, kQuotedSqlLength)));
      }
    }
    sqlite3_stmt* const result = statement.get();
    // SQL built from optional filters has many texts; bound the cache rather than grow it forever.
    // No cached statement is in use between calls (Query and Execute finish theirs), so clearing is safe.
    if (statements_.size() >= kMaxCachedStatements) statements_.clear();
    statements_.emplace(std::string(sql), std::move(statement));
    return result;
  }

  // Postgres refuses a parameter count that differs from the statement's, so SQLite must too: otherwise
  // a missing parameter would quietly bind NULL in development and fail only in production.
  Status Bind(sqlite3_stmt* statement, std::string_view sql, const std::vector<Value>& params) {
    const int expected = sqlite3_bind_parameter_count(statement);
    if (static_cast<size_t>(expected) != params.size()) {
      return Internal("statement takes " + std::to_string(expected) + " parameters, got " +
                      std::to_string(params.size()) + ": " + std::string(sql.substr(0, kQuotedSqlLength)));
    }
    for (size_t index = 0; index < params.size(); ++index) {
      TP_RETURN_IF_ERROR(BindValue(statement, static_cast<int>(index + 1), params[index]));
    }
    return Status::Ok();
  }

  // Declared first so that it is destroyed last, after every statement is finalised.
  DatabasePtr database_;
  std::unordered_map<std::string, StatementPtr, StringHash, std::equal_to<>> statements_;
  std::function<void(int)> on_wal_commit_;
  bool disk_full_ = false;
};

// Runs passive checkpoints on its own thread and connection whenever the writer reports a WAL of at
// least kCheckpointPages. A passive checkpoint never blocks the writer or readers; pages a reader still
// needs are copied by a later one.
class Checkpointer {
 public:
  explicit Checkpointer(std::unique_ptr<SqliteConnection> connection)
      : connection_(std::move(connection)), thread_([this] { Loop(); }) {}
  ~Checkpointer() { Stop(); }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void WalGrew(int pages) {
    if (pages < kCheckpointPages) return;
    {
      const std::lock_guard lock(mutex_);
      wanted_ = true;
    }
    wake_.notify_one();
  }

  // Blocks until no checkpoint runs or is pending, so that the caller can take the checkpoint lock (SQLite
  // never waits for that lock, not even with a busy timeout).
  void WaitUntilIdle() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return stopping_ || (!running_ && !wanted_); });
  }

  // Joins the thread and closes the connection; the store then closes the writer, which as the last
  // connection checkpoints whatever is left.
  void Stop() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    idle_.notify_all();
    if (thread_.joinable()) thread_.join();
    connection_.reset();
  }

 private:
  void Loop() {
    // Copying the WAL can wait; the writer, which every write queues behind, cannot. On a busy machine
    // the lower priority gives the writer the CPU first (the writer's own WAL bound still holds).
    static_cast<void>(::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kCheckpointerNiceness));
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
      running_ = true;
      lock.unlock();
      // A failed checkpoint (an I/O error) leaves the WAL longer; the next commit asks again.
      static_cast<void>(connection_->Query(kCheckpoint, kNoParams));
      lock.lock();
      running_ = false;
      idle_.notify_all();
    }
  }

  std::unique_ptr<SqliteConnection> connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  bool wanted_ = false;    // guarded by mutex_
  bool running_ = false;   // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;     // last: starts after the members it uses
};

// The WAL file, opened a second time so that its contents can be synced to disk while the writer goes on
// writing the next transaction: fdatasync covers every write made before it started, on any descriptor
// of the file. SQLite deletes the WAL only when its last connection closes, and the writer's stays
// open for as long as the store, so the descriptor names the live log throughout.
class WalLog {
 public:
  static Result<WalLog> Open(const std::string& database_path) {
    const std::string path = database_path + "-wal";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Unavailable("cannot open " + path + ": " + std::strerror(errno));
    WalLog log(fd);
    // A new log's directory entry must reach the disk too, or a crash could lose the whole file.
    std::filesystem::path directory = std::filesystem::path(database_path).parent_path();
    if (directory.empty()) directory = ".";
    const int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory_fd < 0) return Unavailable("cannot open " + directory.string() + ": " + std::strerror(errno));
    const int synced = ::fsync(directory_fd);
    const int sync_error = errno;
    ::close(directory_fd);
    if (synced != 0) return Unavailable("cannot sync " + directory.string() + ": " + std::strerror(sync_error));
    return log;
  }
  WalLog(WalLog&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WalLog& operator=(WalLog&&) = delete;
  WalLog(const WalLog&) = delete;
  WalLog& operator=(const WalLog&) = delete;
  ~WalLog() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Sync() const {
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return Unavailable(std::string("cannot sync the write-ahead log: ") + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  explicit WalLog(int fd) : fd_(fd) {}
  int fd_;
};

// `vfs`: nullptr for SQLite's default.
Result<std::unique_ptr<SqliteConnection>> OpenConnection(const std::string& path, int flags,
                                                         std::chrono::milliseconds busy_timeout,
                                                         const char* vfs = nullptr) {
  sqlite3* raw = nullptr;
  // sqlite3_open_v2 allocates a handle even when it fails; it must be closed either way.
  const int code = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, vfs);
  DatabasePtr database(raw);
  if (code != SQLITE_OK) {
    const Status error = SqliteError(code, database.get(), {});
    return Status(error.code(), "cannot open " + path + ": " + error.message());
  }
  sqlite3_extended_result_codes(database.get(), 1);
  sqlite3_busy_timeout(database.get(), static_cast<int>(busy_timeout.count()));
  return std::make_unique<SqliteConnection>(std::move(database));
}

// Write functions run on the writer thread, where an escaping exception would end the process; reads
// are guarded the same way so that a throwing function behaves alike on both paths.
Status RunGuarded(const Store::ConnectionFn& fn, Connection& connection) {
  try {
    return fn(connection);
  } catch (const std::exception& error) {
    return Internal(std::string("store function threw: ") + error.what());
  } catch (...) {
    return Internal("store function threw a non-standard exception");
  }
}

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<SqliteConnection> writer_connection, WalLog wal,
              std::unique_ptr<SqliteConnection> checkpointer, std::vector<std::unique_ptr<SqliteConnection>> readers,
              size_t max_group)
      : max_group_(max_group),
        writer_connection_(std::move(writer_connection)),
        wal_(std::move(wal)),
        checkpointer_(std::move(checkpointer)),
        readers_(std::move(readers)) {
    writer_connection_->OnWalCommit([this](int pages) {
      if (pages >= kWriterWaitPages) {
        checkpointer_.WaitUntilIdle();
        writer_connection_->CheckpointFull();
        return;
      }
      checkpointer_.WalGrew(pages);
      if (pages >= kWriterCheckpointPages) writer_connection_->CheckpointPassive();
    });
    write_queue_.reserve(max_group_);
    for (const auto& reader : readers_) free_readers_.push_back(reader.get());
    syncer_ = std::thread([this] { SyncLoop(); });
    writer_ = std::thread([this] { WriterLoop(); });
    writer_id_ = writer_.get_id();
  }
  ~SqliteStore() override { Close(); }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Backend backend() const override { return Backend::kSqlite; }
  bool CommitsVisibleBeforeDurable() const override { return true; }

  Status Ping() override {
    return RunRead([](Connection& connection) { return connection.Query(kPing, kNoParams).status(); });
  }

  Status WriteHealth() override {
    if (wal_failed_.load()) return Unavailable(std::string(kWalFailed));
    const auto remaining =
        std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(disk_full_until_.load())) -
        std::chrono::steady_clock::now();
    if (remaining > std::chrono::steady_clock::duration::zero()) {
      return Unavailable("the disk is full: writes fail until space is freed")
          .WithRetryAfter(static_cast<int>(std::chrono::ceil<std::chrono::seconds>(remaining).count()));
    }
    return Status::Ok();
  }

  void Close() override {
    const std::lock_guard close_lock(close_mutex_);
    {
      const std::lock_guard lock(write_mutex_);
      stopping_ = true;
    }
    write_queued_.notify_one();
    // The writer drains the queue before it exits; readers stay open meanwhile because a write function
    // may read through the pool.
    if (writer_.joinable()) writer_.join();
    {
      const std::lock_guard lock(sync_mutex_);
      sync_stopping_ = true;
    }
    sync_wanted_.notify_one();
    if (syncer_.joinable()) syncer_.join();
    {
      std::unique_lock lock(read_mutex_);
      readers_closed_ = true;
      reader_free_.notify_all();
      readers_returned_.wait(lock, [this] { return free_readers_.size() == readers_.size(); });
      free_readers_.clear();
      readers_.clear();
    }
    checkpointer_.Stop();
    // Closed last: the last connection to close checkpoints the WAL into the database file.
    writer_connection_.reset();
  }

  std::size_t QueuedWrites() {
    const std::lock_guard lock(write_mutex_);
    return write_queue_.size();
  }

 protected:
  Status RunWrite(const ConnectionFn& fn) override {
    WriteJob job{&fn};
    std::unique_lock lock(write_mutex_);
    if (stopping_) return Unavailable("the store is closed");
    // Checked only while the writer runs: once it has been joined, another thread may reuse its id.
    if (std::this_thread::get_id() == writer_id_) {
      return Internal("a write function started another write; it would wait for itself forever");
    }
    write_queue_.push_back(&job);
    write_queued_.notify_one();
    job.completed.wait(lock, [&job] { return job.done; });
    return std::move(job.status);
  }

  Status RunRead(const ConnectionFn& fn) override {
    SqliteConnection* connection = nullptr;
    {
      std::unique_lock lock(read_mutex_);
      reader_free_.wait(lock, [this] { return readers_closed_ || !free_readers_.empty(); });
      if (readers_closed_) return Unavailable("the store is closed");
      connection = free_readers_.back();
      free_readers_.pop_back();
    }
    Status status = ReadTransaction(fn, *connection);
    {
      const std::lock_guard lock(read_mutex_);
      free_readers_.push_back(connection);
      if (readers_closed_) {
        readers_returned_.notify_one();
      } else {
        reader_free_.notify_one();
      }
    }
    return status;
  }

 private:
  // Lives on the stack of the thread that called RunWrite, which waits until `done`. The queue holds
  // pointers and keeps its capacity, so queuing a write allocates nothing. `status` is written by the
  // writer thread before it sets `done` under write_mutex_.
  struct WriteJob {
    const ConnectionFn* fn;
    Status status;
    bool done = false;
    std::condition_variable completed;
  };

  static Status ReadTransaction(const ConnectionFn& fn, SqliteConnection& connection) {
    TP_RETURN_IF_ERROR(connection.Run(kBeginRead));
    const Status status = RunGuarded(fn, connection);
    // A read transaction changed nothing, so COMMIT only releases the snapshot.
    const Status ended = connection.Run(kCommit);
    return status.ok() ? ended : status;
  }

  void WriterLoop() {
    std::vector<WriteJob*> group;
    group.reserve(max_group_);
    for (;;) {
      {
        std::unique_lock lock(write_mutex_);
        write_queued_.wait(lock, [this] { return stopping_ || !write_queue_.empty(); });
        if (write_queue_.empty()) return;
        const auto taken = static_cast<std::ptrdiff_t>(std::min(write_queue_.size(), max_group_));
        group.assign(write_queue_.begin(), write_queue_.begin() + taken);
        write_queue_.erase(write_queue_.begin(), write_queue_.begin() + taken);
      }
      if (wal_failed_.load()) {
        for (WriteJob* job : group) job->status = Unavailable(std::string(kWalFailed));
      } else {
        for (size_t next = 0; next < group.size();) {
          next += RunTransaction(std::span<WriteJob* const>(group).subspan(next));
        }
        NoteDiskFull(group);
      }
      // Answered once the WAL holding the commit is on disk; meanwhile the writer runs the next group.
      {
        const std::lock_guard lock(sync_mutex_);
        unsynced_.insert(unsynced_.end(), group.begin(), group.end());
      }
      sync_wanted_.notify_one();
    }
  }

  // Syncs the WAL and then answers every write committed before the sync began: one sync covers all
  // the groups the writer committed while the previous one ran. After a failed sync nothing more is
  // written (the kernel may have dropped the pages it could not write, so a retry proves nothing).
  void SyncLoop() {
    std::vector<WriteJob*> committed;
    for (;;) {
      {
        std::unique_lock lock(sync_mutex_);
        sync_wanted_.wait(lock, [this] { return sync_stopping_ || !unsynced_.empty(); });
        if (unsynced_.empty()) return;
        committed.swap(unsynced_);
      }
      Status synced = wal_failed_.load() ? Unavailable(std::string(kWalFailed)) : wal_.Sync();
      if (!synced.ok()) wal_failed_.store(true);
      // Notified under the lock: a waiter cannot see `done` and destroy its job (with the condition
      // variable) before notify_one has returned.
      const std::lock_guard lock(write_mutex_);
      for (WriteJob* job : committed) {
        if (job->status.ok() && !synced.ok()) job->status = synced;
        job->done = true;
        job->completed.notify_one();
      }
      committed.clear();
    }
  }

  // A write that failed for a full disk starts kDiskFullBackoff (WriteHealth); one that succeeded ends it.
  void NoteDiskFull(std::span<WriteJob* const> group) {
    if (writer_connection_->TakeDiskFull()) {
      disk_full_until_.store((std::chrono::steady_clock::now() + kDiskFullBackoff).time_since_epoch().count());
    } else if (std::any_of(group.begin(), group.end(), [](const WriteJob* job) { return job->status.ok(); })) {
      disk_full_until_.store(0);
    }
  }

  // Runs a prefix of `jobs` in one transaction, each in its own savepoint (a job alone in none,
  // RunAlone), and commits them with one fsync. Returns how many jobs got their final status; normally all of them, fewer when a job ended
  // the transaction (SQLite rolls back on disk full or I/O errors) and the rest need a new one.
  size_t RunTransaction(std::span<WriteJob* const> jobs) {
    SqliteConnection& connection = *writer_connection_;
    if (Status begun = connection.Run(kBeginWrite); !begun.ok()) {
      for (WriteJob* job : jobs) job->status = begun;
      return jobs.size();
    }
    if (jobs.size() == 1) {
      if (!RunAlone(*jobs.front())) return 1;
    } else {
      for (size_t index = 0; index < jobs.size(); ++index) {
        if (RunInSavepoint(*jobs[index])) continue;
        AbandonTransaction();
        WriteJob& culprit = *jobs[index];
        if (culprit.status.ok()) culprit.status = Internal("a write function ended the group's transaction");
        const Status lost = Unavailable("the write was rolled back with its group: " + culprit.status.message());
        for (WriteJob* job : jobs.first(index)) {
          if (job->status.ok()) job->status = lost;
        }
        return index + 1;
      }
    }
    if (Status committed = connection.Run(kCommit); !committed.ok()) {
      AbandonTransaction();
      // Jobs that failed keep their own error: it says why they failed, and nothing of theirs was kept.
      for (WriteJob* job : jobs) {
        if (job->status.ok()) job->status = committed;
      }
    }
    return jobs.size();
  }

  // Runs a job alone in its group straight in the transaction: rolling the transaction back undoes it
  // and nothing else, so it needs no savepoint. That matters for large writes (an import chunk of 1000
  // customers): inside a savepoint, SQLite 3.40 ends each multi-row statement by walking its in-memory
  // statement journal from the savepoint's start (memjrnlTruncate), which grows with every page the
  // write changed, so such a write took time quadratic in its size. Returns false when there is nothing
  // to commit (the job failed and the transaction was rolled back).
  bool RunAlone(WriteJob& job) {
    SqliteConnection& connection = *writer_connection_;
    job.status = RunGuarded(*job.fn, connection);
    if (job.status.ok() && connection.InTransaction()) return true;
    if (job.status.ok()) job.status = Internal("a write function ended its transaction");
    AbandonTransaction();
    return false;
  }

  // Runs one job, keeping its changes only when it returns OK. Returns false when the group's
  // transaction can no longer be committed.
  bool RunInSavepoint(WriteJob& job) {
    SqliteConnection& connection = *writer_connection_;
    job.status = connection.Run(kSavepoint);
    if (!job.status.ok()) return connection.InTransaction();
    job.status = RunGuarded(*job.fn, connection);
    if (!connection.InTransaction()) return false;
    if (job.status.ok()) {
      job.status = connection.Run(kReleaseSavepoint);
      if (job.status.ok()) return true;
    }
    return connection.Run(kRollbackToSavepoint).ok() && connection.Run(kReleaseSavepoint).ok();
  }

  // If even ROLLBACK fails the connection stays inside the transaction; the next BEGIN IMMEDIATE then
  // fails and reports that to every later write instead of committing anything half-done.
  void AbandonTransaction() {
    SqliteConnection& connection = *writer_connection_;
    if (connection.InTransaction()) static_cast<void>(connection.Run(kRollback));
  }

  const size_t max_group_;
  std::mutex close_mutex_;  // serialises Close() calls

  std::unique_ptr<SqliteConnection> writer_connection_;  // used only by the writer thread, then Close()
  WalLog wal_;                                           // synced only by the syncer thread
  Checkpointer checkpointer_;
  std::mutex write_mutex_;
  std::condition_variable write_queued_;
  std::vector<WriteJob*> write_queue_;  // guarded by write_mutex_
  bool stopping_ = false;               // guarded by write_mutex_
  std::thread writer_;
  std::thread::id writer_id_;  // set once in the constructor, before the store is shared

  std::mutex sync_mutex_;
  std::condition_variable sync_wanted_;
  std::vector<WriteJob*> unsynced_;  // committed, waiting for a WAL sync; guarded by sync_mutex_
  bool sync_stopping_ = false;       // guarded by sync_mutex_
  std::atomic<bool> wal_failed_ = false;
  // steady_clock ticks until which WriteHealth reports a full disk; 0 when none was seen.
  std::atomic<std::chrono::steady_clock::rep> disk_full_until_ = 0;
  std::thread syncer_;

  std::mutex read_mutex_;
  std::condition_variable reader_free_;       // a reader was returned, or the pool closed
  std::condition_variable readers_returned_;  // a reader was returned after the pool closed
  std::vector<std::unique_ptr<SqliteConnection>> readers_;  // guarded by read_mutex_
  std::vector<SqliteConnection*> free_readers_;             // guarded by read_mutex_
  bool readers_closed_ = false;                             // guarded by read_mutex_
};

Status CheckLibrary() {
  if (sqlite3_threadsafe() == 0) return Internal("libsqlite3 was built without thread support");
  if (sqlite3_compileoption_used("ENABLE_FTS5") == 0) return Internal("libsqlite3 was built without FTS5");
  // SQLite counts every allocation under a global mutex unless told not to (about 1.5 % of the writer's
  // time under ingestion). Only possible before SQLite initialises; later (a test that used SQLite
  // first) the default stays.
  [[maybe_unused]] static const int memory_statistics_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  return Status::Ok();
}

}  // namespace

std::size_t QueuedSqliteWrites(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  return sqlite != nullptr ? sqlite->QueuedWrites() : 0;
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  // A file: URI could name an in-memory database or change the open mode behind the store's back.
  if (options.path.empty() || options.path == ":memory:" || options.path.starts_with("file:")) {
    return InvalidArgument("sqlite needs a plain file path (not :memory: or a file: URI)", "db");
  }
  if (options.read_connections < 1 || options.max_group < 1) {
    return InvalidArgument("sqlite needs at least one read connection and a group size of at least one", "db");
  }
  TP_RETURN_IF_ERROR(CheckLibrary());
  const std::filesystem::path directory = std::filesystem::path(options.path).parent_path();
  std::error_code error;
  if (!directory.empty() && !std::filesystem::is_directory(directory, error)) {
    return Unavailable("cannot open " + options.path + ": directory " + directory.string() + " does not exist");
  }

  // The writer opens first: it creates the file and switches it to WAL, which read-only connections
  // cannot do themselves. It alone appends to the WAL, so it alone gathers its frames into one write
  // per commit (wal_gathering_vfs.h).
  TP_ASSIGN_OR_RETURN(auto writer, OpenConnection(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                                  options.busy_timeout, WalGatheringVfs()));
  TP_ASSIGN_OR_RETURN(Rows journal_mode, writer->Query(kEnableWal, kNoParams));
  if (journal_mode.empty() || journal_mode.front().Text(0) != "wal") {
    return Unavailable("cannot switch " + options.path + " to WAL mode");
  }
  TP_RETURN_IF_ERROR(writer->ExecuteScript(kWriterSettings));
  // A new database has no WAL file until a transaction opens it.
  TP_RETURN_IF_ERROR(writer->Run(kBeginWrite));
  TP_RETURN_IF_ERROR(writer->Run(kCommit));
  TP_ASSIGN_OR_RETURN(WalLog wal, WalLog::Open(options.path));
  TP_ASSIGN_OR_RETURN(auto checkpointer, OpenConnection(options.path, SQLITE_OPEN_READWRITE, options.busy_timeout));

  std::vector<std::unique_ptr<SqliteConnection>> readers;
  readers.reserve(static_cast<size_t>(options.read_connections));
  for (int index = 0; index < options.read_connections; ++index) {
    TP_ASSIGN_OR_RETURN(auto reader, OpenConnection(options.path, SQLITE_OPEN_READONLY, options.busy_timeout));
    readers.push_back(std::move(reader));
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(
      std::move(writer), std::move(wal), std::move(checkpointer), std::move(readers),
      static_cast<size_t>(options.max_group)));
}

}  // namespace tp::store
