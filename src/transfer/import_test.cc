#include "transfer/import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "common/crypto.h"
#include "profiles/testing.h"
#include "store/testing.h"
#include "transfer/csv.h"

namespace tp::transfer {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ImportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
  }
  store::Store& store() { return db_->store(); }

  Result<ImportSummary> Import(ImportKind kind, const std::string& csv, int batch = 3) {
    std::istringstream in(csv);
    rejects_.str("");
    ImportOptions options{.rejects = &rejects_, .batch_size = batch};
    return ImportCsv(store(), tenant_, kind, in, options, identity::AuditContext::System("test"));
  }

  std::int64_t Count(const std::string& sql) {
    std::int64_t count = -1;
    EXPECT_TRUE(store().Read(tenant_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(sql));
      count = row ? row->Int(0) : -1;
      return Status::Ok();
    }).ok());
    return count;
  }
  std::int64_t LiveCustomers() {
    return Count("SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND merged_into IS NULL");
  }
  std::int64_t Events() { return Count("SELECT COUNT(*) FROM events WHERE tenant_id = $1"); }

  std::vector<CsvRecord> RejectRecords() {
    std::istringstream in(rejects_.str());
    CsvReader reader(in);
    std::vector<CsvRecord> records;
    CsvRecord record;
    while (reader.Next(record)) records.push_back(record);
    return records;
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::ostringstream rejects_;
};

constexpr std::string_view kCustomers =
    "user_id,email,phone,name,plan\r\n"
    "u1,jana@example.cz,+420 777 123 456,Jana Nováková,gold\r\n"
    "u2,petr@example.cz,,Petr Svoboda,\r\n"
    ",,,Nobody,silver\r\n"                          // line 4: no identifier
    "u4,not-an-email,,Bad Mail,\r\n"                // line 5: bad e-mail
    "u5,eva@example.cz,,\"Eva \"\"E\"\" Dvořáková\",\r\n"
    "u6,\"broken\"x,,,\r\n"                         // line 7: text after a closing quote
    "u7,adam@example.cz,,\"Adam\nNový\",bronze\r\n"  // a line break inside quotes (lines 8-9)
    "u8,a@b.cz\r\n"                                 // line 10: too few fields
    "u9,zoe@example.cz,,Zoe,\r\n";

TEST_P(ImportTest, GoodRowsLoadBadRowsGoToTheRejectsFileWithLineNumbers) {
  auto summary = Import(ImportKind::kCustomers, std::string(kCustomers));
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->rows_read, 9);
  EXPECT_EQ(summary->loaded, 5);
  EXPECT_EQ(summary->rejected, 4);
  EXPECT_EQ(summary->duplicates, 0);
  EXPECT_EQ(LiveCustomers(), 5);
  ASSERT_EQ(summary->rejects.size(), 4u);
  EXPECT_EQ(summary->rejects[0].line, 4);
  EXPECT_EQ(summary->rejects[0].field, "user_id");
  EXPECT_EQ(summary->rejects[1].line, 5);
  EXPECT_EQ(summary->rejects[1].field, "email");
  EXPECT_EQ(summary->rejects[2].line, 7);
  EXPECT_EQ(summary->rejects[2].field, "email");
  EXPECT_EQ(summary->rejects[3].line, 10);
  EXPECT_EQ(summary->rejects[3].field, "row");

  const auto records = RejectRecords();
  ASSERT_EQ(records.size(), 5u);
  EXPECT_THAT(records[0].fields,
              ElementsAre("reject_line", "reject_field", "reject_reason", "user_id", "email", "phone", "name", "plan"));
  EXPECT_EQ(records[1].fields[0], "4");
  EXPECT_EQ(records[1].fields[1], "user_id");
  EXPECT_THAT(records[1].fields[2], HasSubstr("identifier"));
  EXPECT_THAT(std::vector<std::string>(records[1].fields.begin() + 3, records[1].fields.end()),
              ElementsAre("", "", "", "Nobody", "silver"));
  EXPECT_EQ(records[2].fields[0], "5");
  EXPECT_EQ(records[2].fields[4], "not-an-email");
  EXPECT_EQ(records[4].fields[0], "10");
  EXPECT_THAT(std::vector<std::string>(records[4].fields.begin() + 3, records[4].fields.end()), ElementsAre("u8", "a@b.cz"));

  // The profile got its fields from the row.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND email = 'jana@example.cz' "
                  "AND phone = '+420777123456' AND name = 'Jana Nováková'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customers WHERE tenant_id = $1 AND name = 'Eva \"E\" Dvořáková'"), 1);
}

