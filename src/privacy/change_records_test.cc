// What the change feed tells subscribers about merges, unmerges and erasure must be enough for them to
// move or forget a customer's data without reading anything else (changes/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "changes/feed.h"
#include "changes/kinds.h"
#include "ingest/ingest_test_support.h"
#include "ingest/merges.h"
#include "privacy/privacy.h"
#include "profiles/customer_tables.h"

namespace tp::privacy {
namespace {

using nlohmann::json;

class ChangeRecordsTest : public ingest::IngestFixture {
 protected:
  // Every change of `kind` so far, oldest first, with its data parsed.
  std::vector<json> Records(std::string_view kind) {
    changes::Feed feed(store());
    EXPECT_TRUE(feed.Start().ok());  // everything committed before the start is deliverable
    Result<std::vector<store::Change>> all = feed.ReadAfter(0, 10'000);
    EXPECT_TRUE(all.ok());
    std::vector<json> found;
    for (const store::Change& change : all.ok() ? *all : std::vector<store::Change>{}) {
      if (change.kind == kind) found.push_back(json::parse(change.data));
    }
    return found;
  }

  std::string Profile(const std::string& anonymous_id, const std::string& email, int at) {
    return Ingest({Msg({{"type", "identify"}, {"anonymousId", anonymous_id}, {"traits", {{"email", email}}}}, at)})
        .customer_ids[0];
  }
};

TEST_P(ChangeRecordsTest, MergeUnmergeAndErasureNameEveryIdInvolvedAndNoPersonalData) {
  const std::string first = Profile("device-1", "first.person@example.cz", 1);
  const std::string second = Profile("device-2", "second.person@example.cz", 2);
  const std::string third = Profile("device-3", "third.person@example.cz", 3);
  EXPECT_EQ(Records(changes::kinds::kEventsIngested).size(), 3u);

  ASSERT_TRUE(profiles::WriteResult<ingest::Merge>(store(), tenant_, [&](store::TenantTx& tx) {
                return ingest::MergeCustomers(tx, first, second, "manual", identity::AuditContext::System());
              }).ok());
  const auto merge = profiles::WriteResult<ingest::Merge>(store(), tenant_, [&](store::TenantTx& tx) {
    return ingest::MergeCustomers(tx, first, third, "manual", identity::AuditContext::System());
  });
  ASSERT_TRUE(merge.ok());
  std::vector<json> merges = Records(changes::kinds::kCustomerMerged);
  ASSERT_EQ(merges.size(), 2u);
  EXPECT_EQ(merges[0]["survivor_id"], first);
  EXPECT_EQ(merges[0]["merged_id"], second);
  EXPECT_EQ(merges[1]["merged_id"], third);
  EXPECT_EQ(merges[1]["merge_id"], merge->id);

  ASSERT_TRUE(profiles::WriteResult<ingest::Merge>(store(), tenant_, [&](store::TenantTx& tx) {
                return ingest::UndoMerge(tx, merge->id, identity::AuditContext::System());
              }).ok());
  std::vector<json> unmerges = Records(changes::kinds::kCustomerUnmerged);
  ASSERT_EQ(unmerges.size(), 1u);
  EXPECT_EQ(unmerges[0]["survivor_id"], first);
  EXPECT_EQ(unmerges[0]["restored_id"], third);
  EXPECT_EQ(unmerges[0]["restored_profile_ids"], json::array({third}));

  ASSERT_TRUE(profiles::WriteResult<ErasureReport>(store(), tenant_, [&](store::TenantTx& tx) {
                return EraseCustomer(tx, first, identity::AuditContext::System());
              }).ok());
  std::vector<json> erasures = Records(changes::kinds::kCustomerErased);
  ASSERT_EQ(erasures.size(), 1u);
  EXPECT_EQ(erasures[0]["customer_id"], first);
  // The profile merged into the erased one is gone with it; a subscriber must forget both ids.
  std::vector<std::string> erased_ids = erasures[0]["profile_ids"].get<std::vector<std::string>>();
  std::sort(erased_ids.begin(), erased_ids.end());
  std::vector<std::string> expected{first, second};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(erased_ids, expected);

  // No record holds what erasure removed.
  changes::Feed feed(store());
  ASSERT_TRUE(feed.Start().ok());
  const auto all = feed.ReadAfter(0, 10'000);
  ASSERT_TRUE(all.ok());
  for (const store::Change& change : *all) {
    EXPECT_EQ(change.data.find("example.cz"), std::string::npos) << change.kind << ": " << change.data;
  }
}

// A new table with a customer_id column must be in profiles::CustomerOwnedTables(), or merges would
// leave its rows behind and erasure would miss them.
TEST_P(ChangeRecordsTest, EveryTableWithACustomerIdColumnIsACustomerOwnedTable) {
  std::set<std::string> with_customer_id;
  ASSERT_TRUE(store()
                  .ReadSystem([&](store::SystemTx& tx) -> Status {
                    const std::string sql =
                        GetParam() == "sqlite"
                            ? "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c "
                              "WHERE m.type = 'table' AND c.name = 'customer_id'"
                            : "SELECT table_name FROM information_schema.columns "
                              "WHERE table_schema = current_schema() AND column_name = 'customer_id'";
                    TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql));
                    for (const store::Row& row : rows) with_customer_id.insert(row.Text(0));
                    return Status::Ok();
                  })
                  .ok());
  std::set<std::string> registered;
  for (const profiles::CustomerOwnedTable& table : profiles::CustomerOwnedTables()) registered.emplace(table.name);
  EXPECT_EQ(with_customer_id, registered);
  EXPECT_GE(with_customer_id.size(), 8u);
}

// Merges, erasure, export and the timeline read and move one customer's rows of every customer-owned
// table. On SQLite, without statistics (a fresh database), the planner may walk the whole tenant
// instead of the customer's index when the index does not hold every column the read needs (it did,
// for identifiers and trait history, until migration 27): each table's rows of one customer must be
// found by customer_id.
TEST_P(ChangeRecordsTest, EveryCustomerOwnedTableFindsOneCustomersRowsByIndex) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "PostgreSQL plans from the statistics it gathers itself";
  for (const profiles::CustomerOwnedTable& table : profiles::CustomerOwnedTables()) {
    std::string plan;
    ASSERT_TRUE(store()
                    .ReadSystem([&](store::SystemTx& tx) -> Status {
                      TP_ASSIGN_OR_RETURN(store::Rows rows,
                                          tx.Query("EXPLAIN QUERY PLAN SELECT * FROM " + std::string(table.name) +
                                                   " WHERE tenant_id = 't' AND customer_id = 'c'"));
                      for (const store::Row& row : rows) plan += row.Text(3) + "\n";
                      return Status::Ok();
                    })
                    .ok());
    EXPECT_NE(plan.find("customer_id=?"), std::string::npos) << table.name << ": " << plan;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeRecordsTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::privacy
