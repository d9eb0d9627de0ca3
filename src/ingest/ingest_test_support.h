// Helpers for the ingest tests: a migrated store with one tenant, and messages built from Segment JSON.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "common/crypto.h"
#include "events/events.h"
#include "ingest/ingest.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::ingest {

class IngestFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
  }

  store::Store& store() { return db_->store(); }

  // A Segment message received now; `timestamp` in seconds after a fixed base keeps orders explicit.
  static events::Message Msg(nlohmann::json message, int timestamp = 0) {
    static const Micros base = *ParseTimestamp("2026-11-01T00:00:00Z");
    message["timestamp"] = FormatTimestamp(base + Micros{timestamp} * 1'000'000);
    if (!message.contains("messageId")) message["messageId"] = "m-" + std::to_string(++counter_);
    Result<events::Message> parsed = events::ParseSegmentMessage(std::move(message), {.received_at = NowMicros()});
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    return parsed.ok() ? *parsed : events::Message{};
  }

  IngestSummary Ingest(const std::vector<events::Message>& messages) {
    Result<IngestSummary> summary = profiles::WriteResult<IngestSummary>(store(), tenant_, [&](store::TenantTx& tx) {
      return IngestMessages(tx, messages, identity::AuditContext::System());
    });
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? *summary : IngestSummary{};
  }

  profiles::Customer Customer(const std::string& id) {
    Result<profiles::Customer> customer = profiles::ReadResult<profiles::Customer>(
        store(), tenant_, [&](store::TenantTx& tx) { return profiles::GetCustomer(tx, id); });
    EXPECT_TRUE(customer.ok()) << customer.status().ToString();
    return customer.ok() ? *customer : profiles::Customer{};
  }

  std::string Live(const std::string& id) {
    Result<std::string> live = profiles::ReadResult<std::string>(
        store(), tenant_, [&](store::TenantTx& tx) { return LiveCustomerId(tx, id); });
    EXPECT_TRUE(live.ok()) << live.status().ToString();
    return live.ok() ? *live : "";
  }

  std::int64_t Count(const std::string& sql, const std::string& customer_id) {
    Result<std::int64_t> count = profiles::ReadResult<std::int64_t>(store(), tenant_, [&](store::TenantTx& tx) -> Result<std::int64_t> {
      TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(sql, {customer_id}));
      return row ? row->Int(0) : 0;
    });
    EXPECT_TRUE(count.ok()) << count.status().ToString();
    return count.ok() ? *count : -1;
  }
  std::int64_t EventsOf(const std::string& customer_id) {
    return Count("SELECT COUNT(*) FROM events WHERE tenant_id = $1 AND customer_id = $2", customer_id);
  }

  inline static int counter_ = 0;
  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
};

}  // namespace tp::ingest
