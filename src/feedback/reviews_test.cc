#include "feedback/reviews.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/crypto.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::feedback {
namespace {

using profiles::ReadResult;
using profiles::WriteResult;


NewReview GoogleReview() {
  return NewReview{.source = " Google ",
                   .rating = 4,
                   .title = "Fast delivery",
                   .text = "Arrived the next day.\nWell packed.",
                   .reviewed_at = NowMicros() - kMicrosPerDay,
                   .author = "Jana N.",
                   .url = "https://maps.example.com/review/1",
                   .touchpoint = "delivery"};
}

TEST(CleanReview, TrimsLowerCasesTheSourceAndChecksEveryField) {
  const Micros now = NowMicros();
  Result<NewReview> clean = CleanReview(GoogleReview(), now);
  ASSERT_TRUE(clean.ok()) << clean.status().ToString();
  EXPECT_EQ(clean->source, "google");
  EXPECT_EQ(clean->text, "Arrived the next day.\nWell packed.");

  const auto field_of = [now](NewReview review) { return CleanReview(std::move(review), now).status().field(); };
  NewReview review = GoogleReview();
  review.source = " ";
  EXPECT_EQ(field_of(review), "source");
  review = GoogleReview();
  review.rating = 6;
  EXPECT_EQ(field_of(review), "rating");
  review.rating = 0;
  EXPECT_EQ(field_of(review), "rating");
  review.rating_scale = 10;
  review.rating = 9;  // Booking.com's scale
  EXPECT_EQ(field_of(review), "");
  review.rating_scale = 7;
  EXPECT_EQ(field_of(review), "scale");
  review = GoogleReview();
  review.url = "javascript:alert(1)";
  EXPECT_EQ(field_of(review), "url");
  review = GoogleReview();
  review.text = std::string(kMaxReviewTextChars + 1, 'x');
  EXPECT_EQ(field_of(review), "text");
  review = GoogleReview();
  review.title = "two\nlines";
  EXPECT_EQ(field_of(review), "title");
  review = GoogleReview();
  review.reviewed_at = 0;
  EXPECT_EQ(field_of(review), "date");
  review.reviewed_at = now + kMicrosPerDay;
  EXPECT_EQ(field_of(review), "date");
}

TEST(ReviewId, IsTheSourceAndUrlOrWithoutAUrlTheSourceAuthorDateAndTitle) {
  const Micros now = NowMicros();
  const NewReview review = *CleanReview(GoogleReview(), now);
  NewReview edited = review;
  edited.text = "Changed my mind.";
  edited.rating = 2;
  EXPECT_EQ(ReviewId(review), ReviewId(edited));  // the same review on the site
  NewReview other_site = review;
  other_site.source = "trustpilot";
  EXPECT_NE(ReviewId(review), ReviewId(other_site));
  EXPECT_TRUE(ReviewId(review).starts_with("rev_"));
  EXPECT_EQ(ReviewId(review).size(), 4u + 32u);

  NewReview without_url = review;
  without_url.url = "";
  NewReview same_without_url = without_url;
  same_without_url.text = "other text";
  EXPECT_EQ(ReviewId(without_url), ReviewId(same_without_url));
  NewReview later = without_url;
  later.reviewed_at += 1'000'000;
  EXPECT_NE(ReviewId(without_url), ReviewId(later));
  NewReview other_author = without_url;
  other_author.author = "Petr S.";
  EXPECT_NE(ReviewId(without_url), ReviewId(other_author));
}

class ReviewsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(store(), tenant_, [](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Jana", .email = "jana@example.cz"}, identity::AuditContext::System());
    });
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    customer_ = customer->id;
  }
  store::Store& store() { return db_->store(); }

  ReviewCounts Store(const std::vector<NewReview>& reviews) {
    std::vector<NewReview> clean;
    for (const NewReview& review : reviews) clean.push_back(*CleanReview(review, NowMicros()));
    Result<ReviewCounts> counts = WriteResult<ReviewCounts>(
        store(), tenant_, [&](store::TenantTx& tx) { return StoreReviews(tx, clean, NowMicros()); });
    EXPECT_TRUE(counts.ok()) << counts.status().ToString();
    return counts.ok() ? *counts : ReviewCounts{};
  }
  std::vector<Review> List(const ReviewQuery& query) {
    Result<Page<Review>> page = ReadResult<Page<Review>>(
        store(), tenant_, [&](store::TenantTx& tx) { return ListReviews(tx, query, PageRequest{}); });
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->items : std::vector<Review>{};
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::string customer_;
};

