#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "store/migrations.h"
#include "store/sqlite_store.h"
#include "store/store.h"
#include "store/testing.h"

namespace tp::store {
namespace {

constexpr char kTenantA[] = "ten_a";
constexpr char kTenantB[] = "ten_b";

constexpr std::string_view kInsertTenant =
    "INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)";
constexpr std::string_view kCountTenants = "SELECT COUNT(*) FROM tenants";
constexpr std::string_view kInsertTeam =
    "INSERT INTO teams (tenant_id, id, name, kind, created_at) VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kTeamIds = "SELECT id FROM teams WHERE tenant_id = $1 ORDER BY id";
constexpr std::string_view kTeamName = "SELECT name FROM teams WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kRenameTeam = "UPDATE teams SET name = $2 WHERE tenant_id = $1 AND id = $3";
constexpr std::string_view kCountTeams = "SELECT COUNT(*) FROM teams WHERE tenant_id = $1";
// $4 twice: a parameter may be referenced more than once.
constexpr std::string_view kInsertCustomer =
    "INSERT INTO customers (tenant_id, id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)";
constexpr std::string_view kCountCustomers = "SELECT COUNT(*) FROM customers WHERE tenant_id = $1";

::testing::AssertionResult IsOk(const Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.ToString();
}

template <typename T>
::testing::AssertionResult IsOk(const Result<T>& result) {
  return IsOk(result.status());
}

Status CreateTenant(Store& store, const std::string& id) {
  return store.WriteSystem([&](SystemTx& tx) {
    return tx.Execute(kInsertTenant, {Value(id), Value(id + "-slug"), Value("Tenant " + id), Value(NowMicros())})
        .status();
  });
}

Status InsertTeam(TenantTx& tx, const std::string& id, const std::string& name) {
  return tx.Execute(kInsertTeam, {Value(id), Value(name), Value("support"), Value(NowMicros())}).status();
}

Status WriteTeam(Store& store, const std::string& tenant, const std::string& id, const std::string& name) {
  return store.Write(tenant, [&](TenantTx& tx) { return InsertTeam(tx, id, name); });
}

Result<std::vector<std::string>> TeamIds(Store& store, const std::string& tenant) {
  std::vector<std::string> ids;
  TP_RETURN_IF_ERROR(store.Read(tenant, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(Rows rows, tx.Query(kTeamIds));
    for (const Row& row : rows) ids.push_back(row.Text(0));
    return Status::Ok();
  }));
  return ids;
}

Result<std::int64_t> Count(Store& store, const std::string& tenant, std::string_view sql) {
  std::int64_t count = 0;
  TP_RETURN_IF_ERROR(store.Read(tenant, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne(sql));
    count = row->Int(0);
    return Status::Ok();
  }));
  return count;
}

// Every test gets a fresh, migrated database on each available backend.
class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  Store& store() { return database_.store(); }

  TestDatabase database_{GetParam()};
};

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(TestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST_P(StoreTest, PingSucceeds) { EXPECT_TRUE(IsOk(store().Ping())); }

TEST_P(StoreTest, MigrateTwiceIsIdempotentAndReachesTheLastVersion) {
  ASSERT_TRUE(IsOk(store().Migrate()));
  ASSERT_TRUE(IsOk(store().Migrate()));
  const Result<int> version = store().SchemaVersion();
  ASSERT_TRUE(IsOk(version));
  EXPECT_EQ(*version, AllMigrations().back().version);
}

TEST_P(StoreTest, TwoStoresOnOneDatabaseMigrateConcurrentlyAndSeeEachOthersWrites) {
  Result<std::unique_ptr<Store>> second = OpenStore(database_.url());
  ASSERT_TRUE(IsOk(second));
  Status first_migration;
  Status second_migration;
  std::thread first_thread([&] { first_migration = store().Migrate(); });
  std::thread second_thread([&] { second_migration = (*second)->Migrate(); });
  first_thread.join();
  second_thread.join();
  EXPECT_TRUE(IsOk(first_migration));
  EXPECT_TRUE(IsOk(second_migration));

  ASSERT_TRUE(IsOk(CreateTenant(**second, kTenantA)));
  ASSERT_TRUE(IsOk(WriteTeam(**second, kTenantA, "team_1", "Billing")));
  const Result<std::vector<std::string>> ids = TeamIds(store(), kTenantA);
  ASSERT_TRUE(IsOk(ids));
  EXPECT_EQ(*ids, std::vector<std::string>{"team_1"});
  (*second)->Close();
}

TEST_P(StoreTest, TenantScopedInsertAndSelect) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  ASSERT_TRUE(IsOk(WriteTeam(store(), kTenantA, "team_1", "Billing")));
  ASSERT_TRUE(IsOk(WriteTeam(store(), kTenantA, "team_2", "Returns")));

  const Status read = store().Read(kTenantA, [](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne(kTeamName, {Value("team_2")}));
    EXPECT_TRUE(row.has_value());
    if (row) {
      EXPECT_EQ(row->Text(0), "Returns");
    }
    TP_ASSIGN_OR_RETURN(std::optional<Row> missing, tx.QueryOne(kTeamName, {Value("team_9")}));
    EXPECT_FALSE(missing.has_value());
    return Status::Ok();
  });
  EXPECT_TRUE(IsOk(read));
  const Result<std::vector<std::string>> ids = TeamIds(store(), kTenantA);
  ASSERT_TRUE(IsOk(ids));
  EXPECT_EQ(*ids, (std::vector<std::string>{"team_1", "team_2"}));
}

