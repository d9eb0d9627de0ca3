// The statistics behind the feedback metrics: NPS, CSAT's share of satisfied answers and mean scores,
// each with its count and its 95% confidence interval, and the test of whether a metric changed
// between two periods. Pure functions over counts; nothing here touches the store.
//
//   const NpsEstimate now = EstimateNps(/*promoters=*/50, /*passives=*/30, /*detractors=*/20);
//   // now.nps == 30, now.interval->low ≈ 14.7, now.interval->high ≈ 45.3 (Wald)
//   const std::optional<Change> change = CompareNps(now, EstimateNps(30, 30, 40));
//   // change->difference == 40, change->p_value ≈ 0.00045, *change->significant
//
// Which interval, and the edges (docs/feedback.md "Metrics" has the formulas and the reasons):
// - n = 0: no value, no interval.
// - n = 1: the value; CSAT's Wilson interval (it needs no estimate of spread and is wide, 20.7–100 %
//   for one satisfied answer); no NPS interval and no t-interval, which rest on the sample's spread,
//   and one answer has none.
// - NPS with every answer in one group (all promoters, say): the Wald variance is 0 and its interval
//   a point, so the interval is the adjusted Wald one (Rocks 2016: ¾ promoter, ¾ detractor and 1½
//   passive added), marked IntervalMethod::kAdjustedWald.
// - Means whose answers are all equal: no t-interval (the sample shows no spread to build it from).
// Intervals are clipped to the scale (NPS −100..100, percentages 0..100, means min..max score).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tp::feedback {

// The two-sided 95% quantile of the standard normal distribution.
inline constexpr double kZ95 = 1.959963984540054;
// A change is significant when its two-sided p-value is below this.
inline constexpr double kSignificanceLevel = 0.05;

enum class IntervalMethod {
  kWald,          // NPS: 100 · (mean ± z·sqrt(var/n)) of the +1/0/−1 scores
  kAdjustedWald,  // NPS when every answer is in one group: the same over counts with 3 answers added
  kWilson,        // a share: the Wilson score interval
  kStudentT,      // a mean: mean ± t(0.975, n − 1) · s / sqrt(n)
};
std::string_view IntervalMethodName(IntervalMethod method);  // "wald", "adjusted_wald", "wilson", "t"

// A 95% confidence interval, in the unit of the value it belongs to.
struct Interval {
  double low = 0;
  double high = 0;
  IntervalMethod method = IntervalMethod::kWald;
};

struct NpsEstimate {
  std::int64_t n = 0;
  std::int64_t promoters = 0;
  std::int64_t passives = 0;
  std::int64_t detractors = 0;
  std::optional<double> nps;  // % promoters − % detractors, −100..100; n ≥ 1
  // The (population) variance of the answers scored +1 (promoter), 0 (passive), −1 (detractor):
  // p + d − (p − d)² with p and d the shares of promoters and detractors; n ≥ 1.
  std::optional<double> variance;
  // In NPS points: 100 · sqrt(var / n), or the adjusted one when var = 0; n ≥ 2.
  std::optional<double> standard_error;
  // z · standard_error of the Wald interval, before clipping; only when the interval is the Wald one.
  std::optional<double> margin_of_error;
  std::optional<Interval> interval;  // n ≥ 2
};
NpsEstimate EstimateNps(std::int64_t promoters, std::int64_t passives, std::int64_t detractors);

// The share of `n` answers that are successes (CSAT: scored 4 or 5), in percent.
struct ShareEstimate {
  std::int64_t n = 0;
  std::int64_t successes = 0;
  std::optional<double> pct;         // n ≥ 1
  std::optional<Interval> interval;  // Wilson, n ≥ 1
};
// Expects 0 ≤ successes ≤ n.
ShareEstimate EstimateShare(std::int64_t successes, std::int64_t n);

struct MeanEstimate {
  std::int64_t n = 0;
  std::optional<double> mean;                // n ≥ 1
  std::optional<double> standard_deviation;  // the sample's (divided by n − 1); n ≥ 2
  std::optional<Interval> interval;          // Student's t; n ≥ 2 and standard deviation > 0
};
// The mean of integer scores given as counts per score (score_counts[score]), with its t-interval
// clipped to [min_score, max_score].
MeanEstimate EstimateMean(const std::vector<std::int64_t>& score_counts, int min_score, int max_score);

enum class ChangeTest {
  kNpsZ,             // z = Δ / sqrt(se₁² + se₂²) with each period's NPS standard error
  kTwoProportionZ,   // z with the pooled share: sqrt(p(1 − p)(1/n₁ + 1/n₂))
  kWelchT,           // Welch's t with Welch–Satterthwaite degrees of freedom
};
std::string_view ChangeTestName(ChangeTest test);  // "nps_z", "two_proportion_z", "welch_t"

// How a value moved from the previous period to the current one.
struct Change {
  ChangeTest test = ChangeTest::kNpsZ;
  double difference = 0;  // current − previous, in the value's unit (NPS points, percentage points, score)
  // The rest is absent when the test is not defined for these samples (see each Compare function).
  std::optional<double> standard_error;
  std::optional<double> statistic;           // z or t
  std::optional<double> degrees_of_freedom;  // Welch only
  std::optional<double> p_value;             // two-sided
  std::optional<bool> significant;           // p_value < kSignificanceLevel
};

// Each returns nothing when either period has no value (n = 0), and only the difference when the test
// is not defined: NPS and means need n ≥ 2 in both periods; Welch's test also needs some spread in at
// least one of them. CompareShares tests from n ≥ 1; two periods that are both at 0 % or both at 100 %
// did not change (p = 1).
std::optional<Change> CompareNps(const NpsEstimate& current, const NpsEstimate& previous);
std::optional<Change> CompareShares(const ShareEstimate& current, const ShareEstimate& previous);
std::optional<Change> CompareMeans(const MeanEstimate& current, const MeanEstimate& previous);

}  // namespace tp::feedback
