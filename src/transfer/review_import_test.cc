#include "transfer/review_import.h"

#include <gtest/gtest.h>

#include <sstream>

#include "common/crypto.h"
#include "feedback/reviews.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"
#include "transfer/csv.h"

namespace tp::transfer {
namespace {

constexpr std::string_view kReviewsCsv =
    "source,rating,title,text,date,author,url,touchpoint,email\r\n"
    "google,5,Great,\"Quick, friendly\",2026-11-20,Jana N.,https://g.example/r/1,store-prague,jana@example.cz\r\n"
    "google,2,Slow,,2026-11-21T10:00:00Z,Petr,https://g.example/r/2,,\r\n"          // default touchpoint
    "trustpilot,4,No link,\"Line one\nline two\",2026-11-22,Eva,,delivery,\r\n"      // lines 4-5, no URL
    "google,6,Too many,,2026-11-23,X,https://g.example/r/3,,\r\n"                    // line 6: rating
    "google,4,No date,,,X,https://g.example/r/4,,\r\n"                               // line 7: date
    ",4,No source,,2026-11-23,X,https://g.example/r/5,,\r\n"                          // line 8: source
    "google,4,Bad mail,,2026-11-23,X,https://g.example/r/6,,not-an-email\r\n"        // line 9: email
    "google,3,Short\r\n"                                                             // line 10: fields
    "google,four,Words,,2026-11-23,X,https://g.example/r/7,,\r\n";                   // line 11: rating

class ReviewImportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<profiles::Customer> customer = profiles::WriteResult<profiles::Customer>(store(), tenant_, [](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Jana", .email = "jana@example.cz"}, identity::AuditContext::System());
    });
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    customer_ = customer->id;
  }
  store::Store& store() { return db_->store(); }

  Result<ReviewImportSummary> Import(std::string_view text, ReviewFormat format = ReviewFormat::kCsv, int batch = 2) {
    std::istringstream in{std::string(text)};
    rejects_.str("");
    const ReviewImportOptions options{.format = format, .default_touchpoint = "google-maps", .rejects = &rejects_,
                                      .batch_size = batch, .now = NowMicros()};
    return ImportReviews(store(), tenant_, in, options, identity::AuditContext::System("test"));
  }
  std::vector<feedback::Review> Reviews(const feedback::ReviewQuery& query = {}) {
    Result<Page<feedback::Review>> page = profiles::ReadResult<Page<feedback::Review>>(
        store(), tenant_, [&](store::TenantTx& tx) { return feedback::ListReviews(tx, query, PageRequest{}); });
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items : std::vector<feedback::Review>{};
  }
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
  std::string customer_;
  std::ostringstream rejects_;
};

TEST_P(ReviewImportTest, GoodRowsLoadBadRowsAreRejectedWithLineAndField) {
  Result<ReviewImportSummary> summary = Import(kReviewsCsv);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->rows_read, 9);
  EXPECT_EQ(summary->loaded, 3);
  EXPECT_EQ(summary->matched, 1);
  EXPECT_EQ(summary->rejected, 6);
  EXPECT_EQ(summary->bytes_read, kReviewsCsv.size());

  const std::vector<CsvRecord> rejects = RejectRecords();
  ASSERT_EQ(rejects.size(), 7u);
  EXPECT_EQ(rejects[0].fields[0], "reject_line");
  EXPECT_EQ(rejects[0].fields[3], "source");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"6", "rating"}, {"7", "date"}, {"8", "source"}, {"9", "email"}, {"10", "row"}, {"11", "rating"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(rejects[i + 1].fields[0], expected[i].first) << i;
    EXPECT_EQ(rejects[i + 1].fields[1], expected[i].second) << i;
  }
  EXPECT_EQ(rejects[4].fields[11], "not-an-email");  // the row follows the reason

  const std::vector<feedback::Review> jana = Reviews({.customer_id = customer_});
  ASSERT_EQ(jana.size(), 1u);
  EXPECT_EQ(jana[0].text, "Quick, friendly");
  EXPECT_EQ(jana[0].touchpoint, "store-prague");
  EXPECT_EQ(jana[0].reviewed_at, *ParseTimestamp("2026-11-20T00:00:00Z"));
  EXPECT_EQ(Reviews({.touchpoint = "google-maps"}).size(), 1u);
  const std::vector<feedback::Review> trustpilot = Reviews({.source = "trustpilot"});
  ASSERT_EQ(trustpilot.size(), 1u);
  EXPECT_EQ(trustpilot[0].text, "Line one\nline two");
  EXPECT_FALSE(trustpilot[0].customer_id);
}