TEST_P(StoreTest, ExecuteReturnsChangedRowsAndReturningYieldsRows) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  const Status write = store().Write(kTenantA, [](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(Rows inserted,
                        tx.Query("INSERT INTO teams (tenant_id, id, name, kind, created_at) VALUES ($1, $2, $3, "
                                 "'support', 0) RETURNING id, name",
                                 {Value("team_1"), Value("Billing")}));
    EXPECT_EQ(inserted.size(), 1u);
    if (!inserted.empty()) {
      EXPECT_EQ(inserted.front().Text(1), "Billing");
    }
    TP_RETURN_IF_ERROR(InsertTeam(tx, "team_2", "Returns"));
    TP_ASSIGN_OR_RETURN(std::int64_t changed,
                        tx.Execute("UPDATE teams SET description = $2 WHERE tenant_id = $1", {Value("x")}));
    EXPECT_EQ(changed, 2);
    return Status::Ok();
  });
  EXPECT_TRUE(IsOk(write));
}

TEST_P(StoreTest, TenantTxRefusesStatementsWithoutTheTenantParameterBeforeRunningThem) {
  Status unscoped;
  Status only_tenth;
  Status only_in_literal;
  // Both statements would insert a tenant if they ran. The function ignores the refusals and returns
  // OK, so anything that ran would be committed.
  const Status write = store().Write(kTenantA, [&](TenantTx& tx) -> Status {
    unscoped = tx.Execute("INSERT INTO tenants (id, slug, name, created_at) VALUES ($2, $3, $4, $5)",
                          {Value("ten_x"), Value("x"), Value("X"), Value(std::int64_t{0})})
                   .status();
    only_tenth = tx.Execute("INSERT INTO tenants (id, slug, name, created_at) VALUES ($10, $2, $3, $4)",
                            {Value("y"), Value("Y"), Value(std::int64_t{0}), Value(""), Value(""), Value(""),
                             Value(""), Value(""), Value("ten_y")})
                     .status();
    only_in_literal = tx.Query("SELECT id FROM tenants WHERE name = '$1' -- $1").status();
    return Status::Ok();
  });
  ASSERT_TRUE(IsOk(write));
  EXPECT_EQ(only_in_literal.code(), ErrorCode::kInternal) << only_in_literal.ToString();
  EXPECT_EQ(unscoped.code(), ErrorCode::kInternal) << unscoped.ToString();
  EXPECT_EQ(only_tenth.code(), ErrorCode::kInternal) << only_tenth.ToString();

  std::int64_t tenants = -1;
  ASSERT_TRUE(IsOk(store().ReadSystem([&](SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne(kCountTenants));
    tenants = row->Int(0);
    return Status::Ok();
  })));
  EXPECT_EQ(tenants, 0);
}

