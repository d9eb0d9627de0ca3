#include "transfer/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sstream>

#include "common/crypto.h"
#include "profiles/testing.h"
#include "store/testing.h"
#include "transfer/csv.h"
#include "transfer/import.h"

namespace tp::transfer {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class ExportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    other_ = profiles::CreateTestTenant(store(), "other");
  }
  store::Store& store() { return db_->store(); }

  void Import(const std::string& tenant, ImportKind kind, const std::string& csv) {
    std::istringstream in(csv);
    auto summary = ImportCsv(store(), tenant, kind, in, {}, identity::AuditContext::System());
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_EQ(summary->rejected, 0) << (summary->rejects.empty() ? "" : summary->rejects[0].reason);
  }

  std::string Export(const std::string& tenant, ExportKind kind, ExportOptions options, ExportSummary* out = nullptr) {
    std::ostringstream text;
    auto summary = ExportData(store(), tenant, kind, options, text);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    if (out && summary.ok()) *out = *summary;
    return text.str();
  }

  std::vector<std::vector<std::string>> Csv(const std::string& text) {
    std::istringstream in(text);
    CsvReader reader(in);
    std::vector<std::vector<std::string>> rows;
    CsvRecord record;
    while (reader.Next(record)) {
      EXPECT_EQ(record.error, "");
      rows.push_back(record.fields);
    }
    return rows;
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_, other_;
};

constexpr std::string_view kExportedCustomers =
    "user_id,email,phone,anonymous_id,name,plan\n"
    "u1,jana@example.cz,+420777123456,anon-1 anon-2,\"Nováková, Jana\",gold\n"
    "u2,petr@example.cz,,,Petr Svoboda,\n"
    "u3,,+420608000111,,Eva,silver\n";

TEST_P(ExportTest, CustomersCsvRoundTripsIntoAnotherTenant) {
  Import(tenant_, ImportKind::kCustomers, std::string(kExportedCustomers));
  Import(tenant_, ImportKind::kOrders, "order_id,user_id,total\nA1,u1,99.5\n");
  ExportSummary summary;
  const std::string csv = Export(tenant_, ExportKind::kCustomers, {.page_size = 2}, &summary);
  EXPECT_EQ(summary.rows, 3);
  const auto rows = Csv(csv);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], ExportColumns(ExportKind::kCustomers));
  const auto jana = std::find_if(rows.begin(), rows.end(), [](const auto& row) { return row[4] == "u1"; });
  ASSERT_NE(jana, rows.end());
  EXPECT_EQ((*jana)[1], "Nováková, Jana");
  EXPECT_EQ((*jana)[2], "jana@example.cz");
  EXPECT_EQ((*jana)[3], "+420777123456");
  EXPECT_EQ((*jana)[5], "anon-1 anon-2");
  EXPECT_EQ((*jana)[15], "1");     // orders_count
  EXPECT_EQ(json::parse((*jana)[16])["by_currency"]["EUR"], "99.50");  // revenue
  EXPECT_THAT((*jana)[19], HasSubstr("\"plan\":\"gold\""));

  // The export imports into another tenant as the same people.
  Import(other_, ImportKind::kCustomers, csv);
  const auto copied = Csv(Export(other_, ExportKind::kCustomers, {}));
  ASSERT_EQ(copied.size(), 4u);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto& original = rows[i];
    const auto found = std::find_if(copied.begin(), copied.end(), [&](const auto& row) { return row[4] == original[4]; });
    ASSERT_NE(found, copied.end()) << original[4];
    for (int column : {1, 2, 3, 5}) EXPECT_EQ((*found)[static_cast<std::size_t>(column)], original[static_cast<std::size_t>(column)]) << column;
    EXPECT_EQ(nlohmann::json::parse((*found)[19])["plan"], nlohmann::json::parse(original[19])["plan"]);
  }
}

TEST_P(ExportTest, CustomersJsonLinesAndContactRedaction) {
  Import(tenant_, ImportKind::kCustomers, std::string(kExportedCustomers));
  const std::string full = Export(tenant_, ExportKind::kCustomers, {.format = ExportFormat::kJsonLines});
  std::istringstream lines(full);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    const auto object = nlohmann::json::parse(line);
    EXPECT_TRUE(object.contains("identifiers"));
    EXPECT_TRUE(object.contains("orders_count"));
    ++count;
  }
  EXPECT_EQ(count, 3);
  EXPECT_THAT(full, HasSubstr("jana@example.cz"));

  for (ExportFormat format : {ExportFormat::kCsv, ExportFormat::kJsonLines}) {
    const std::string redacted =
        Export(tenant_, ExportKind::kCustomers, {.format = format, .with_contact_data = false});
    EXPECT_THAT(redacted, Not(HasSubstr("@example.cz")));
    EXPECT_THAT(redacted, Not(HasSubstr("777123456")));
    EXPECT_THAT(redacted, HasSubstr("Petr Svoboda"));
    EXPECT_THAT(redacted, HasSubstr("anon-2"));
  }
}

TEST_P(ExportTest, EventsExportPagesAndResumes) {
  std::string csv = "message_id,event,user_id,email,timestamp\n";
  for (int i = 0; i < 25; ++i) {
    csv += "m" + std::to_string(i) + ",Viewed,u" + std::to_string(i % 3) + ",p" + std::to_string(i % 3) +
           "@example.cz,2025-01-01T00:00:" + (i < 10 ? "0" : "") + std::to_string(i) + "Z\n";
  }
  Import(tenant_, ImportKind::kEvents, csv);
  const auto rows = Csv(Export(tenant_, ExportKind::kEvents, {.page_size = 7}));
  ASSERT_EQ(rows.size(), 26u);
  EXPECT_EQ(rows[0], ExportColumns(ExportKind::kEvents));

  ExportSummary first;
  const std::string part = Export(tenant_, ExportKind::kEvents, {.format = ExportFormat::kJsonLines, .page_size = 4, .max_rows = 10}, &first);
  EXPECT_EQ(first.rows, 10);
  EXPECT_TRUE(first.more);
  ExportSummary second;
  Export(tenant_, ExportKind::kEvents, {.format = ExportFormat::kJsonLines, .after_id = first.last_id, .max_rows = 100}, &second);
  EXPECT_EQ(second.rows, 15);
  EXPECT_FALSE(second.more);

  // Events of another tenant are not exported.
  EXPECT_EQ(Csv(Export(other_, ExportKind::kEvents, {})).size(), 1u);
  // Round trip: the events export imports into another tenant with the same message ids.
  std::istringstream in(Export(tenant_, ExportKind::kEvents, {}));
  auto copied = ImportCsv(store(), other_, ImportKind::kEvents, in, {}, identity::AuditContext::System());
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(copied->loaded, 25) << (copied->rejects.empty() ? "" : copied->rejects[0].reason);
}

INSTANTIATE_TEST_SUITE_P(Backends, ExportTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::transfer
