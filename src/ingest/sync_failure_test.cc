// docs/ingestion.md: a 503 means the outcome is unknown, and a retry with the same message ids stores
// nothing twice. The case that makes it unknown on SQLite: the group commit succeeded (readers may see
// the batch) but the sync of the write-ahead log failed (store/failing_sync.h), so the write is refused.
#include <gtest/gtest.h>

#include "common/crypto.h"
#include "ingest/ingest.h"
#include "profiles/testing.h"
#include "store/failing_sync.h"
#include "store/testing.h"

namespace tp::ingest {
namespace {

std::vector<events::Message> Batch() {
  std::vector<events::Message> messages;
  for (int message_idx = 0; message_idx < 3; ++message_idx) {
    Result<events::Message> parsed = events::ParseSegmentMessage(
        nlohmann::json{{"type", "track"}, {"messageId", "retry-" + std::to_string(message_idx)},
                       {"userId", "retrying-user"}, {"event", "Order Completed"}},
        {.received_at = NowMicros()});
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    messages.push_back(std::move(parsed).value());
  }
  return messages;
}

Result<IngestSummary> Ingest(store::Store& store, const std::string& tenant, const std::vector<events::Message>& batch) {
  return profiles::WriteResult<IngestSummary>(store, tenant, [&](store::TenantTx& tx) {
    return IngestRequest(tx, batch, 0, identity::AuditContext::System());
  });
}

std::int64_t CountEvents(store::Store& store, const std::string& tenant) {
  Result<std::int64_t> count =
      profiles::ReadResult<std::int64_t>(store, tenant, [](store::TenantTx& tx) -> Result<std::int64_t> {
        TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne("SELECT COUNT(*) FROM events WHERE tenant_id = $1"));
        return row->Int(0);
      });
  EXPECT_TRUE(count.ok()) << count.status().ToString();
  return count.ok() ? *count : -1;
}

TEST(IngestAfterAFailedSync, TheRefusedBatchMayBeStoredAndItsRetryStoresNothingTwice) {
  InitCrypto();
  store::TestDatabase database("sqlite");
  const std::string tenant = profiles::CreateTestTenant(database.store(), "retry");
  const std::vector<events::Message> batch = Batch();

  store::FailSyncs(true);
  const Result<IngestSummary> refused = Ingest(database.store(), tenant, batch);
  store::FailSyncs(false);
  ASSERT_EQ(refused.status().code(), ErrorCode::kUnavailable) << refused.status().ToString();  // HTTP 503
  // Committed before its sync failed: stored, as far as this process can tell, though never acknowledged.
  EXPECT_EQ(CountEvents(database.store(), tenant), 3);

  database.Reopen();  // the store refuses writes until the server restarts
  const Result<IngestSummary> retried = Ingest(database.store(), tenant, batch);
  ASSERT_TRUE(retried.ok()) << retried.status().ToString();
  EXPECT_EQ(retried->stored, 0);
  EXPECT_EQ(retried->duplicates, 3);
  EXPECT_EQ(CountEvents(database.store(), tenant), 3);
}

}  // namespace
}  // namespace tp::ingest
