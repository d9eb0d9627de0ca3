#include "feedback/feedback.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "common/crypto.h"
#include "common/ids.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::feedback {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using profiles::ReadResult;
using profiles::WriteResult;


// Scores of ten NPS answers: five promoters (10, 10, 10, 9, 9), three passives (8, 8, 7), two
// detractors (6, 3).
//   promoters 50 %, passives 30 %, detractors 20 %, NPS = 50 − 20 = 30
//   x = +1/0/−1: mean 0.3, E[x²] = 7/10 = 0.7, var = 0.7 − 0.09 = 0.61
//   margin of error = 1.96 · sqrt(0.61 / 10) · 100 = 1.96 · 0.246982 · 100 = 48.408 → −18.408 .. 78.408
//   mean score = 80 / 10 = 8.0; squared deviations 3·4 + 2·1 + 2·0 + 1 + 4 + 25 = 44, s = sqrt(44/9)
//   = 2.211083, t-interval 8 ± 2.262157 · 2.211083 / sqrt(10) = 8 ± 1.581714
const std::vector<int> kNpsScores = {10, 10, 10, 9, 9, 8, 8, 7, 6, 3};
// CSAT: 5 5 5 5 4 4 4 3 2 1 → 7 of 10 satisfied (70 %), mean 38 / 10 = 3.8.
const std::vector<int> kCsatScores = {5, 5, 5, 5, 4, 4, 4, 3, 2, 1};
// CES: 7 7 6 6 6 5 4 4 2 2 → mean 49 / 10 = 4.9.
const std::vector<int> kCesScores = {7, 7, 6, 6, 6, 5, 4, 4, 2, 2};

std::vector<std::int64_t> CountsOf(Metric metric, const std::vector<int>& scores) {
  std::vector<std::int64_t> counts(static_cast<size_t>(MaxScore(metric)) + 1, 0);
  for (int score : scores) ++counts[static_cast<size_t>(score)];
  return counts;
}

void ExpectHandComputedNps(const MetricSummary& summary) {
  EXPECT_EQ(summary.count, 10);
  EXPECT_DOUBLE_EQ(*summary.promoters_pct, 50.0);
  EXPECT_DOUBLE_EQ(*summary.passives_pct, 30.0);
  EXPECT_DOUBLE_EQ(*summary.detractors_pct, 20.0);
  EXPECT_DOUBLE_EQ(*summary.nps, 30.0);
  EXPECT_NEAR(*summary.nps_margin_of_error, 48.408, 0.001);
  ASSERT_TRUE(summary.nps_interval);
  EXPECT_NEAR(summary.nps_interval->low, -18.408, 0.001);
  EXPECT_NEAR(summary.nps_interval->high, 78.408, 0.001);
  EXPECT_EQ(summary.nps_interval->method, IntervalMethod::kWald);
  ASSERT_TRUE(summary.mean);
  EXPECT_DOUBLE_EQ(*summary.mean, 8.0);
  EXPECT_NEAR(*summary.standard_deviation, 2.211083, 1e-6);
  ASSERT_TRUE(summary.mean_interval);
  EXPECT_NEAR(summary.mean_interval->low, 8.0 - 1.581714, 1e-6);
  EXPECT_NEAR(summary.mean_interval->high, 8.0 + 1.581714, 1e-6);
  EXPECT_FALSE(summary.satisfied_pct);
  EXPECT_FALSE(summary.satisfied_interval);
}

TEST(Metric, NamesAndScales) {
  EXPECT_EQ(*ParseMetric("csat"), Metric::kCsat);
  EXPECT_EQ(ParseMetric("eNPS").status().field(), "metric");
  EXPECT_EQ(MinScore(Metric::kNps), 0);
  EXPECT_EQ(MaxScore(Metric::kNps), 10);
  EXPECT_EQ(MinScore(Metric::kCsat), 1);
  EXPECT_EQ(MaxScore(Metric::kCsat), 5);
  EXPECT_EQ(MaxScore(Metric::kCes), 7);
}