TEST_P(ReviewsTest, MatchesAKnownCustomerAndCreatesNone) {
  NewReview known = GoogleReview();
  known.identifiers = {*profiles::NormaliseIdentifier(profiles::IdentifierKind::kEmail, "Jana@Example.cz")};
  NewReview stranger = GoogleReview();
  stranger.url = "https://maps.example.com/review/2";
  stranger.identifiers = {*profiles::NormaliseIdentifier(profiles::IdentifierKind::kEmail, "nobody@example.cz")};
  const ReviewCounts counts = Store({known, stranger});
  EXPECT_EQ(counts.stored, 2);
  EXPECT_EQ(counts.matched, 1);

  const std::vector<Review> mine = List({.customer_id = customer_});
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].source, "google");
  EXPECT_EQ(mine[0].rating, 4);
  EXPECT_EQ(mine[0].rating_scale, 5);
  EXPECT_EQ(mine[0].title, "Fast delivery");
  EXPECT_EQ(mine[0].author, "Jana N.");
  EXPECT_EQ(mine[0].touchpoint, "delivery");
  EXPECT_EQ(List({}).size(), 2u);
  const std::int64_t customers = *ReadResult<std::int64_t>(store(), tenant_, [](store::TenantTx& tx) -> Result<std::int64_t> {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM customers WHERE tenant_id = $1"));
    return row->Int(0);
  });
  EXPECT_EQ(customers, 1);
}

TEST_P(ReviewsTest, StoringAgainAddsNothing) {
  EXPECT_EQ(Store({GoogleReview()}).stored, 1);
  NewReview edited = GoogleReview();
  edited.text = "Edited later on the site.";
  const ReviewCounts again = Store({GoogleReview(), edited});
  EXPECT_EQ(again.stored, 0);
  EXPECT_EQ(again.duplicates, 2);
  ASSERT_EQ(List({}).size(), 1u);
  EXPECT_EQ(List({})[0].text, "Arrived the next day.\nWell packed.");
}

TEST_P(ReviewsTest, ListFiltersAndStaysInItsTenant) {
  NewReview old = GoogleReview();
  old.url = "https://maps.example.com/review/old";
  old.reviewed_at = NowMicros() - 30 * kMicrosPerDay;
  NewReview trustpilot = GoogleReview();
  trustpilot.source = "Trustpilot";
  trustpilot.touchpoint = "support";
  Store({GoogleReview(), old, trustpilot});
  EXPECT_EQ(List({.source = "TRUSTPILOT"}).size(), 1u);
  EXPECT_EQ(List({.touchpoint = "delivery"}).size(), 2u);
  EXPECT_EQ(List({.since = NowMicros() - 2 * kMicrosPerDay}).size(), 2u);
  EXPECT_EQ(List({.until = NowMicros() - 2 * kMicrosPerDay}).size(), 1u);
  EXPECT_EQ(List({.only_teams = std::vector<std::string>{}}).size(), 0u);

  const std::string other_tenant = profiles::CreateTestTenant(store(), "globex");
  Result<Page<Review>> foreign = ReadResult<Page<Review>>(
      store(), other_tenant, [](store::TenantTx& tx) { return ListReviews(tx, {}, PageRequest{}); });
  ASSERT_TRUE(foreign.ok());
  EXPECT_TRUE(foreign->items.empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ReviewsTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::feedback
