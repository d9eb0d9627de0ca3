#include "feedback/statistics.h"

#include <gtest/gtest.h>

#include <vector>

namespace tp::feedback {
namespace {

// Hand computations use z = 1.959964 and Student's t quantiles from the table: t(0.975; 1) = 12.706205,
// t(0.975; 9) = 2.262157. Results are checked to 1e-3 of the unit (NPS or percentage points, score).
constexpr double kTolerance = 1e-3;

std::vector<std::int64_t> CountsOf(const std::vector<int>& scores, int max_score) {
  std::vector<std::int64_t> counts(static_cast<size_t>(max_score) + 1, 0);
  for (int score : scores) ++counts[static_cast<size_t>(score)];
  return counts;
}

void ExpectInterval(const std::optional<Interval>& interval, double low, double high, IntervalMethod method) {
  ASSERT_TRUE(interval);
  EXPECT_NEAR(interval->low, low, kTolerance);
  EXPECT_NEAR(interval->high, high, kTolerance);
  EXPECT_EQ(interval->method, method);
}

TEST(EstimateNps, WaldIntervalFromTheVarianceOfPlusOneZeroMinusOne) {
  // 5 promoters, 3 passives, 2 detractors: p = 0.5, d = 0.2, NPS = 30.
  //   var = p + d − (p − d)² = 0.7 − 0.09 = 0.61
  //   SE = 100 · sqrt(0.61 / 10) = 24.698178
  //   margin = 1.959964 · 24.698178 = 48.407540 → −18.407540 .. 78.407540
  const NpsEstimate estimate = EstimateNps(5, 3, 2);
  EXPECT_EQ(estimate.n, 10);
  EXPECT_DOUBLE_EQ(*estimate.nps, 30.0);
  EXPECT_NEAR(*estimate.variance, 0.61, 1e-12);
  EXPECT_NEAR(*estimate.standard_error, 24.698178, kTolerance);
  EXPECT_NEAR(*estimate.margin_of_error, 48.407540, kTolerance);
  ExpectInterval(estimate.interval, -18.407540, 78.407540, IntervalMethod::kWald);
}

TEST(EstimateNps, NoAnswersHaveNoValue) {
  const NpsEstimate estimate = EstimateNps(0, 0, 0);
  EXPECT_EQ(estimate.n, 0);
  EXPECT_FALSE(estimate.nps);
  EXPECT_FALSE(estimate.variance);
  EXPECT_FALSE(estimate.standard_error);
  EXPECT_FALSE(estimate.interval);
}

TEST(EstimateNps, OneAnswerHasAValueButNoInterval) {
  const NpsEstimate estimate = EstimateNps(1, 0, 0);
  EXPECT_EQ(estimate.n, 1);
  EXPECT_DOUBLE_EQ(*estimate.nps, 100.0);
  EXPECT_DOUBLE_EQ(*estimate.variance, 0.0);
  EXPECT_FALSE(estimate.standard_error);
  EXPECT_FALSE(estimate.margin_of_error);
  EXPECT_FALSE(estimate.interval);
}

TEST(EstimateNps, AllPromotersGetTheAdjustedWaldInterval) {
  // 3 promoters: var = 1 − 1 = 0, so the Wald interval would be 100 .. 100. Adjusted: P' = 3.75,
  // D' = 0.75, n' = 6 → p' = 0.625, d' = 0.125, NPS' = 50
  //   var' = 0.75 − 0.25 = 0.5, SE = 100 · sqrt(0.5 / 6) = 28.867513
  //   50 ± 1.959964 · 28.867513 = 50 ± 56.579287 → −6.579287 .. 106.579287, clipped to 100.
  const NpsEstimate estimate = EstimateNps(3, 0, 0);
  EXPECT_DOUBLE_EQ(*estimate.nps, 100.0);
  EXPECT_DOUBLE_EQ(*estimate.variance, 0.0);
  EXPECT_NEAR(*estimate.standard_error, 28.867513, kTolerance);
  EXPECT_FALSE(estimate.margin_of_error);
  ExpectInterval(estimate.interval, -6.579287, 100.0, IntervalMethod::kAdjustedWald);
}

TEST(EstimateNps, AllPassivesOrAllDetractorsAreAdjustedToo) {
  // 4 passives: p' = d' = 0.75 / 7, NPS' = 0, var' = 1.5 / 7 = 0.214286,
  //   SE = 100 · sqrt(0.214286 / 7) = 17.496355 → ± 34.292226.
  ExpectInterval(EstimateNps(0, 4, 0).interval, -34.292226, 34.292226, IntervalMethod::kAdjustedWald);
  // 3 detractors: the mirror image of 3 promoters.
  ExpectInterval(EstimateNps(0, 0, 3).interval, -100.0, 6.579287, IntervalMethod::kAdjustedWald);
}

TEST(EstimateShare, WilsonInterval) {
  // 7 of 10: p = 0.7, z² = 3.841459, 1 + z²/n = 1.384146
  //   centre = (0.7 + 0.192073) / 1.384146 = 0.644493
  //   half = 1.959964 · sqrt(0.021 + 0.009604) / 1.384146 = 0.247715 → 39.6778 .. 89.2209 %
  const ShareEstimate estimate = EstimateShare(7, 10);
  EXPECT_EQ(estimate.n, 10);
  EXPECT_DOUBLE_EQ(*estimate.pct, 70.0);
  ExpectInterval(estimate.interval, 39.677815, 89.220873, IntervalMethod::kWilson);
}

TEST(EstimateShare, EdgesAreDefinedFromOneAnswer) {
  EXPECT_FALSE(EstimateShare(0, 0).pct);
  EXPECT_FALSE(EstimateShare(0, 0).interval);
  // 1 of 1: centre = (1 + 1.920730) / 4.841459 = 0.603275, half = 1.959964 · 0.98 / 4.841459 = 0.396725
  //   → 20.654931 .. 100 %.
  ExpectInterval(EstimateShare(1, 1).interval, 20.654931, 100.0, IntervalMethod::kWilson);
  ExpectInterval(EstimateShare(0, 1).interval, 0.0, 79.345069, IntervalMethod::kWilson);
  // 5 of 5: the Wilson interval stays wide where a Wald one would be 100 .. 100.
  ExpectInterval(EstimateShare(5, 5).interval, 56.551754, 100.0, IntervalMethod::kWilson);
}

TEST(EstimateMean, StudentTInterval) {
  // CES 7 7 6 6 6 5 4 4 2 2: mean 4.9; squared deviations 2·2.1² + 3·1.1² + 0.1² + 2·0.9² + 2·2.9²
  //   = 8.82 + 3.63 + 0.01 + 1.62 + 16.82 = 30.9, s = sqrt(30.9 / 9) = 1.852926
  //   half = 2.262157 · 1.852926 / sqrt(10) = 1.325503 → 3.574497 .. 6.225503
  const MeanEstimate estimate = EstimateMean(CountsOf({7, 7, 6, 6, 6, 5, 4, 4, 2, 2}, 7), 1, 7);
  EXPECT_EQ(estimate.n, 10);
  EXPECT_DOUBLE_EQ(*estimate.mean, 4.9);
  EXPECT_NEAR(*estimate.standard_deviation, 1.852926, 1e-6);
  ExpectInterval(estimate.interval, 3.574497, 6.225503, IntervalMethod::kStudentT);
}

TEST(EstimateMean, EdgesAndClipping) {
  EXPECT_FALSE(EstimateMean(CountsOf({}, 7), 1, 7).mean);
  const MeanEstimate one = EstimateMean(CountsOf({6}, 7), 1, 7);
  EXPECT_DOUBLE_EQ(*one.mean, 6.0);
  EXPECT_FALSE(one.standard_deviation);
  EXPECT_FALSE(one.interval);
  // Equal answers: s = 0 and no interval rather than the point 7 .. 7.
  const MeanEstimate unanimous = EstimateMean(CountsOf({7, 7, 7}, 7), 1, 7);
  EXPECT_DOUBLE_EQ(*unanimous.standard_deviation, 0.0);
  EXPECT_FALSE(unanimous.interval);
  // 1 and 7: mean 4, s = sqrt(18) = 4.242641, half = 12.706205 · 4.242641 / sqrt(2) = 38.1186: clipped.
  ExpectInterval(EstimateMean(CountsOf({1, 7}, 7), 1, 7).interval, 1.0, 7.0, IntervalMethod::kStudentT);
}

TEST(CompareNps, SignificantWithEnoughAnswers) {
  // 50/30/20 (NPS 30, var 0.61) against 30/30/40 (NPS −10, var 0.69), n = 100 each:
  //   SE = 100 · sqrt(0.61/100 + 0.69/100) = 11.401754, z = 40 / 11.401754 = 3.508232
  //   p = erfc(3.508232 / √2) = 0.000451
  const std::optional<Change> change = CompareNps(EstimateNps(50, 30, 20), EstimateNps(30, 30, 40));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->test, ChangeTest::kNpsZ);
  EXPECT_NEAR(change->difference, 40.0, 1e-9);
  EXPECT_NEAR(*change->standard_error, 11.401754, kTolerance);
  EXPECT_NEAR(*change->statistic, 3.508232, kTolerance);
  EXPECT_NEAR(*change->p_value, 0.000451, 1e-6);
  EXPECT_TRUE(*change->significant);
}

TEST(CompareNps, SameShiftOnTenAnswersIsNotSignificant) {
  // 5/3/2 (NPS 30) against 2/3/5 (NPS −30), n = 10 each, var 0.61 both:
  //   SE = 100 · sqrt(2 · 0.061) = 34.928498, z = 60 / 34.928498 = 1.717795, p = 0.085834
  const std::optional<Change> change = CompareNps(EstimateNps(5, 3, 2), EstimateNps(2, 3, 5));
  ASSERT_TRUE(change);
  EXPECT_NEAR(change->difference, 60.0, 1e-9);
  EXPECT_NEAR(*change->p_value, 0.085834, 1e-6);
  EXPECT_FALSE(*change->significant);
}

TEST(CompareNps, UnanimousPeriodsUseTheirAdjustedStandardErrors) {
  // 3 promoters against 3 detractors: SE = hypot(28.867513, 28.867513) = 40.824829, z = 200 / 40.824829
  //   = 4.898979, p = 9.63e−7.
  const std::optional<Change> change = CompareNps(EstimateNps(3, 0, 0), EstimateNps(0, 0, 3));
  ASSERT_TRUE(change);
  EXPECT_NEAR(*change->standard_error, 40.824829, kTolerance);
  EXPECT_NEAR(*change->p_value, 9.63357e-7, 1e-10);
  EXPECT_TRUE(*change->significant);
}

TEST(CompareNps, EdgesGiveNoTestOrNothing) {
  EXPECT_FALSE(CompareNps(EstimateNps(0, 0, 0), EstimateNps(5, 3, 2)));
  const std::optional<Change> one_answer = CompareNps(EstimateNps(0, 0, 1), EstimateNps(5, 3, 2));
  ASSERT_TRUE(one_answer);
  EXPECT_DOUBLE_EQ(one_answer->difference, -130.0);
  EXPECT_FALSE(one_answer->p_value);
  EXPECT_FALSE(one_answer->significant);
}

TEST(CompareShares, TwoProportionZTest) {
  // 7/10 against 3/10: pooled 0.5, SE = 100 · sqrt(0.25 · 0.2) = 22.360680, z = 1.788854, p = 0.073638.
  const std::optional<Change> small = CompareShares(EstimateShare(7, 10), EstimateShare(3, 10));
  ASSERT_TRUE(small);
  EXPECT_EQ(small->test, ChangeTest::kTwoProportionZ);
  EXPECT_NEAR(small->difference, 40.0, 1e-9);
  EXPECT_NEAR(*small->standard_error, 22.360680, kTolerance);
  EXPECT_NEAR(*small->p_value, 0.073638, 1e-6);
  EXPECT_FALSE(*small->significant);
  // 70/100 against 50/100: pooled 0.6, SE = 100 · sqrt(0.24 · 0.02) = 6.928203, z = 2.886751, p = 0.003892.
  const std::optional<Change> large = CompareShares(EstimateShare(70, 100), EstimateShare(50, 100));
  ASSERT_TRUE(large);
  EXPECT_NEAR(*large->statistic, 2.886751, kTolerance);
  EXPECT_NEAR(*large->p_value, 0.003892, 1e-6);
  EXPECT_TRUE(*large->significant);
}

TEST(CompareShares, BothAtOneHundredPercentDidNotChange) {
  const std::optional<Change> change = CompareShares(EstimateShare(4, 4), EstimateShare(1, 1));
  ASSERT_TRUE(change);
  EXPECT_DOUBLE_EQ(change->difference, 0.0);
  EXPECT_DOUBLE_EQ(*change->p_value, 1.0);
  EXPECT_FALSE(*change->significant);
  EXPECT_FALSE(CompareShares(EstimateShare(0, 0), EstimateShare(1, 1)));
}

TEST(CompareMeans, WelchTTest) {
  // 6 7 against 3 4: means 6.5 and 3.5, s² = 0.5 each, a = b = 0.25, SE = sqrt(0.5) = 0.707107,
  //   t = 3 / 0.707107 = 4.242641, df = 0.5² / (0.25²/1 + 0.25²/1) = 2.
  //   With 2 degrees of freedom P(|T| > t) = 1 − t / sqrt(2 + t²) = 1 − 4.242641 / 4.472136 = 0.051317.
  const std::optional<Change> change = CompareMeans(EstimateMean(CountsOf({6, 7}, 7), 1, 7),
                                                    EstimateMean(CountsOf({3, 4}, 7), 1, 7));
  ASSERT_TRUE(change);
  EXPECT_EQ(change->test, ChangeTest::kWelchT);
  EXPECT_DOUBLE_EQ(change->difference, 3.0);
  EXPECT_NEAR(*change->standard_error, 0.707107, 1e-6);
  EXPECT_NEAR(*change->statistic, 4.242641, 1e-6);
  EXPECT_NEAR(*change->degrees_of_freedom, 2.0, 1e-9);
  EXPECT_NEAR(*change->p_value, 0.051317, 1e-6);
  EXPECT_FALSE(*change->significant);
}

TEST(CompareMeans, WelchWithUnequalVariancesAndFractionalDegreesOfFreedom) {
  // 7 7 6 6 6 5 4 4 2 2 (mean 4.9, s² = 3.433333) against 5 5 4 4 3 3 3 2 2 1 (mean 3.2, s² = 1.733333):
  //   a = 0.343333, b = 0.173333, SE = sqrt(0.516667) = 0.718795, t = 1.7 / 0.718795 = 2.365068
  //   df = 0.516667² / (0.343333²/9 + 0.173333²/9) = 16.241644; p = 0.030790 (the t(16.24) tail,
  //   integrated numerically by hand with Simpson's rule).
  const std::optional<Change> change =
      CompareMeans(EstimateMean(CountsOf({7, 7, 6, 6, 6, 5, 4, 4, 2, 2}, 7), 1, 7),
                   EstimateMean(CountsOf({5, 5, 4, 4, 3, 3, 3, 2, 2, 1}, 7), 1, 7));
  ASSERT_TRUE(change);
  EXPECT_NEAR(change->difference, 1.7, 1e-9);
  EXPECT_NEAR(*change->statistic, 2.365068, 1e-6);
  EXPECT_NEAR(*change->degrees_of_freedom, 16.241644, 1e-6);
  EXPECT_NEAR(*change->p_value, 0.030790, 1e-6);
  EXPECT_TRUE(*change->significant);
}

TEST(CompareMeans, UnanimousOrSingleAnswersGiveOnlyTheDifference) {
  const std::optional<Change> unanimous = CompareMeans(EstimateMean(CountsOf({7, 7}, 7), 1, 7),
                                                       EstimateMean(CountsOf({5, 5, 5}, 7), 1, 7));
  ASSERT_TRUE(unanimous);
  EXPECT_DOUBLE_EQ(unanimous->difference, 2.0);
  EXPECT_FALSE(unanimous->p_value);
  const std::optional<Change> single = CompareMeans(EstimateMean(CountsOf({7}, 7), 1, 7),
                                                    EstimateMean(CountsOf({5, 6}, 7), 1, 7));
  ASSERT_TRUE(single);
  EXPECT_FALSE(single->significant);
  EXPECT_FALSE(CompareMeans(EstimateMean(CountsOf({}, 7), 1, 7), EstimateMean(CountsOf({5}, 7), 1, 7)));
}

TEST(Names, OfMethodsAndTests) {
  EXPECT_EQ(IntervalMethodName(IntervalMethod::kAdjustedWald), "adjusted_wald");
  EXPECT_EQ(IntervalMethodName(IntervalMethod::kStudentT), "t");
  EXPECT_EQ(ChangeTestName(ChangeTest::kWelchT), "welch_t");
}

}  // namespace
}  // namespace tp::feedback