TEST(SummariseScores, NpsSplitsPromotersPassivesDetractorsWithMarginOfError) {
  ExpectHandComputedNps(SummariseScores(Metric::kNps, CountsOf(Metric::kNps, kNpsScores)));
}

TEST(SummariseScores, NpsOfUnanimousAnswersHasAnAdjustedIntervalAndNoMarginOfError) {
  // Adjusted Wald for 3 promoters (statistics_test.cc computes it): −6.579 .. 100.
  const MetricSummary all_promoters = SummariseScores(Metric::kNps, CountsOf(Metric::kNps, {9, 10, 10}));
  EXPECT_DOUBLE_EQ(*all_promoters.nps, 100.0);
  EXPECT_FALSE(all_promoters.nps_margin_of_error);
  ASSERT_TRUE(all_promoters.nps_interval);
  EXPECT_EQ(all_promoters.nps_interval->method, IntervalMethod::kAdjustedWald);
  EXPECT_NEAR(all_promoters.nps_interval->low, -6.579, 0.001);
  EXPECT_DOUBLE_EQ(all_promoters.nps_interval->high, 100.0);
  const MetricSummary all_detractors = SummariseScores(Metric::kNps, CountsOf(Metric::kNps, {0, 6}));
  EXPECT_DOUBLE_EQ(*all_detractors.nps, -100.0);
  EXPECT_DOUBLE_EQ(all_detractors.nps_interval->low, -100.0);
}

TEST(SummariseScores, OneAnswerHasValuesAndOnlyTheWilsonInterval) {
  const MetricSummary nps = SummariseScores(Metric::kNps, CountsOf(Metric::kNps, {10}));
  EXPECT_EQ(nps.count, 1);
  EXPECT_DOUBLE_EQ(*nps.nps, 100.0);
  EXPECT_FALSE(nps.nps_interval);
  EXPECT_FALSE(nps.mean_interval);
  const MetricSummary csat = SummariseScores(Metric::kCsat, CountsOf(Metric::kCsat, {5}));
  EXPECT_DOUBLE_EQ(*csat.satisfied_pct, 100.0);
  ASSERT_TRUE(csat.satisfied_interval);
  EXPECT_NEAR(csat.satisfied_interval->low, 20.655, 0.001);
  EXPECT_FALSE(csat.standard_deviation);
}

TEST(SummariseScores, CsatCountsFourAndFiveAsSatisfied) {
  const MetricSummary summary = SummariseScores(Metric::kCsat, CountsOf(Metric::kCsat, kCsatScores));
  EXPECT_EQ(summary.count, 10);
  EXPECT_DOUBLE_EQ(*summary.satisfied_pct, 70.0);
  // Wilson for 7 of 10 (statistics_test.cc): 39.678 .. 89.221.
  ASSERT_TRUE(summary.satisfied_interval);
  EXPECT_NEAR(summary.satisfied_interval->low, 39.678, 0.001);
  EXPECT_NEAR(summary.satisfied_interval->high, 89.221, 0.001);
  EXPECT_DOUBLE_EQ(*summary.mean, 3.8);
  EXPECT_FALSE(summary.nps);
}

TEST(SummariseScores, CesIsTheMeanEffort) {
  const MetricSummary summary = SummariseScores(Metric::kCes, CountsOf(Metric::kCes, kCesScores));
  EXPECT_DOUBLE_EQ(*summary.mean, 4.9);
  // t-interval (statistics_test.cc): 3.574497 .. 6.225503.
  ASSERT_TRUE(summary.mean_interval);
  EXPECT_NEAR(summary.mean_interval->low, 3.574497, 1e-6);
  EXPECT_EQ(summary.mean_interval->method, IntervalMethod::kStudentT);
  EXPECT_FALSE(summary.satisfied_pct);
  EXPECT_THAT(summary.score_counts, ElementsAre(0, 0, 2, 0, 2, 1, 3, 2));
}

