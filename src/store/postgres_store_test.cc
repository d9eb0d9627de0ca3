// PostgreSQL-specific behaviour of the store: the connection pool, reconnects, the migration lock,
// statement preparation and error mapping. The behaviour shared with SQLite is in store_test.cc.
#include "store/postgres_store.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <latch>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "store/testing.h"

namespace tp::store {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kInsertTenant = "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)";
constexpr std::string_view kTenantName = "SELECT name FROM tenants WHERE id = $1";
constexpr std::string_view kRenameTenant = "UPDATE tenants SET name = $1 WHERE id = $2";
constexpr std::string_view kCountTenants = "SELECT COUNT(*) FROM tenants";
constexpr std::string_view kBackendPid = "SELECT pg_backend_pid()";

Result<std::unique_ptr<Store>> OpenPool(const std::string& url, int pool_size, milliseconds acquire_timeout) {
  PostgresOptions options;
  options.conninfo = url;
  options.pool_size = pool_size;
  options.acquire_timeout = acquire_timeout;
  return OpenPostgresStore(options);
}

Status InsertTenant(Store& store, const std::string& id) {
  return store.WriteSystem([&](SystemTx& tx) -> Status {
    return tx.Execute(kInsertTenant, {id, id, "Tenant " + id, std::int64_t{0}}).status();
  });
}

// The first column of the first row of a system query, run in its own read transaction.
Result<Value> QueryValue(Store& store, std::string_view sql, std::initializer_list<Value> params = {}) {
  Value value;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne(sql, params));
    if (!row) return NotFound("no row");
    value = row->Raw(0);
    return Status::Ok();
  }));
  return value;
}

std::int64_t QueryInt(Store& store, std::string_view sql, std::initializer_list<Value> params = {}) {
  Result<Value> value = QueryValue(store, sql, params);
  EXPECT_TRUE(value.ok()) << value.status().ToString();
  if (!value.ok()) return -1;
  const auto* integer = std::get_if<std::int64_t>(&*value);
  EXPECT_NE(integer, nullptr) << sql << " did not return an integer";
  return integer == nullptr ? -1 : *integer;
}

// A loopback port nothing listens on: the kernel picks a free one, and it is released at once.
int ClosedPort() {
  const int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  EXPECT_EQ(bind(socket_fd, reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  close(socket_fd);
  return ntohs(address.sin_port);
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("TP_TEST_POSTGRES_URL") == nullptr) {
      GTEST_SKIP() << "TP_TEST_POSTGRES_URL is not set; run the tests under scripts/with-postgres.sh";
    }
  }
};

TEST(PostgresStore, RejectsMalformedConnectionString) {
  Result<std::unique_ptr<Store>> store = OpenPool("host=127.0.0.1 port", 1, milliseconds(100));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument);
}

TEST(PostgresStore, UnreachableServerIsUnavailable) {
  const std::string url = "postgresql://touchpoint@127.0.0.1:" + std::to_string(ClosedPort()) + "/postgres";
  Result<std::unique_ptr<Store>> store = OpenPool(url, 2, milliseconds(1000));
  ASSERT_TRUE(store.ok()) << "connections are opened on first use: " << store.status().ToString();

  EXPECT_EQ((*store)->Ping().code(), ErrorCode::kUnavailable);
  const Status read = (*store)->Read("tenant", [](TenantTx&) { return Status::Ok(); });
  EXPECT_EQ(read.code(), ErrorCode::kUnavailable);
  const Status write = (*store)->WriteSystem([](SystemTx&) { return Status::Ok(); });
  EXPECT_EQ(write.code(), ErrorCode::kUnavailable);
}

TEST(PostgresStore, PingGivesUpOnAServerThatNeverAnswers) {
  // The kernel completes TCP handshakes on a listening socket that nobody accepts from, so the
  // connection opens and then the server's reply never comes.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string url =
      "postgresql://touchpoint@127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/postgres?connect_timeout=60";
  Result<std::unique_ptr<Store>> store = OpenPool(url, 1, milliseconds(1000));
  ASSERT_TRUE(store.ok()) << store.status().ToString();

  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ((*store)->Ping().code(), ErrorCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(5000));
  close(listener);
}

