#include "feedback/statistics.h"

#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>

namespace tp::feedback {
namespace {

// The adjusted Wald interval for the NPS (Rocks, "Interval estimation for the 'net promoter score'",
// The American Statistician 70(4), 2016) adds ¾ promoter, ¾ detractor and so 1½ passive.
constexpr double kAdjustedWaldAddedPerSide = 0.75;
constexpr double kAdjustedWaldAddedAnswers = 3.0;

double Clip(double value, double low, double high) { return std::clamp(value, low, high); }

Interval ClippedInterval(double centre, double half_width, double low, double high, IntervalMethod method) {
  return Interval{.low = Clip(centre - half_width, low, high), .high = Clip(centre + half_width, low, high),
                  .method = method};
}

// p + d − (p − d)²: the variance of answers scored +1 with probability p, −1 with d and 0 otherwise.
double TrinomialVariance(double promoter_share, double detractor_share) {
  const double mean = promoter_share - detractor_share;
  return std::max(0.0, promoter_share + detractor_share - mean * mean);
}

// The two-sided p-value of a standard normal statistic: 2 · (1 − Φ(|z|)) = erfc(|z| / √2).
double NormalTwoSidedP(double z) { return std::erfc(std::abs(z) / std::sqrt(2.0)); }

double StudentTQuantile975(double degrees_of_freedom) {
  return boost::math::quantile(boost::math::students_t(degrees_of_freedom), 0.975);
}

double StudentTTwoSidedP(double t, double degrees_of_freedom) {
  return 2.0 * boost::math::cdf(boost::math::complement(boost::math::students_t(degrees_of_freedom), std::abs(t)));
}

Change Tested(ChangeTest test, double difference, double standard_error, double statistic, double p_value) {
  return Change{.test = test,
                .difference = difference,
                .standard_error = standard_error,
                .statistic = statistic,
                .p_value = p_value,
                .significant = p_value < kSignificanceLevel};
}

}  // namespace

std::string_view IntervalMethodName(IntervalMethod method) {
  switch (method) {
    case IntervalMethod::kWald: return "wald";
    case IntervalMethod::kAdjustedWald: return "adjusted_wald";
    case IntervalMethod::kWilson: return "wilson";
    case IntervalMethod::kStudentT: return "t";
  }
  return "";
}

std::string_view ChangeTestName(ChangeTest test) {
  switch (test) {
    case ChangeTest::kNpsZ: return "nps_z";
    case ChangeTest::kTwoProportionZ: return "two_proportion_z";
    case ChangeTest::kWelchT: return "welch_t";
  }
  return "";
}

NpsEstimate EstimateNps(std::int64_t promoters, std::int64_t passives, std::int64_t detractors) {
  NpsEstimate estimate{.n = promoters + passives + detractors,
                       .promoters = promoters,
                       .passives = passives,
                       .detractors = detractors};
  if (estimate.n == 0) return estimate;
  const double n = static_cast<double>(estimate.n);
  const double promoter_share = static_cast<double>(promoters) / n;
  const double detractor_share = static_cast<double>(detractors) / n;
  estimate.nps = 100.0 * (promoter_share - detractor_share);
  estimate.variance = TrinomialVariance(promoter_share, detractor_share);
  // One answer has no spread to estimate, and the adjusted interval would be centred on the three
  // invented answers rather than on it (one promoter: −48.5..98.5, which leaves out the NPS of 100).
  if (estimate.n < 2) return estimate;
  if (*estimate.variance > 0) {
    estimate.standard_error = 100.0 * std::sqrt(*estimate.variance / n);
    estimate.margin_of_error = kZ95 * *estimate.standard_error;
    estimate.interval = ClippedInterval(*estimate.nps, *estimate.margin_of_error, -100, 100, IntervalMethod::kWald);
    return estimate;
  }
  // Every answer in one group: the Wald interval would be the single point ±100 or 0, claiming a
  // certainty that a handful of answers cannot give.
  const double adjusted_n = n + kAdjustedWaldAddedAnswers;
  const double adjusted_promoter_share = (static_cast<double>(promoters) + kAdjustedWaldAddedPerSide) / adjusted_n;
  const double adjusted_detractor_share = (static_cast<double>(detractors) + kAdjustedWaldAddedPerSide) / adjusted_n;
  estimate.standard_error =
      100.0 * std::sqrt(TrinomialVariance(adjusted_promoter_share, adjusted_detractor_share) / adjusted_n);
  estimate.interval = ClippedInterval(100.0 * (adjusted_promoter_share - adjusted_detractor_share),
                                      kZ95 * *estimate.standard_error, -100, 100, IntervalMethod::kAdjustedWald);
  return estimate;
}

ShareEstimate EstimateShare(std::int64_t successes, std::int64_t n) {
  ShareEstimate estimate{.n = n, .successes = successes};
  if (n == 0) return estimate;
  const double count = static_cast<double>(n);
  const double share = static_cast<double>(successes) / count;
  estimate.pct = 100.0 * share;
  // Wilson: (p + z²/2n ± z·sqrt(p(1 − p)/n + z²/4n²)) / (1 + z²/n).
  const double z_squared = kZ95 * kZ95;
  const double denominator = 1.0 + z_squared / count;
  const double centre = (share + z_squared / (2.0 * count)) / denominator;
  const double half_width =
      kZ95 * std::sqrt(share * (1.0 - share) / count + z_squared / (4.0 * count * count)) / denominator;
  estimate.interval = ClippedInterval(100.0 * centre, 100.0 * half_width, 0, 100, IntervalMethod::kWilson);
  return estimate;
}

MeanEstimate EstimateMean(const std::vector<std::int64_t>& score_counts, int min_score, int max_score) {
  MeanEstimate estimate;
  double total = 0;
  for (size_t score = 0; score < score_counts.size(); ++score) {
    estimate.n += score_counts[score];
    total += static_cast<double>(score) * static_cast<double>(score_counts[score]);
  }
  if (estimate.n == 0) return estimate;
  const double n = static_cast<double>(estimate.n);
  estimate.mean = total / n;
  if (estimate.n < 2) return estimate;
  // Squared deviations from the mean rather than E[x²] − E[x]², which cancels badly for large n.
  double squared_deviations = 0;
  for (size_t score = 0; score < score_counts.size(); ++score) {
    const double deviation = static_cast<double>(score) - *estimate.mean;
    squared_deviations += deviation * deviation * static_cast<double>(score_counts[score]);
  }
  estimate.standard_deviation = std::sqrt(squared_deviations / (n - 1.0));
  if (*estimate.standard_deviation == 0) return estimate;
  const double half_width = StudentTQuantile975(n - 1.0) * *estimate.standard_deviation / std::sqrt(n);
  estimate.interval = ClippedInterval(*estimate.mean, half_width, min_score, max_score, IntervalMethod::kStudentT);
  return estimate;
}

std::optional<Change> CompareNps(const NpsEstimate& current, const NpsEstimate& previous) {
  if (!current.nps || !previous.nps) return std::nullopt;
  const double difference = *current.nps - *previous.nps;
  if (!current.standard_error || !previous.standard_error) {
    return Change{.test = ChangeTest::kNpsZ, .difference = difference};
  }
  // sqrt(v₁/n₁ + v₂/n₂) in NPS points. A period with every answer in one group contributes its adjusted
  // standard error, as in its interval, so two unanimous periods are still compared.
  const double standard_error = std::hypot(*current.standard_error, *previous.standard_error);
  const double z = difference / standard_error;
  return Tested(ChangeTest::kNpsZ, difference, standard_error, z, NormalTwoSidedP(z));
}

std::optional<Change> CompareShares(const ShareEstimate& current, const ShareEstimate& previous) {
  if (!current.pct || !previous.pct) return std::nullopt;
  const double difference = *current.pct - *previous.pct;
  const double current_n = static_cast<double>(current.n);
  const double previous_n = static_cast<double>(previous.n);
  const double pooled = static_cast<double>(current.successes + previous.successes) / (current_n + previous_n);
  const double standard_error = 100.0 * std::sqrt(pooled * (1.0 - pooled) * (1.0 / current_n + 1.0 / previous_n));
  // A pooled share of 0 or 1 means both periods are at 0 % or both at 100 %: no change at all.
  if (standard_error == 0) return Tested(ChangeTest::kTwoProportionZ, difference, 0, 0, 1);
  const double z = difference / standard_error;
  return Tested(ChangeTest::kTwoProportionZ, difference, standard_error, z, NormalTwoSidedP(z));
}

std::optional<Change> CompareMeans(const MeanEstimate& current, const MeanEstimate& previous) {
  if (!current.mean || !previous.mean) return std::nullopt;
  const double difference = *current.mean - *previous.mean;
  Change change{.test = ChangeTest::kWelchT, .difference = difference};
  if (!current.standard_deviation || !previous.standard_deviation) return change;
  const double current_n = static_cast<double>(current.n);
  const double previous_n = static_cast<double>(previous.n);
  const double current_term = *current.standard_deviation * *current.standard_deviation / current_n;
  const double previous_term = *previous.standard_deviation * *previous.standard_deviation / previous_n;
  const double variance = current_term + previous_term;
  // Both periods unanimous: Welch's test has no spread to measure the difference against.
  if (variance == 0) return change;
  // Welch–Satterthwaite: (a + b)² / (a²/(n₁ − 1) + b²/(n₂ − 1)) with a = s₁²/n₁, b = s₂²/n₂.
  const double degrees_of_freedom =
      variance * variance /
      (current_term * current_term / (current_n - 1.0) + previous_term * previous_term / (previous_n - 1.0));
  const double standard_error = std::sqrt(variance);
  const double t = difference / standard_error;
  change = Tested(ChangeTest::kWelchT, difference, standard_error, t, StudentTTwoSidedP(t, degrees_of_freedom));
  change.degrees_of_freedom = degrees_of_freedom;
  return change;
}

}  // namespace tp::feedback