TEST_P(StoreTest, TenantCannotReadOrChangeAnotherTenantsRows) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantB)));
  ASSERT_TRUE(IsOk(WriteTeam(store(), kTenantA, "team_a", "Alpha")));
  ASSERT_TRUE(IsOk(WriteTeam(store(), kTenantB, "team_b", "Beta")));

  const Result<std::vector<std::string>> ids = TeamIds(store(), kTenantA);
  ASSERT_TRUE(IsOk(ids));
  EXPECT_EQ(*ids, std::vector<std::string>{"team_a"});

  const Status read = store().Read(kTenantA, [](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne(kTeamName, {Value("team_b")}));
    EXPECT_FALSE(row.has_value());
    return Status::Ok();
  });
  EXPECT_TRUE(IsOk(read));

  std::int64_t changed = -1;
  const Status write = store().Write(kTenantA, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(changed, tx.Execute(kRenameTeam, {Value("Hijacked"), Value("team_b")}));
    return Status::Ok();
  });
  EXPECT_TRUE(IsOk(write));
  EXPECT_EQ(changed, 0);
}

TEST_P(StoreTest, NonOkStatusRollsBackEverythingTheWriteDid) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  const Status write = store().Write(kTenantA, [](TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(InsertTeam(tx, "team_1", "Billing"));
    TP_RETURN_IF_ERROR(InsertTeam(tx, "team_2", "Returns"));
    return FailedPrecondition("changed my mind");
  });
  EXPECT_EQ(write.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(write.message(), "changed my mind");
  const Result<std::int64_t> teams = Count(store(), kTenantA, kCountTeams);
  ASSERT_TRUE(IsOk(teams));
  EXPECT_EQ(*teams, 0);
}

TEST_P(StoreTest, UniqueViolationIsConflictWithoutSql) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  ASSERT_TRUE(IsOk(WriteTeam(store(), kTenantA, "team_1", "Billing")));

  const Status same_name = WriteTeam(store(), kTenantA, "team_2", "Billing");
  EXPECT_EQ(same_name.code(), ErrorCode::kConflict) << same_name.ToString();
  EXPECT_EQ(same_name.message().find("INSERT"), std::string::npos) << same_name.message();
  const Status same_key = WriteTeam(store(), kTenantA, "team_1", "Other");
  EXPECT_EQ(same_key.code(), ErrorCode::kConflict) << same_key.ToString();
  const Status same_tenant = CreateTenant(store(), kTenantA);
  EXPECT_EQ(same_tenant.code(), ErrorCode::kConflict) << same_tenant.ToString();

  const Result<std::vector<std::string>> ids = TeamIds(store(), kTenantA);
  ASSERT_TRUE(IsOk(ids));
  EXPECT_EQ(*ids, std::vector<std::string>{"team_1"});
}