TEST_F(PostgresStoreTest, ConcurrentMigrationsApplyEachMigrationOnce) {
  TestDatabase db("postgres");
  // TestDatabase hands out a migrated database; dropping the schema makes it a fresh one again.
  const Status emptied = db.store().WriteSystem(
      [](SystemTx& tx) { return tx.ExecuteScript("DROP SCHEMA public CASCADE; CREATE SCHEMA public"); });
  ASSERT_TRUE(emptied.ok()) << emptied.ToString();

  // Each store has its own pool, as two processes starting at once would.
  constexpr int kStores = 4;
  std::vector<std::unique_ptr<Store>> stores;
  for (int store_idx = 0; store_idx < kStores; ++store_idx) {
    Result<std::unique_ptr<Store>> store = OpenPool(db.url(), 2, milliseconds(5000));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->Ping().ok());  // connected beforehand, so the migrations really overlap
    stores.push_back(std::move(store).value());
  }
  std::latch start(kStores);
  std::vector<Status> statuses(kStores);
  std::vector<std::thread> threads;
  for (int store_idx = 0; store_idx < kStores; ++store_idx) {
    threads.emplace_back([&, store_idx] {
      start.arrive_and_wait();
      statuses[store_idx] = stores[store_idx]->Migrate();
    });
  }
  for (std::thread& thread : threads) thread.join();

  for (const Status& status : statuses) EXPECT_TRUE(status.ok()) << status.ToString();
  const std::int64_t migration_count = static_cast<std::int64_t>(AllMigrations().size());
  EXPECT_EQ(QueryInt(*stores[0], "SELECT COUNT(*) FROM schema_migrations"), migration_count);
  EXPECT_EQ(QueryInt(*stores[0], "SELECT COUNT(DISTINCT version) FROM schema_migrations"), migration_count);
  Result<int> version = stores[1]->SchemaVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, AllMigrations().back().version);
}

TEST_F(PostgresStoreTest, WriteThroughOneStoreIsReadThroughAnother) {
  TestDatabase db("postgres");
  Result<std::unique_ptr<Store>> other = OpenStore(db.url());
  ASSERT_TRUE(other.ok()) << other.status().ToString();

  ASSERT_TRUE(InsertTenant(db.store(), "acme").ok());
  Result<Value> name = QueryValue(**other, kTenantName, {"acme"});
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(std::get<std::string>(*name), "Tenant acme");
}

TEST_F(PostgresStoreTest, ExhaustedPoolFailsWithUnavailableAfterAcquireTimeout) {
  TestDatabase db("postgres");
  constexpr milliseconds kAcquireTimeout{300};
  Result<std::unique_ptr<Store>> opened = OpenPool(db.url(), 1, kAcquireTimeout);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;

  std::promise<void> holding;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Status held_status;
  std::thread holder([&] {
    held_status = store.ReadSystem([&](SystemTx& tx) -> Status {
      TP_RETURN_IF_ERROR(tx.Query("SELECT 1"));
      holding.set_value();
      released.wait();
      return Status::Ok();
    });
  });
  holding.get_future().wait();

  const auto started = std::chrono::steady_clock::now();
  const Status starved = store.ReadSystem([](SystemTx&) { return Status::Ok(); });
  const auto waited = std::chrono::steady_clock::now() - started;
  release.set_value();
  holder.join();

  EXPECT_EQ(starved.code(), ErrorCode::kUnavailable) << starved.ToString();
  EXPECT_GE(waited, kAcquireTimeout);
  EXPECT_LT(waited, kAcquireTimeout + milliseconds(2000));
  EXPECT_TRUE(held_status.ok()) << held_status.ToString();
  EXPECT_TRUE(store.Ping().ok()) << "the connection went back to the pool";
}

TEST_F(PostgresStoreTest, TerminatedBackendIsReplacedOnTheNextCall) {
  TestDatabase db("postgres");
  Result<std::unique_ptr<Store>> opened = OpenPool(db.url(), 1, milliseconds(5000));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  const std::int64_t old_pid = QueryInt(store, kBackendPid);

  // The second argument makes pg_terminate_backend wait until the backend has exited.
  Result<Value> terminated = QueryValue(db.store(), "SELECT pg_terminate_backend($1, 5000)::int", {old_pid});
  ASSERT_TRUE(terminated.ok()) << terminated.status().ToString();
  ASSERT_EQ(std::get<std::int64_t>(*terminated), 1);

  const std::int64_t new_pid = QueryInt(store, kBackendPid);
  EXPECT_NE(new_pid, old_pid);
  EXPECT_TRUE(InsertTenant(store, "after-reconnect").ok());
}