TEST(SummariseScores, NoResponsesLeaveEveryFigureEmpty) {
  const MetricSummary summary = SummariseScores(Metric::kNps, {});
  EXPECT_EQ(summary.count, 0);
  EXPECT_EQ(summary.score_counts.size(), 11u);
  EXPECT_FALSE(summary.nps);
  EXPECT_FALSE(summary.nps_margin_of_error);
  EXPECT_FALSE(summary.nps_interval);
  EXPECT_FALSE(summary.mean);
  EXPECT_FALSE(summary.mean_interval);
  EXPECT_FALSE(summary.promoters_pct);
}

TEST(CompareSummaries, ComparesEachMetricsHeadlineValue) {
  // NPS 30 against −30 on ten answers each: p = 0.085834 (statistics_test.cc).
  const std::optional<Change> nps = CompareSummaries(SummariseScores(Metric::kNps, CountsOf(Metric::kNps, kNpsScores)),
                                                     SummariseScores(Metric::kNps, CountsOf(Metric::kNps, {10, 10, 8, 8, 7, 6, 5, 3, 2, 0})));
  ASSERT_TRUE(nps);
  EXPECT_EQ(nps->test, ChangeTest::kNpsZ);
  EXPECT_NEAR(nps->difference, 60.0, 1e-9);
  EXPECT_NEAR(*nps->p_value, 0.085834, 1e-6);
  // 7 of 10 satisfied against 3 of 10: p = 0.073638.
  const std::optional<Change> csat =
      CompareSummaries(SummariseScores(Metric::kCsat, CountsOf(Metric::kCsat, kCsatScores)),
                       SummariseScores(Metric::kCsat, CountsOf(Metric::kCsat, {5, 4, 4, 3, 3, 3, 2, 2, 1, 1})));
  ASSERT_TRUE(csat);
  EXPECT_EQ(csat->test, ChangeTest::kTwoProportionZ);
  EXPECT_NEAR(*csat->p_value, 0.073638, 1e-6);
  // CES means 4.9 against 3.2: Welch p = 0.030790.
  const std::optional<Change> ces =
      CompareSummaries(SummariseScores(Metric::kCes, CountsOf(Metric::kCes, kCesScores)),
                       SummariseScores(Metric::kCes, CountsOf(Metric::kCes, {5, 5, 4, 4, 3, 3, 3, 2, 2, 1})));
  ASSERT_TRUE(ces);
  EXPECT_EQ(ces->test, ChangeTest::kWelchT);
  EXPECT_NEAR(*ces->p_value, 0.030790, 1e-6);
  EXPECT_TRUE(*ces->significant);
  EXPECT_FALSE(CompareSummaries(SummariseScores(Metric::kCes, {}), SummariseScores(Metric::kCes, {})));
}

TEST(WithPreviousPeriod, IsTheSameLengthJustBefore) {
  const Micros since = 1'000 * kMicrosPerDay;
  Result<PeriodPair> week = WithPreviousPeriod({.touchpoint = "delivery", .since = since, .until = since + 7 * kMicrosPerDay}, 0);
  ASSERT_TRUE(week.ok()) << week.status().ToString();
  EXPECT_EQ(week->previous.since, since - 7 * kMicrosPerDay);
  EXPECT_EQ(week->previous.until, since);
  EXPECT_EQ(week->previous.touchpoint, "delivery");
  // Without until the current period ends now, and so does its length.
  Result<PeriodPair> to_now = WithPreviousPeriod({.since = since}, since + 3 * kMicrosPerDay);
  ASSERT_TRUE(to_now.ok());
  EXPECT_EQ(to_now->current.until, since + 3 * kMicrosPerDay);
  EXPECT_EQ(to_now->previous.since, since - 3 * kMicrosPerDay);
  EXPECT_EQ(WithPreviousPeriod({.until = since}, since).status().field(), "since");
  EXPECT_EQ(WithPreviousPeriod({.since = since, .until = since}, since).status().field(), "until");
}

class FeedbackTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(store(), tenant_, [](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Jana"}, identity::AuditContext::System());
    });
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    customer_ = customer->id;
  }

  store::Store& store() { return db_->store(); }

  Result<FeedbackResponse> Submit(const NewFeedback& input, const std::string& tenant_id = {}) {
    return WriteResult<FeedbackResponse>(store(), tenant_id.empty() ? tenant_ : tenant_id,
                                         [&](store::TenantTx& tx) { return SubmitFeedback(tx, input, identity::AuditContext::System()); });
  }

  FeedbackResponse MustSubmit(const NewFeedback& input) {
    Result<FeedbackResponse> submitted = Submit(input);
    EXPECT_TRUE(submitted.ok()) << submitted.status().ToString();
    return submitted.ok() ? *submitted : FeedbackResponse{};
  }

  Result<MetricSummary> Summary(Metric metric, const FeedbackQuery& query, const std::string& tenant_id = {}) {
    return ReadResult<MetricSummary>(store(), tenant_id.empty() ? tenant_ : tenant_id,
                                     [&](store::TenantTx& tx) { return SummariseMetric(tx, metric, query); });
  }

  Result<Page<FeedbackResponse>> List(const FeedbackQuery& query, const PageRequest& page = {}) {
    return ReadResult<Page<FeedbackResponse>>(store(), tenant_,
                                              [&](store::TenantTx& tx) { return ListFeedback(tx, query, page); });
  }

  std::vector<std::string> Comments(const FeedbackQuery& query) {
    Result<Page<FeedbackResponse>> page = List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> comments;
    if (!page.ok()) return comments;
    for (const FeedbackResponse& response : page->items) comments.push_back(response.comment);
    std::sort(comments.begin(), comments.end());
    return comments;
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::string customer_;
};

TEST_P(FeedbackTest, SubmitNamesTheFieldThatIsInvalid) {
  EXPECT_EQ(Submit({.survey = "s", .metric = Metric::kNps, .score = 11}).status().field(), "score");
  EXPECT_EQ(Submit({.survey = "s", .metric = Metric::kNps, .score = -1}).status().field(), "score");
  EXPECT_EQ(Submit({.survey = "s", .metric = Metric::kCsat, .score = 0}).status().field(), "score");
  EXPECT_EQ(Submit({.survey = "s", .metric = Metric::kCsat, .score = 6}).status().field(), "score");
  EXPECT_EQ(Submit({.survey = "s", .metric = Metric::kCes, .score = 8}).status().field(), "score");
  EXPECT_EQ(Submit({.survey = "", .metric = Metric::kNps, .score = 5}).status().field(), "survey");
  EXPECT_EQ(Submit({.survey = std::string(101, 's'), .score = 5}).status().field(), "survey");
  EXPECT_EQ(Submit({.survey = "s", .score = 5, .comment = std::string(5001, 'c')}).status().field(), "comment");
  EXPECT_EQ(Submit({.survey = "s", .score = 5, .touchpoint = std::string(101, 't')}).status().field(), "touchpoint");
  EXPECT_EQ(Submit({.survey = "s", .score = 5, .created_at = NowMicros() + 10 * 60'000'000LL}).status().field(),
            "created_at");
  Result<FeedbackResponse> unknown_customer = Submit({.customer_id = NewId("cus_"), .survey = "s", .score = 5});
  EXPECT_EQ(unknown_customer.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown_customer.status().field(), "customer_id");
  EXPECT_EQ(Submit({.survey = "s", .metric = Metric::kCes, .score = 7}).status().code(), ErrorCode::kOk);
}