TEST_P(ReviewImportTest, ReimportingAddsNothing) {
  ASSERT_TRUE(Import(kReviewsCsv).ok());
  Result<ReviewImportSummary> again = Import(kReviewsCsv, ReviewFormat::kCsv, 100);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->loaded, 0);
  EXPECT_EQ(again->duplicates, 3);
  EXPECT_EQ(again->matched, 0);
  EXPECT_EQ(Reviews().size(), 3u);
}

TEST_P(ReviewImportTest, JsonLinesWithTheSameReviewsAreTheSameReviews) {
  const std::string jsonl =
      R"({"source":"google","rating":5,"title":"Great","text":"Quick, friendly","date":"2026-11-20","author":"Jana N.","url":"https://g.example/r/1","email":"JANA@example.cz"})"
      "\n\n"  // a blank line 2 is skipped
      R"({"source":"booking","rating":9,"scale":10,"date":"2026-11-24T08:30:00+01:00","author":"Karel","title":"Room"})"
      "\r\n"
      R"({"source":"google","rating":4.5,"date":"2026-11-24"})"  // line 4: half stars
      "\n"
      R"({"source":"google","rating":4,"date":"2026-11-24","stars":4})"  // line 5: unknown member
      "\n"
      R"(["not", "an", "object"])"  // line 6
      "\n"
      R"({"source":"google","rating":4,"date":"2026-11-24","title":{"nested":1}})"  // line 7
      "\n";
  ASSERT_TRUE(Import(kReviewsCsv).ok());
  Result<ReviewImportSummary> summary = Import(jsonl, ReviewFormat::kJsonLines);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->rows_read, 6);
  EXPECT_EQ(summary->duplicates, 1);  // the CSV's first review
  EXPECT_EQ(summary->loaded, 1);
  ASSERT_EQ(summary->rejects.size(), 4u);
  EXPECT_EQ(summary->rejects[0].line, 4);
  EXPECT_EQ(summary->rejects[0].field, "rating");
  EXPECT_EQ(summary->rejects[1].line, 5);
  EXPECT_EQ(summary->rejects[1].field, "stars");
  EXPECT_EQ(summary->rejects[2].line, 6);
  EXPECT_EQ(summary->rejects[2].field, "row");
  EXPECT_EQ(summary->rejects[3].line, 7);
  EXPECT_EQ(summary->rejects[3].field, "title");
  const std::vector<CsvRecord> rejects = RejectRecords();
  ASSERT_EQ(rejects.size(), 5u);
  EXPECT_EQ(rejects[0].fields[3], "record");
  EXPECT_EQ(rejects[1].fields[3], R"({"source":"google","rating":4.5,"date":"2026-11-24"})");

  const std::vector<feedback::Review> booking = Reviews({.source = "booking"});
  ASSERT_EQ(booking.size(), 1u);
  EXPECT_EQ(booking[0].rating, 9);
  EXPECT_EQ(booking[0].rating_scale, 10);
  EXPECT_EQ(booking[0].reviewed_at, *ParseTimestamp("2026-11-24T07:30:00Z"));
}

TEST_P(ReviewImportTest, NamesAndTimesAreReadAsTheOtherImportsReadThem) {
  // An exporter's spelling: capitals and words; a time without seconds, Unix seconds.
  Result<ReviewImportSummary> summary = Import(
      "Source,Rating,Review Date,Date,Title,User ID\r\n"
      "google,5,,2026-11-20 10:30,Hi,u-1\r\n"
      "google,4,,1763632800,Hello,\r\n");
  EXPECT_EQ(summary.status().field(), "header");  // "Review Date" is no field of a review
  summary = Import(
      "Source,Rating,Date,Title,User ID\r\n"
      "google,5,2026-11-20 10:30,Hi,u-1\r\n"
      "google,4,1763632800,Hello,\r\n");
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded, 2);
  EXPECT_EQ(Reviews({.since = *ParseTimestamp("2026-11-20T10:30:00Z"), .until = *ParseTimestamp("2026-11-20T10:30:01Z")})
                .size(),
            1u);
  EXPECT_EQ(Reviews({.since = *ParseTimestamp("2025-11-20T10:00:00Z"), .until = *ParseTimestamp("2025-11-20T10:00:01Z")})
                .size(),
            1u);
}

TEST_P(ReviewImportTest, ABadHeaderLoadsNothing) {
  EXPECT_EQ(Import("source,rating,date,stars\r\ngoogle,4,2026-11-20,4\r\n").status().field(), "header");
  EXPECT_EQ(Import("source,title\r\ngoogle,Hi\r\n").status().field(), "header");
  EXPECT_EQ(Import("source,rating,date,title,title\r\n").status().field(), "header");
  EXPECT_EQ(Import("").status().field(), "header");
  EXPECT_TRUE(Reviews().empty());
  EXPECT_EQ(ParseReviewFormat("xml").status().field(), "format");
}

INSTANTIATE_TEST_SUITE_P(Backends, ReviewImportTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::transfer