TEST_P(StoreTest, ConcurrentWritesAllCommitWhileReadersWatch) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 200;
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));

  std::atomic<bool> writing{true};
  std::thread reader([&] {
    std::int64_t last = 0;
    while (writing.load()) {
      const Result<std::int64_t> count = Count(store(), kTenantA, kCountCustomers);
      if (!count.ok()) {
        ADD_FAILURE() << count.status().ToString();
        return;
      }
      EXPECT_GE(*count, last) << "a committed write disappeared";
      last = *count;
    }
  });
  std::vector<std::thread> writers;
  for (int thread_index = 0; thread_index < kThreads; ++thread_index) {
    writers.emplace_back([&, thread_index] {
      for (int write_index = 0; write_index < kWritesPerThread; ++write_index) {
        const std::string id = "cus_" + std::to_string(thread_index) + "_" + std::to_string(write_index);
        const Status status = store().Write(kTenantA, [&](TenantTx& tx) {
          return tx.Execute(kInsertCustomer, {Value(id), Value("Customer " + id), Value(NowMicros())}).status();
        });
        EXPECT_TRUE(IsOk(status));
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  writing = false;
  reader.join();

  const Result<std::int64_t> customers = Count(store(), kTenantA, kCountCustomers);
  ASSERT_TRUE(IsOk(customers));
  EXPECT_EQ(*customers, kThreads * kWritesPerThread);
}

TEST_P(StoreTest, FailingWritesDoNotDisturbConcurrentOnes) {
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 30;
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  ASSERT_TRUE(IsOk(WriteTeam(store(), kTenantA, "taken", "Taken")));

  enum class Outcome { kCommits, kReturnsError, kViolatesUnique };
  const auto outcome_of = [](int thread_index, int write_index) {
    return static_cast<Outcome>((thread_index + write_index) % 3);
  };
  // Holds the writer until every thread is about to write, so that the first writes of all threads,
  // failing and succeeding ones alike, queue up behind it and commit as one group.
  // PostgreSQL has no writer queue: there each write is its own transaction and the gate only starts them
  // together.
  std::atomic<int> ready{0};
  std::atomic<bool> gate_running{false};
  std::thread gate([&] {
    const Status status = store().Write(kTenantA, [&](TenantTx&) {
      gate_running = true;
      const bool queued = WaitUntil([&] {
        return ready.load() == kThreads &&
               (store().backend() != Backend::kSqlite || QueuedSqliteWrites(store()) == std::size_t{kThreads});
      });
      EXPECT_TRUE(queued) << "the writers' first writes did not queue up behind the gate";
      return Status::Ok();
    });
    EXPECT_TRUE(IsOk(status));
  });
  // Writes sent before the gate runs could share its group instead of queuing behind it.
  EXPECT_TRUE(WaitUntil([&] { return gate_running.load(); }));
  std::vector<std::thread> writers;
  for (int thread_index = 0; thread_index < kThreads; ++thread_index) {
    writers.emplace_back([&, thread_index] {
      ++ready;
      for (int write_index = 0; write_index < kWritesPerThread; ++write_index) {
        const std::string id = "team_" + std::to_string(thread_index) + "_" + std::to_string(write_index);
        const Outcome outcome = outcome_of(thread_index, write_index);
        const Status status = store().Write(kTenantA, [&](TenantTx& tx) -> Status {
          TP_RETURN_IF_ERROR(InsertTeam(tx, id, id));
          if (outcome == Outcome::kReturnsError) return FailedPrecondition("deliberate");
          if (outcome == Outcome::kViolatesUnique) return InsertTeam(tx, id + "_dup", "Taken");
          return Status::Ok();
        });
        switch (outcome) {
          case Outcome::kCommits:
            EXPECT_TRUE(IsOk(status)) << id;
            break;
          case Outcome::kReturnsError:
            EXPECT_EQ(status.code(), ErrorCode::kFailedPrecondition) << id << ": " << status.ToString();
            break;
          case Outcome::kViolatesUnique:
            EXPECT_EQ(status.code(), ErrorCode::kConflict) << id << ": " << status.ToString();
            break;
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  gate.join();

  std::vector<std::string> expected = {"taken"};
  for (int thread_index = 0; thread_index < kThreads; ++thread_index) {
    for (int write_index = 0; write_index < kWritesPerThread; ++write_index) {
      if (outcome_of(thread_index, write_index) != Outcome::kCommits) continue;
      expected.push_back("team_" + std::to_string(thread_index) + "_" + std::to_string(write_index));
    }
  }
  std::sort(expected.begin(), expected.end());
  const Result<std::vector<std::string>> ids = TeamIds(store(), kTenantA);
  ASSERT_TRUE(IsOk(ids));
  EXPECT_EQ(*ids, expected);
}

// A table of its own so that every value type has a column to live in on both backends.
constexpr std::string_view kCreateSamples =
    "CREATE TABLE value_samples (tenant_id TEXT NOT NULL, id BIGINT NOT NULL, integer_value BIGINT, "
    "real_value DOUBLE PRECISION, text_value TEXT, PRIMARY KEY (tenant_id, id))";
constexpr std::string_view kInsertSample =
    "INSERT INTO value_samples (tenant_id, id, integer_value, real_value, text_value) VALUES ($1, $2, $3, $4, $5)";
constexpr std::string_view kSelectSamples =
    "SELECT id, integer_value, real_value, text_value FROM value_samples WHERE tenant_id = $1 ORDER BY id";

constexpr std::int64_t kTwoToThe62 = std::int64_t{1} << 62;

struct Sample {
  std::int64_t id;
  std::optional<std::int64_t> integer;
  std::optional<double> real;
  std::optional<std::string> text;
};

std::vector<Sample> Samples() {
  return {
      {1, std::nullopt, std::nullopt, std::nullopt},
      {2, -1, -0.5, ""},
      {3, kTwoToThe62, 0.1, "Příliš žluťoučký kůň úpěl ďábelské ódy, żółć, 😀🎉"},
      {4, -kTwoToThe62, 1e300, "it's \"quoted\" -- not a comment /* nor this */ ? ?1 :x @y"},
      {5, std::numeric_limits<std::int64_t>::max(), -2.5e-300, "costs $2, or $1 when paid in $10"},
      {6, std::numeric_limits<std::int64_t>::min(), 3.25, "line one\nline two\ttabbed"},
  };
}

TEST_P(StoreTest, ValuesRoundTrip) {
  ASSERT_TRUE(IsOk(store().WriteSystem([](SystemTx& tx) { return tx.ExecuteScript(kCreateSamples); })));
  const std::vector<Sample> samples = Samples();
  ASSERT_TRUE(IsOk(store().Write(kTenantA, [&](TenantTx& tx) -> Status {
    for (const Sample& sample : samples) {
      TP_RETURN_IF_ERROR(tx.Execute(kInsertSample, {Value(sample.id), Nullable(sample.integer),
                                                    Nullable(sample.real), Nullable(sample.text)}));
    }
    return Status::Ok();
  })));

  Rows rows;
  ASSERT_TRUE(IsOk(store().Read(kTenantA, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(rows, tx.Query(kSelectSamples));
    return Status::Ok();
  })));
  ASSERT_EQ(rows.size(), samples.size());
  for (size_t index = 0; index < samples.size(); ++index) {
    const Sample& sample = samples[index];
    const Row& row = rows[index];
    SCOPED_TRACE("sample " + std::to_string(sample.id));
    EXPECT_EQ(row.Int(0), sample.id);
    EXPECT_EQ(row.OptionalInt(1), sample.integer);
    EXPECT_EQ(row.IsNull(2), !sample.real.has_value());
    if (sample.real) {
      EXPECT_EQ(row.Real(2), *sample.real);
    }
    EXPECT_EQ(row.OptionalText(3), sample.text);
  }
}

TEST_P(StoreTest, DollarSignsInsideStringLiteralsAreNotParameters) {
  ASSERT_TRUE(IsOk(store().WriteSystem([](SystemTx& tx) { return tx.ExecuteScript(kCreateSamples); })));
  ASSERT_TRUE(IsOk(store().Write(kTenantA, [](TenantTx& tx) -> Status {
    return tx.Execute("INSERT INTO value_samples (tenant_id, id, text_value) VALUES ($1, $2, 'costs $2, it''s $1')",
                      {Value(std::int64_t{7})})
        .status();
  })));
  std::optional<std::string> text;
  ASSERT_TRUE(IsOk(store().Read(kTenantA, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row,
                        tx.QueryOne("SELECT text_value FROM value_samples WHERE tenant_id = $1 AND "
                                    "text_value = 'costs $2, it''s $1' AND id = $2",
                                    {Value(std::int64_t{7})}));
    if (row) text = row->Text(0);
    return Status::Ok();
  })));
  EXPECT_EQ(text, "costs $2, it's $1");
}

TEST_P(StoreTest, CommittedWriteSurvivesReopen) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  ASSERT_TRUE(IsOk(WriteTeam(store(), kTenantA, "team_1", "Billing")));
  database_.Reopen();
  const Result<std::vector<std::string>> ids = TeamIds(store(), kTenantA);
  ASSERT_TRUE(IsOk(ids));
  EXPECT_EQ(*ids, std::vector<std::string>{"team_1"});
}

TEST_P(StoreTest, EveryCallAfterCloseIsUnavailable) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  store().Close();
  bool ran = false;
  const auto run = [&](TenantTx&) {
    ran = true;
    return Status::Ok();
  };
  EXPECT_EQ(store().Write(kTenantA, run).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store().Read(kTenantA, run).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store().WriteSystem([](SystemTx&) { return Status::Ok(); }).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store().ReadSystem([](SystemTx&) { return Status::Ok(); }).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store().Ping().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store().Migrate().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(ran);
  store().Close();  // a second Close is harmless
}

// Behaviour specific to the embedded backend.
class SqliteStoreTest : public ::testing::Test {
 protected:
  Store& store() { return database_.store(); }

  // One transaction of 100 customers of about a page each (WAL tests), ids unique per `batch`.
  Status WritePages(int batch) {
    const std::string filler(3000, 'x');
    return store().Write(kTenantA, [&](TenantTx& tx) -> Status {
      for (int row = 0; row < 100; ++row) {
        const std::string id = "cus_" + std::to_string(batch) + "_" + std::to_string(row);
        TP_RETURN_IF_ERROR(tx.Execute(kInsertCustomer, {Value(id), Value(filler), Value(NowMicros())}).status());
      }
      return Status::Ok();
    });
  }

  TestDatabase database_{"sqlite"};
};

Result<std::string> WriterPragma(Store& store, std::string_view pragma) {
  std::string value;
  TP_RETURN_IF_ERROR(store.WriteSystem([&](SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne(pragma));
    value = row->Text(0);
    return Status::Ok();
  }));
  return value;
}

// synchronous = NORMAL: SQLite's commit does not wait for the disk, the store syncs the WAL itself before
// it answers a write (and a checkpoint syncs it too).
TEST_F(SqliteStoreTest, UsesWalWithStoreSyncAndForeignKeys) {
  std::string journal_mode;
  ASSERT_TRUE(IsOk(store().ReadSystem([&](SystemTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> row, tx.QueryOne("PRAGMA journal_mode"));
    journal_mode = row->Text(0);
    return Status::Ok();
  })));
  EXPECT_EQ(journal_mode, "wal");
  const Result<std::string> synchronous = WriterPragma(store(), "PRAGMA synchronous");
  ASSERT_TRUE(IsOk(synchronous));
  EXPECT_EQ(*synchronous, "1");  // NORMAL
  const Result<std::string> foreign_keys = WriterPragma(store(), "PRAGMA foreign_keys");
  ASSERT_TRUE(IsOk(foreign_keys));
  EXPECT_EQ(*foreign_keys, "1");

  const Status orphan = WriteTeam(store(), "ten_missing", "team_1", "Billing");
  EXPECT_EQ(orphan.code(), ErrorCode::kInternal) << orphan.ToString();
}

TEST_F(SqliteStoreTest, Fts5TablesCanBeCreatedAndSearched) {
  ASSERT_TRUE(IsOk(store().WriteSystem([](SystemTx& tx) {
    return tx.ExecuteScript(
        "CREATE VIRTUAL TABLE message_search USING fts5(tenant_id UNINDEXED, body, "
        "tokenize = 'unicode61 remove_diacritics 2')");
  })));
  ASSERT_TRUE(IsOk(store().Write(kTenantA, [](TenantTx& tx) -> Status {
    constexpr std::string_view kIndex = "INSERT INTO message_search (tenant_id, body) VALUES ($1, $2)";
    TP_RETURN_IF_ERROR(tx.Execute(kIndex, {Value("Moje zásilka ještě nedorazila")}));
    TP_RETURN_IF_ERROR(tx.Execute(kIndex, {Value("Děkuji za rychlou odpověď")}));
    return Status::Ok();
  })));
  ASSERT_TRUE(IsOk(store().Write(kTenantB, [](TenantTx& tx) {
    return tx.Execute("INSERT INTO message_search (tenant_id, body) VALUES ($1, $2)", {Value("zásilka")}).status();
  })));

  Rows hits;
  ASSERT_TRUE(IsOk(store().Read(kTenantA, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(
        hits, tx.Query("SELECT body FROM message_search WHERE message_search MATCH $2 AND tenant_id = $1",
                       {Value("zasilka")}));
    return Status::Ok();
  })));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits.front().Text(0), "Moje zásilka ještě nedorazila");
}