// One audit entry per file however many chunks it loads in, with counts and no row's content.
TEST_P(ImportTest, AnImportLeavesOneAuditEntryWithCountsOnly) {
  ASSERT_TRUE(Import(ImportKind::kCustomers, std::string(kCustomers), 1).ok());
  std::vector<std::string> entries;
  ASSERT_TRUE(store().Read(tenant_, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT action, target_id, COALESCE(before_json, ''), after_json FROM "
                                            "audit_log WHERE tenant_id = $1 AND action <> 'tenant.create' ORDER BY id"));
    for (const store::Row& row : rows) entries.push_back(row.Text(0) + " " + row.Text(1) + " " + row.Text(2) + row.Text(3));
    return Status::Ok();
  }).ok());
  EXPECT_THAT(entries, ElementsAre(R"(customers.import customers {"duplicates":0,"loaded":5,"rejected":4,"rows_read":9})"));
}

TEST_P(ImportTest, ImportingTheSameFileAgainAddsNothing) {
  auto first = Import(ImportKind::kCustomers, std::string(kCustomers));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const std::int64_t customers = LiveCustomers(), events = Events();
  auto second = Import(ImportKind::kCustomers, std::string(kCustomers), 1000);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->loaded, 0);
  EXPECT_EQ(second->duplicates, 5);
  EXPECT_EQ(second->rejected, 4);
  EXPECT_EQ(LiveCustomers(), customers);
  EXPECT_EQ(Events(), events);
}

TEST_P(ImportTest, TheSameRowTwiceInOneFileIsOneDuplicate) {
  auto summary = Import(ImportKind::kCustomers, "email\na@example.cz\nA@example.cz \na@example.cz\n", 10);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded + summary->duplicates, 3);
  EXPECT_EQ(LiveCustomers(), 1);
}

TEST_P(ImportTest, OrdersUpdateTheProfilesComputedAttributes) {
  ASSERT_TRUE(Import(ImportKind::kCustomers, "user_id,email\nu1,jana@example.cz\n").ok());
  const std::string orders =
      "order_id,user_id,email,total,currency,status,ordered_at,products\n"
      "A-1,u1,,100.5,EUR,,2025-05-01T12:00:00Z,\"[{\"\"sku\"\":\"\"x\"\"}]\"\n"
      "A-2,,jana@example.cz,50,EUR,completed,2025-05-02T12:00:00Z,\n"
      "A-2,,jana@example.cz,50,EUR,refunded,2025-05-03T12:00:00Z,\n"
      "A-3,u1,,abc,EUR,,,\n";
  auto summary = Import(ImportKind::kOrders, orders);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded, 3);
  EXPECT_EQ(summary->rejected, 1);
  ASSERT_EQ(summary->rejects.size(), 1u);
  EXPECT_EQ(summary->rejects[0].line, 5);
  EXPECT_EQ(summary->rejects[0].field, "total");
  EXPECT_EQ(LiveCustomers(), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE tenant_id = $1 AND name = 'Order Completed' AND amount > 0"), 2);
  EXPECT_EQ(Count("SELECT orders_count FROM customers WHERE tenant_id = $1 AND merged_into IS NULL"), 2);
  EXPECT_EQ(Count("SELECT refunds_count FROM customers WHERE tenant_id = $1 AND merged_into IS NULL"), 1);
  EXPECT_EQ(Count("SELECT SUM(amount) FROM events WHERE tenant_id = $1 AND name = 'Order Completed'"), 1'505'000);
  // Re-importing the orders counts nothing twice.
  auto again = Import(ImportKind::kOrders, orders);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->loaded, 0);
  EXPECT_EQ(again->duplicates, 3);
  EXPECT_EQ(Count("SELECT orders_count FROM customers WHERE tenant_id = $1 AND merged_into IS NULL"), 2);
}