TEST_F(PostgresStoreTest, ConnectionLostInsideATransactionIsRetriedOnceOnANewConnection) {
  TestDatabase db("postgres");
  int attempts = 0;
  const Status status = db.store().WriteSystem([&](SystemTx& tx) -> Status {
    ++attempts;
    TP_RETURN_IF_ERROR(tx.Execute(kInsertTenant, {"t1", "t1", "Tenant", std::int64_t{0}}));
    // The backend ends its own session: the insert above is lost with it and must be redone.
    if (attempts == 1) TP_RETURN_IF_ERROR(tx.Query("SELECT pg_terminate_backend(pg_backend_pid())"));
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(QueryInt(db.store(), kCountTenants), 1);
}

TEST_F(PostgresStoreTest, ConnectionLostTwiceIsUnavailable) {
  TestDatabase db("postgres");
  int attempts = 0;
  const Status status = db.store().WriteSystem([&](SystemTx& tx) -> Status {
    ++attempts;
    TP_RETURN_IF_ERROR(tx.Execute(kInsertTenant, {"t1", "t1", "Tenant", std::int64_t{0}}));
    return tx.Query("SELECT pg_terminate_backend(pg_backend_pid())").status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable) << status.ToString();
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(QueryInt(db.store(), kCountTenants), 0);
}

TEST_F(PostgresStoreTest, DeadlockIsRetried) {
  TestDatabase db("postgres");
  ASSERT_TRUE(InsertTenant(db.store(), "a").ok());
  ASSERT_TRUE(InsertTenant(db.store(), "b").ok());

  // Each transaction locks one row, waits until the other has locked the other row, then wants it too.
  std::latch both_locked(2);
  std::atomic<int> attempts = 0;
  auto cross_update = [&](const std::string& first, const std::string& second) {
    bool first_attempt = true;
    return db.store().WriteSystem([&](SystemTx& tx) -> Status {
      ++attempts;
      // Superusers may shorten deadlock detection for their own transaction; the default is a second.
      TP_RETURN_IF_ERROR(tx.ExecuteScript("SET LOCAL deadlock_timeout = '50ms'"));
      TP_RETURN_IF_ERROR(tx.Execute(kRenameTenant, {"renamed", first}));
      if (first_attempt) {
        first_attempt = false;
        both_locked.arrive_and_wait();
      }
      return tx.Execute(kRenameTenant, {"renamed", second}).status();
    });
  };
  Status status_ab;
  Status status_ba;
  std::thread ab([&] { status_ab = cross_update("a", "b"); });
  std::thread ba([&] { status_ba = cross_update("b", "a"); });
  ab.join();
  ba.join();

  EXPECT_TRUE(status_ab.ok()) << status_ab.ToString();
  EXPECT_TRUE(status_ba.ok()) << status_ba.ToString();
  // The victim runs again; on a slow machine its retry can deadlock once more before the winner gets going.
  EXPECT_GE(attempts.load(), 3) << "the transaction the server chose as the deadlock victim ran again";
}

// Writers naming overlapping keys (ingestion: the identifiers of a batch) queue, in whatever order
// they list them, instead of deadlocking: the second gets its locks once the first has committed.
TEST_F(PostgresStoreTest, LockedKeysMakeOverlappingWritersQueue) {
  TestDatabase db("postgres");
  ASSERT_TRUE(InsertTenant(db.store(), "a").ok());
  std::latch first_locked(2);
  std::atomic<bool> first_done = false;
  std::atomic<int> attempts = 0;
  bool second_saw_commit = false;
  Status first;
  Status second;
  std::thread holder([&] {
    first = db.store().Write("a", [&](TenantTx& tx) -> Status {
      ++attempts;
      TP_RETURN_IF_ERROR(tx.LockKeys({"email:a@example.cz", "user_id:u1"}));
      first_locked.arrive_and_wait();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      first_done = true;  // the locks are held until the commit that follows
      return Status::Ok();
    });
  });
  std::thread waiter([&] {
    first_locked.arrive_and_wait();
    second = db.store().Write("a", [&](TenantTx& tx) -> Status {
      ++attempts;
      TP_RETURN_IF_ERROR(tx.LockKeys({"user_id:u1", "anonymous_id:x", "email:a@example.cz"}));
      second_saw_commit = first_done.load();
      return Status::Ok();
    });
  });
  holder.join();
  waiter.join();
  EXPECT_TRUE(first.ok()) << first.ToString();
  EXPECT_TRUE(second.ok()) << second.ToString();
  EXPECT_TRUE(second_saw_commit) << "the second writer got a key the first still held";
  EXPECT_EQ(attempts.load(), 2) << "no deadlock, no retry";
}

TEST_F(PostgresStoreTest, UniqueViolationIsConflict) {
  TestDatabase db("postgres");
  ASSERT_TRUE(InsertTenant(db.store(), "acme").ok());
  const Status duplicate = InsertTenant(db.store(), "acme");
  EXPECT_EQ(duplicate.code(), ErrorCode::kConflict) << duplicate.ToString();
  EXPECT_EQ(QueryInt(db.store(), kCountTenants), 1);
}

TEST_F(PostgresStoreTest, FailedStatementAbortsTheWholeTransaction) {
  TestDatabase db("postgres");
  ASSERT_TRUE(InsertTenant(db.store(), "existing").ok());
  // PostgreSQL cannot commit a transaction after one of its statements failed, even if the function
  // ignores the error; the store reports the error instead of pretending to commit.
  const Status status = db.store().WriteSystem([](SystemTx& tx) -> Status {
    TP_RETURN_IF_ERROR(tx.Execute(kInsertTenant, {"new", "new", "New", std::int64_t{0}}));
    (void)tx.Execute(kInsertTenant, {"existing", "existing", "Again", std::int64_t{0}});
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), ErrorCode::kConflict) << status.ToString();
  EXPECT_EQ(QueryInt(db.store(), kCountTenants), 1);
}

TEST_F(PostgresStoreTest, ReadTransactionsAreReadOnly) {
  TestDatabase db("postgres");
  const Status status = db.store().ReadSystem([](SystemTx& tx) -> Status {
    return tx.Execute(kInsertTenant, {"t1", "t1", "Tenant", std::int64_t{0}}).status();
  });
  EXPECT_EQ(status.code(), ErrorCode::kInternal) << status.ToString();
  EXPECT_EQ(QueryInt(db.store(), kCountTenants), 0);
}

TEST_F(PostgresStoreTest, StatementIsPreparedOncePerConnection) {
  TestDatabase db("postgres");
  Result<std::unique_ptr<Store>> opened = OpenPool(db.url(), 1, milliseconds(5000));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  constexpr std::string_view kRepeated = "SELECT $1::bigint + 1";
  constexpr std::string_view kPreparedCount = "SELECT COUNT(*) FROM pg_prepared_statements";

  EXPECT_EQ(QueryInt(store, kRepeated, {std::int64_t{0}}), 1);
  const std::int64_t prepared_before = QueryInt(store, kPreparedCount);
  for (std::int64_t run = 0; run < 100; ++run) EXPECT_EQ(QueryInt(store, kRepeated, {run}), run + 1);

  EXPECT_EQ(QueryInt(store, kPreparedCount), prepared_before);
  EXPECT_EQ(
      QueryInt(store, "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement = $1", {std::string(kRepeated)}), 1);
}

TEST_F(PostgresStoreTest, ValuesAreDecodedByColumnType) {
  TestDatabase db("postgres");
  constexpr std::int64_t kSmallest = std::numeric_limits<std::int64_t>::min();
  const std::string kText = "Žluťoučký kůň";
  Rows rows;
  const Status status = db.store().ReadSystem([&](SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(rows, tx.Query("SELECT 1::int2, 2::int4, 3::int8, 1.5::float4, 0.25::float8, 12.5::numeric, "
                                       "'x'::text, true, NULL, $1::bigint, $2::float8, $3::text, $4::text",
                                       {kSmallest, 0.1, kText, kNull}));
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(rows.size(), 1u);
  const Row& row = rows.front();
  EXPECT_EQ(row.Raw(0), Value(std::int64_t{1}));
  EXPECT_EQ(row.Raw(1), Value(std::int64_t{2}));
  EXPECT_EQ(row.Raw(2), Value(std::int64_t{3}));
  EXPECT_EQ(row.Raw(3), Value(1.5));
  EXPECT_EQ(row.Raw(4), Value(0.25));
  EXPECT_EQ(row.Raw(5), Value(12.5));
  EXPECT_EQ(row.Raw(6), Value(std::string("x")));
  EXPECT_EQ(row.Raw(7), Value(std::string("t")));
  EXPECT_TRUE(row.IsNull(8));
  EXPECT_EQ(row.Raw(9), Value(kSmallest));
  EXPECT_EQ(row.Raw(10), Value(0.1)) << "doubles are sent with all 17 significant digits";
  EXPECT_EQ(row.Raw(11), Value(kText));
  EXPECT_TRUE(row.IsNull(12));
}

TEST_F(PostgresStoreTest, TextWithNulIsRejectedRatherThanTruncated) {
  TestDatabase db("postgres");
  const Status status = InsertTenant(db.store(), std::string("a\0b", 3));
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << status.ToString();
  EXPECT_EQ(QueryInt(db.store(), kCountTenants), 0);
}

TEST_F(PostgresStoreTest, CloseWaitsForConnectionsInUseAndLaterCallsAreUnavailable) {
  TestDatabase db("postgres");
  Result<std::unique_ptr<Store>> opened = OpenPool(db.url(), 2, milliseconds(5000));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;

  std::promise<void> inside;
  Status write_status;
  std::thread writer([&] {
    write_status = store.WriteSystem([&](SystemTx& tx) -> Status {
      inside.set_value();
      std::this_thread::sleep_for(milliseconds(200));
      return tx.Execute(kInsertTenant, {"late", "late", "Late", std::int64_t{0}}).status();
    });
  });
  inside.get_future().wait();
  store.Close();
  writer.join();

  EXPECT_TRUE(write_status.ok()) << "the transaction in flight finished: " << write_status.ToString();
  EXPECT_EQ(store.Ping().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store.ReadSystem([](SystemTx&) { return Status::Ok(); }).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(QueryInt(db.store(), kCountTenants), 1);
}

}  // namespace
}  // namespace tp::store