TEST_F(SqliteStoreTest, ValuesKeepTheirTypes) {
  ASSERT_TRUE(IsOk(store().WriteSystem([](SystemTx& tx) { return tx.ExecuteScript(kCreateSamples); })));
  ASSERT_TRUE(IsOk(store().Write(kTenantA, [](TenantTx& tx) {
    return tx.Execute(kInsertSample, {Value(std::int64_t{1}), Value(kTwoToThe62), Value(0.5), Value("😀")}).status();
  })));
  Rows rows;
  ASSERT_TRUE(IsOk(store().Read(kTenantA, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(rows, tx.Query("SELECT integer_value, real_value, text_value, NULL, X'00ff' FROM "
                                       "value_samples WHERE tenant_id = $1"));
    return Status::Ok();
  })));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Raw(0), Value(kTwoToThe62));
  EXPECT_EQ(rows[0].Raw(1), Value(0.5));
  EXPECT_EQ(rows[0].Raw(2), Value("😀"));
  EXPECT_TRUE(std::holds_alternative<std::monostate>(rows[0].Raw(3)));
  EXPECT_EQ(rows[0].Raw(4), Value(std::string("\x00\xff", 2)));
}

TEST_F(SqliteStoreTest, ParameterCountMustMatchAndOneStatementPerCall) {
  Status too_few;
  Status too_many;
  Status two_statements;
  ASSERT_TRUE(IsOk(store().Write(kTenantA, [&](TenantTx& tx) {
    too_few = tx.Execute(kInsertTeam, {Value("team_1"), Value("Billing")}).status();
    too_many = tx.Query("SELECT $1", {Value("extra")}).status();
    two_statements = tx.Query("SELECT $1; SELECT 2").status();
    return Status::Ok();
  })));
  EXPECT_EQ(too_few.code(), ErrorCode::kInternal) << too_few.ToString();
  EXPECT_EQ(too_many.code(), ErrorCode::kInternal) << too_many.ToString();
  EXPECT_EQ(two_statements.code(), ErrorCode::kInternal) << two_statements.ToString();
}