TEST_P(FeedbackTest, SubmitStoresTheResponseAndAnotherTenantCannotSeeIt) {
  const Micros yesterday = NowMicros() - kMicrosPerDay;
  const FeedbackResponse submitted = MustSubmit({.customer_id = customer_,
                                                 .survey = " delivery-nps ",
                                                 .metric = Metric::kNps,
                                                 .score = 4,
                                                 .comment = "Kurýr přijel o dva dny později.\n",
                                                 .touchpoint = "delivery",
                                                 .created_at = yesterday});
  EXPECT_TRUE(LooksLikeId(submitted.id, "fbk_"));
  Result<FeedbackResponse> fetched = ReadResult<FeedbackResponse>(
      store(), tenant_, [&](store::TenantTx& tx) { return GetFeedback(tx, submitted.id); });
  ASSERT_TRUE(fetched.ok()) << fetched.status().ToString();
  EXPECT_EQ(fetched->customer_id, customer_);
  EXPECT_EQ(fetched->survey, "delivery-nps");
  EXPECT_EQ(fetched->metric, Metric::kNps);
  EXPECT_EQ(fetched->score, 4);
  EXPECT_EQ(fetched->comment, "Kurýr přijel o dva dny později.\n");
  EXPECT_EQ(fetched->touchpoint, "delivery");
  EXPECT_EQ(fetched->created_at, yesterday);

  const std::string other_tenant = profiles::CreateTestTenant(store(), "globex");
  Result<FeedbackResponse> foreign = ReadResult<FeedbackResponse>(
      store(), other_tenant, [&](store::TenantTx& tx) { return GetFeedback(tx, submitted.id); });
  EXPECT_EQ(foreign.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Summary(Metric::kNps, {}, other_tenant)->count, 0);
  EXPECT_EQ(Submit({.customer_id = customer_, .survey = "s", .score = 5}, other_tenant).status().field(),
            "customer_id");
}

TEST_P(FeedbackTest, SummariseMetricMatchesTheHandComputedExample) {
  for (int score : kNpsScores) MustSubmit({.survey = "delivery-nps", .score = score, .touchpoint = "delivery"});
  for (int score : kCsatScores) {
    MustSubmit({.survey = "support-csat", .metric = Metric::kCsat, .score = score, .touchpoint = "call centre"});
  }
  for (int score : kCesScores) MustSubmit({.survey = "returns-ces", .metric = Metric::kCes, .score = score});
  // Answers that the filters below must leave out.
  MustSubmit({.survey = "checkout-nps", .score = 0, .touchpoint = "website checkout"});
  MustSubmit({.survey = "delivery-nps", .score = 0, .touchpoint = "delivery", .created_at = NowMicros() - 30 * kMicrosPerDay});

  Result<MetricSummary> nps =
      Summary(Metric::kNps, {.touchpoint = "delivery", .since = NowMicros() - kMicrosPerDay, .until = NowMicros() + kMicrosPerDay});
  ASSERT_TRUE(nps.ok()) << nps.status().ToString();
  ExpectHandComputedNps(*nps);
  EXPECT_EQ(Summary(Metric::kNps, {})->count, 12);
  EXPECT_EQ(Summary(Metric::kNps, {.survey = "checkout-nps"})->count, 1);

  Result<MetricSummary> csat = Summary(Metric::kCsat, {.metric = Metric::kCsat});
  ASSERT_TRUE(csat.ok()) << csat.status().ToString();
  EXPECT_DOUBLE_EQ(*csat->satisfied_pct, 70.0);
  EXPECT_DOUBLE_EQ(*csat->mean, 3.8);
  Result<MetricSummary> ces = Summary(Metric::kCes, {});
  ASSERT_TRUE(ces.ok());
  EXPECT_DOUBLE_EQ(*ces->mean, 4.9);

  EXPECT_EQ(Summary(Metric::kCes, {.metric = Metric::kNps}).status().field(), "metric");
}