// A shop's export without order ids (customer_id, ts, amount, as many carts and payment gateways write
// it): each row's order id comes from its content, so the file imports, and importing it again, or a
// re-export spelling the same times and amounts differently, adds nothing.
TEST_P(ImportTest, OrdersWithoutAnOrderIdGetOneFromTheirContent) {
  const std::string orders =
      "customer_id,ts,amount,currency,sku,quantity\n"
      "C-1001,2025-05-01T12:00:00Z,100.50,EUR,BOOT-42,1\n"
      "C-1001,2025-05-01T12:00:00Z,100.50,EUR,SOCK-3,2\n"  // same time and amount, other line: another order
      "C-1001,2025-05-03 09:15,100.50,EUR,BOOT-42,1\n"
      "C-1002,2025-05-02T08:00:00+02:00,1299,CZK,TENT-1,1\n"
      "C-1003,,12,EUR,CAP-1,1\n";  // no time: nothing to derive its id from
  auto summary = Import(ImportKind::kOrders, orders);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded, 4);
  ASSERT_EQ(summary->rejects.size(), 1u);
  EXPECT_EQ(summary->rejects[0].line, 6);
  EXPECT_EQ(summary->rejects[0].field, "timestamp");
  EXPECT_EQ(LiveCustomers(), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customer_identifiers WHERE tenant_id = $1 AND kind = 'user_id' "
                  "AND value IN ('C-1001', 'C-1002')"),
            2);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT message_id) FROM events WHERE tenant_id = $1 AND name = 'Order Completed' "
                  "AND message_id LIKE 'order:row-%'"),
            4);
  EXPECT_EQ(Count("SELECT SUM(orders_count) FROM customers WHERE tenant_id = $1 AND merged_into IS NULL"), 4);

  auto again = Import(ImportKind::kOrders, orders);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->loaded, 0);
  EXPECT_EQ(again->duplicates, 4);
  // The same orders exported again with the columns reordered and times and amounts spelled otherwise.
  const std::string reexported =
      "amount,quantity,sku,currency,customer_id,ts\n"
      "100.5,1,BOOT-42,eur,C-1001,2025-05-01T14:00:00+02:00\n"
      "1299.00,1,TENT-1,CZK,C-1002,2025-05-02T06:00:00Z\n";
  auto reimported = Import(ImportKind::kOrders, reexported);
  ASSERT_TRUE(reimported.ok()) << reimported.status().ToString();
  EXPECT_EQ(reimported->loaded, 0);
  EXPECT_EQ(reimported->duplicates, 2);
  EXPECT_EQ(Count("SELECT SUM(orders_count) FROM customers WHERE tenant_id = $1 AND merged_into IS NULL"), 4);

  // Without an order id and without a time there is nothing to name the orders by.
  auto refused = Import(ImportKind::kOrders, "customer_id,amount\nC-1001,5\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "order_id");
}

TEST_P(ImportTest, EventsFile) {
  const std::string events =
      "message_id,type,event,user_id,anonymous_id,timestamp,properties,properties.plan\n"
      "m1,track,Signed Up,u1,,2025-01-02T03:04:05Z,\"{\"\"source\"\":\"\"ad\"\"}\",pro\n"
      ",page,Pricing,,anon-1,2025-01-02T03:05:00Z,,\n"
      ",track,,u1,,,,\n"  // no event name
      "m4,alias,,u1,,,,\n";  // alias without previous_id
  auto summary = Import(ImportKind::kEvents, events);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded, 2);
  EXPECT_EQ(summary->rejected, 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE tenant_id = $1 AND message_id = 'm1'"), 1);
  auto again = Import(ImportKind::kEvents, events);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->loaded, 0);
  EXPECT_EQ(again->duplicates, 2);
}

TEST_P(ImportTest, HeaderProblemsStopTheImportBeforeAnythingLoads) {
  auto empty = Import(ImportKind::kCustomers, "");
  EXPECT_EQ(empty.status().code(), ErrorCode::kInvalidArgument);
  auto unknown = Import(ImportKind::kEvents, "user_id,event,colour\nu1,E,red\n");
  EXPECT_EQ(unknown.status().field(), "colour");
  auto malformed = Import(ImportKind::kCustomers, "email,\"x\n");
  EXPECT_EQ(malformed.status().field(), "header");
  EXPECT_EQ(LiveCustomers(), 0);
}