TEST_F(SqliteStoreTest, ThrowingWriteIsRolledBackAsInternal) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  const Status write = store().Write(kTenantA, [](TenantTx& tx) -> Status {
    TP_RETURN_IF_ERROR(InsertTeam(tx, "team_1", "Billing"));
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(write.code(), ErrorCode::kInternal);
  EXPECT_NE(write.message().find("boom"), std::string::npos) << write.message();
  const Result<std::int64_t> teams = Count(store(), kTenantA, kCountTeams);
  ASSERT_TRUE(IsOk(teams));
  EXPECT_EQ(*teams, 0);
  EXPECT_TRUE(IsOk(WriteTeam(store(), kTenantA, "team_2", "Returns")));
}

TEST_F(SqliteStoreTest, WriteInsideAWriteIsRefusedInsteadOfDeadlocking) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  Status inner;
  const Status outer = store().Write(kTenantA, [&](TenantTx& tx) {
    inner = WriteTeam(store(), kTenantA, "team_2", "Returns");
    return InsertTeam(tx, "team_1", "Billing");
  });
  EXPECT_TRUE(IsOk(outer));
  EXPECT_EQ(inner.code(), ErrorCode::kInternal) << inner.ToString();
}

TEST_F(SqliteStoreTest, ReadsCannotWrite) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  const Status read = store().Read(kTenantA, [](TenantTx& tx) { return InsertTeam(tx, "team_1", "Billing"); });
  EXPECT_EQ(read.code(), ErrorCode::kInternal) << read.ToString();
}