TEST_P(FeedbackTest, CompareMetricSummarisesBothPeriods) {
  const Micros now = NowMicros();
  // This week the hand-computed ten (NPS 30); the week before NPS −30 (as CompareSummaries above).
  for (int score : kNpsScores) MustSubmit({.survey = "delivery-nps", .score = score, .created_at = now - kMicrosPerDay});
  for (int score : {10, 10, 8, 8, 7, 6, 5, 3, 2, 0}) {
    MustSubmit({.survey = "delivery-nps", .score = score, .created_at = now - 8 * kMicrosPerDay});
  }
  MustSubmit({.survey = "delivery-nps", .score = 0, .created_at = now - 15 * kMicrosPerDay});  // before both
  Result<PeriodPair> periods = WithPreviousPeriod({.since = now - 7 * kMicrosPerDay}, now);
  ASSERT_TRUE(periods.ok());
  Result<MetricComparison> comparison = ReadResult<MetricComparison>(
      store(), tenant_, [&](store::TenantTx& tx) { return CompareMetric(tx, Metric::kNps, *periods); });
  ASSERT_TRUE(comparison.ok()) << comparison.status().ToString();
  ExpectHandComputedNps(comparison->current);
  EXPECT_EQ(comparison->previous.count, 10);
  EXPECT_DOUBLE_EQ(*comparison->previous.nps, -30.0);
  ASSERT_TRUE(comparison->change);
  EXPECT_NEAR(comparison->change->difference, 60.0, 1e-9);
  EXPECT_FALSE(*comparison->change->significant);
}

TEST_P(FeedbackTest, ListFiltersByEveryField) {
  const Micros now = NowMicros();
  MustSubmit({.customer_id = customer_, .survey = "delivery-nps", .score = 9, .comment = "a", .touchpoint = "delivery",
              .created_at = now - 10 * kMicrosPerDay});
  MustSubmit(
      {.survey = "delivery-nps", .score = 3, .comment = "b", .touchpoint = "delivery", .created_at = now - kMicrosPerDay});
  MustSubmit({.survey = "store-csat", .metric = Metric::kCsat, .score = 4, .comment = "c", .touchpoint = "store"});
  MustSubmit({.customer_id = customer_, .survey = "app-ces", .metric = Metric::kCes, .score = 6, .comment = "d",
              .touchpoint = "mobile app"});

  EXPECT_THAT(Comments({}), ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(Comments({.metric = Metric::kNps}), ElementsAre("a", "b"));
  EXPECT_THAT(Comments({.survey = "store-csat"}), ElementsAre("c"));
  EXPECT_THAT(Comments({.touchpoint = "mobile app"}), ElementsAre("d"));
  EXPECT_THAT(Comments({.customer_id = customer_}), ElementsAre("a", "d"));
  EXPECT_THAT(Comments({.since = now - 2 * kMicrosPerDay}), ElementsAre("b", "c", "d"));
  EXPECT_THAT(Comments({.until = now - 2 * kMicrosPerDay}), ElementsAre("a"));
  EXPECT_THAT(Comments({.metric = Metric::kNps, .since = now - 2 * kMicrosPerDay, .until = now}), ElementsAre("b"));
  EXPECT_THAT(Comments({.touchpoint = "returns"}), IsEmpty());
}

TEST_P(FeedbackTest, PagesReturnEveryResponseExactlyOnceInIdOrder) {
  std::vector<std::string> created;
  for (int response_idx = 0; response_idx < 17; ++response_idx) {
    created.push_back(MustSubmit({.survey = "delivery-nps", .score = response_idx % 11}).id);
  }
  MustSubmit({.survey = "store-csat", .metric = Metric::kCsat, .score = 3});
  std::sort(created.begin(), created.end());
  for (int limit : {1, 5, 17, 50}) {
    std::vector<std::string> ids;
    PageRequest request{.after_id = "", .limit = limit};
    for (int page_idx = 0; page_idx < 100; ++page_idx) {
      Result<Page<FeedbackResponse>> page = List({.metric = Metric::kNps}, request);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const FeedbackResponse& response : page->items) ids.push_back(response.id);
      if (page->next_cursor.empty()) break;
      request = *PageRequest::Parse(page->next_cursor, std::to_string(limit));
    }
    EXPECT_EQ(ids, created) << "limit " << limit;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, FeedbackTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::feedback