// Whatever refuses the file, the rejects file starts with its header, so a script reading it always
// finds one.
TEST_P(ImportTest, TheRejectsFileHoldsItsHeaderWhenTheWholeFileIsRefused) {
  EXPECT_EQ(Import(ImportKind::kCustomers, "name,plan\nJana,gold\n").status().field(), "user_id");
  ASSERT_EQ(RejectRecords().size(), 1u);
  EXPECT_THAT(RejectRecords()[0].fields, ElementsAre("reject_line", "reject_field", "reject_reason", "name", "plan"));
  std::istringstream in("customer_id,ts\nc1,2025-01-01\n");
  rejects_.str("");
  ImportOptions options{.rejects = &rejects_, .mapping = {{"customer_id", "userid"}}};
  EXPECT_EQ(ImportCsv(store(), tenant_, ImportKind::kOrders, in, options, identity::AuditContext::System()).status().field(),
            "map");
  ASSERT_EQ(RejectRecords().size(), 1u);
  EXPECT_THAT(RejectRecords()[0].fields, ElementsAre("reject_line", "reject_field", "reject_reason", "customer_id", "ts"));
  EXPECT_FALSE(Import(ImportKind::kCustomers, "").ok());
  ASSERT_EQ(RejectRecords().size(), 1u);
  EXPECT_THAT(RejectRecords()[0].fields, ElementsAre("reject_line", "reject_field", "reject_reason"));
  EXPECT_EQ(LiveCustomers(), 0);
}

// A customers file sets when each person became a customer and was first seen: new profiles start
// with them, existing ones move back to them when they are earlier (never forward).
TEST_P(ImportTest, ACustomersFileSetsCreatedAndFirstSeenTimes) {
  ASSERT_TRUE(Import(ImportKind::kEvents, "user_id,event,timestamp\nu2,Visited,2025-06-01T00:00:00Z\n").ok());
  std::istringstream in("customer_id,signup_date,first_visit\n"
                        "u1,2024-03-01,2023-01-15 08:30\n"
                        "u2,2024-04-01,\n"
                        "u3,,2022-02-02\n");
  ImportOptions options{.mapping = {{"customer_id", "user_id"}, {"signup_date", "created_at"},
                                    {"first_visit", "first_seen_at"}}};
  auto summary = ImportCsv(store(), tenant_, ImportKind::kCustomers, in, options, identity::AuditContext::System());
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded, 3);
  // "created_at first_seen_at" of the profile holding a user id.
  const auto times_of = [&](const std::string& user_id) {
    const std::string profile = "(SELECT customer_id FROM customer_identifiers WHERE tenant_id = $1 AND "
                                "kind = 'user_id' AND value = '" + user_id + "')";
    return std::to_string(Count("SELECT created_at FROM customers WHERE tenant_id = $1 AND id = " + profile)) + " " +
           std::to_string(Count("SELECT first_seen_at FROM customers WHERE tenant_id = $1 AND id = " + profile));
  };
  const auto micros = [](const char* text) { return std::to_string(*ParseTimestamp(text)); };
  EXPECT_EQ(times_of("u1"), micros("2024-03-01T00:00:00Z") + " " + micros("2023-01-15T08:30:00Z"));
  // u2 was first seen by an event in 2025: the file's signup date is earlier, so both move back.
  EXPECT_EQ(times_of("u2"), micros("2024-04-01T00:00:00Z") + " " + micros("2024-04-01T00:00:00Z"));
  // Without a created time the profile is created by the import, first seen as the file says.
  EXPECT_EQ(times_of("u3").substr(times_of("u3").find(' ') + 1), micros("2022-02-02T00:00:00Z"));
  // A later date moves nothing forward.
  std::istringstream later("user_id,created_at,first_seen_at\nu1,2024-09-01,2024-09-01\n");
  ASSERT_TRUE(ImportCsv(store(), tenant_, ImportKind::kCustomers, later, {}, identity::AuditContext::System()).ok());
  EXPECT_EQ(times_of("u1"), micros("2024-03-01T00:00:00Z") + " " + micros("2023-01-15T08:30:00Z"));
}

TEST_P(ImportTest, ManyChunksAndProgress) {
  std::string csv = "user_id,email,name\n";
  for (int i = 0; i < 2500; ++i) {
    csv += "user" + std::to_string(i) + ",u" + std::to_string(i) + "@example.com,Customer " + std::to_string(i) + "\n";
  }
  int reports = 0;
  std::istringstream in(csv);
  ImportOptions options{.batch_size = 500, .total_bytes = csv.size()};
  options.on_progress = [&](const ImportProgress& progress) {
    ++reports;
    EXPECT_LE(progress.bytes_read, csv.size());
  };
  auto summary = ImportCsv(store(), tenant_, ImportKind::kCustomers, in, options, identity::AuditContext::System());
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded, 2500);
  EXPECT_EQ(summary->bytes_read, csv.size());
  EXPECT_GE(reports, 5);
  EXPECT_EQ(LiveCustomers(), 2500);
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::transfer