TEST_F(SqliteStoreTest, ReadSeesOneSnapshotWhileWritesCommit) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  std::int64_t before = -1;
  std::int64_t after = -1;
  const Status read = store().Read(kTenantA, [&](TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(std::optional<Row> first, tx.QueryOne(kCountTeams));
    before = first->Int(0);
    // Committed by the writer while this read transaction is open.
    TP_RETURN_IF_ERROR(WriteTeam(store(), kTenantA, "team_1", "Billing"));
    TP_ASSIGN_OR_RETURN(std::optional<Row> second, tx.QueryOne(kCountTeams));
    after = second->Int(0);
    return Status::Ok();
  });
  ASSERT_TRUE(IsOk(read));
  EXPECT_EQ(before, 0);
  EXPECT_EQ(after, 0);
  const Result<std::int64_t> teams = Count(store(), kTenantA, kCountTeams);
  ASSERT_TRUE(IsOk(teams));
  EXPECT_EQ(*teams, 1);
}

TEST_F(SqliteStoreTest, CloseFinishesQueuedWritesAndAcknowledgesOnlyCommittedOnes) {
  constexpr int kThreads = 4;
  constexpr int kWritesPerThread = 100;
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  std::atomic<int> acknowledged{0};
  std::vector<std::thread> writers;
  for (int thread_index = 0; thread_index < kThreads; ++thread_index) {
    writers.emplace_back([&, thread_index] {
      for (int write_index = 0; write_index < kWritesPerThread; ++write_index) {
        const std::string id = "cus_" + std::to_string(thread_index) + "_" + std::to_string(write_index);
        const Status status = store().Write(kTenantA, [&](TenantTx& tx) {
          return tx.Execute(kInsertCustomer, {Value(id), Value(id), Value(NowMicros())}).status();
        });
        if (status.ok()) {
          ++acknowledged;
        } else {
          EXPECT_EQ(status.code(), ErrorCode::kUnavailable) << status.ToString();
        }
      }
    });
  }
  // Closed while writes are acknowledged and others queue, so that both kinds of outcome are seen.
  constexpr int kAcknowledgedBeforeClose = 10;
  EXPECT_TRUE(WaitUntil([&] { return acknowledged.load() >= kAcknowledgedBeforeClose; }));
  store().Close();
  for (std::thread& writer : writers) writer.join();

  EXPECT_GE(acknowledged.load(), kAcknowledgedBeforeClose);
  database_.Reopen();
  const Result<std::int64_t> customers = Count(store(), kTenantA, kCountCustomers);
  ASSERT_TRUE(IsOk(customers));
  EXPECT_EQ(*customers, acknowledged.load());
}

// Checkpoints run on a background thread instead of inside the writer's commits: once the WAL passes
// SQLite's usual threshold, its pages still reach the database file while the store stays open.
TEST_F(SqliteStoreTest, WalIsCheckpointedIntoTheDatabaseFileInTheBackground) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  const std::string path = database_.url().substr(std::string_view("sqlite:").size());
  const auto file_size = [&] { return std::filesystem::file_size(path); };
  const std::uintmax_t before = file_size();
  for (int batch = 0; batch < 30; ++batch) {
    ASSERT_TRUE(IsOk(WritePages(batch)));
  }
  EXPECT_TRUE(WaitUntil([&] { return file_size() >= before + 1000 * 4096; }, std::chrono::seconds(10)));
  const Result<std::int64_t> customers = Count(store(), kTenantA, kCountCustomers);
  ASSERT_TRUE(IsOk(customers));
  EXPECT_EQ(*customers, 3000);
}

// Under writes without pause the background checkpoint never reaches the log's end; the WAL must still
// start over rather than grow with everything ever written (here about 120 MiB in 300 transactions).
// The writer's own checkpoint is passive, so while the background one holds the checkpoint lock the log
// may pass 4,000 pages for a few commits; past 12,000 the writer waits for it and copies the rest, so even
// a machine too busy to schedule the background checkpoint stays under the bound.
TEST_F(SqliteStoreTest, WalStaysBoundedUnderSustainedWrites) {
  ASSERT_TRUE(IsOk(CreateTenant(store(), kTenantA)));
  const std::string wal = database_.url().substr(std::string_view("sqlite:").size()) + "-wal";
  std::uintmax_t largest = 0;
  for (int batch = 0; batch < 300; ++batch) {
    ASSERT_TRUE(IsOk(WritePages(batch)));
    largest = std::max(largest, std::filesystem::file_size(wal));
  }
  EXPECT_LT(largest, std::uintmax_t{56} << 20) << "the WAL grew to " << largest << " bytes";
}

TEST(SqliteStoreOpen, RefusesInMemoryDatabasesAndMissingDirectories) {
  EXPECT_EQ(OpenSqliteStore({.path = ":memory:"}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(OpenSqliteStore({.path = "file::memory:"}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("sqlite:/nonexistent-tp-directory/x.db").status().code(), ErrorCode::kUnavailable);
}

TEST(StoreUrl, IsDescribedWithoutCredentials) {
  EXPECT_EQ(DescribeStoreUrl("postgresql://touchpoint:s3cr%40t@db.internal:5432/tp?sslmode=verify-full&password=x"),
            "postgresql://db.internal:5432/tp");
  EXPECT_EQ(DescribeStoreUrl("postgres://db/tp"), "postgres://db/tp");
  EXPECT_EQ(DescribeStoreUrl("sqlite:var/touchpoint.db"), "sqlite:var/touchpoint.db");
}

}  // namespace
}  // namespace tp::store
