// Feedback responses: one answer to one survey question measured as NPS, CSAT or CES, optionally tied to
// a customer and a touchpoint, with the customer's comment. Later issues add surveys (SurveyJS),
// distribution, review import and the in-memory analytics engine; this is the record they build on and
// the first metric summary.
//
//   TP_ASSIGN_OR_RETURN(FeedbackResponse response,
//                       SubmitFeedback(tx, {.customer_id = customer.id, .survey = "delivery-nps",
//                                           .metric = Metric::kNps, .score = 9, .touchpoint = "delivery"}));
//   TP_ASSIGN_OR_RETURN(MetricSummary nps,
//                       SummariseMetric(tx, Metric::kNps, {.touchpoint = "delivery", .since = month_start}));
//
// Scales: NPS 0–10 ("how likely are you to recommend…"; 9–10 promoters, 7–8 passives, 0–6 detractors),
// CSAT 1–5 (4–5 satisfied), CES 1–7 (reported as a mean). Every function works inside the
// transaction's tenant only. Responses are not audited: they are customers' answers, not changes made
// by users, and arrive in volumes that would drown the audit log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "feedback/statistics.h"
#include "identity/audit.h"
#include "store/store.h"

namespace tp::feedback {

inline constexpr std::size_t kMaxSurveyChars = 100;
inline constexpr std::size_t kMaxTouchpointChars = 100;
inline constexpr std::size_t kMaxCommentChars = 5000;

enum class Metric { kNps, kCsat, kCes };

std::string_view MetricName(Metric metric);  // "nps", "csat", "ces"
// kInvalidArgument field "metric" for an unknown name.
Result<Metric> ParseMetric(std::string_view name);
int MinScore(Metric metric);
int MaxScore(Metric metric);

struct FeedbackResponse {
  std::string id;  // "fbk_…"
  std::optional<std::string> customer_id;
  std::string survey;
  Metric metric = Metric::kNps;
  int score = 0;
  std::string comment;
  std::string touchpoint;  // "" when the answer is not tied to a touchpoint
  Micros created_at = 0;
  std::optional<std::string> survey_response_id;  // the survey response it is a score of (surveys/surveys.h)
};

struct NewFeedback {
  std::optional<std::string> customer_id;
  std::string survey;
  Metric metric = Metric::kNps;
  std::int64_t score = 0;
  std::string comment;
  std::string touchpoint;
  // When the customer answered, for widgets that queue answers offline and for imports; now when
  // absent. At most kMaxClockSkew (profiles/text.h) in the future.
  std::optional<Micros> created_at;
  // Set by surveys::SubmitResponse for the NPS, CSAT and CES answers of a survey response.
  std::optional<std::string> survey_response_id;
};

// Every field narrows the result. `since` is inclusive, `until` exclusive, both on created_at.
struct FeedbackQuery {
  std::optional<Metric> metric;
  std::optional<std::string> survey;
  std::optional<std::string> touchpoint;
  std::optional<std::string> customer_id;
  std::optional<Micros> since;
  std::optional<Micros> until;
  // When set, only responses of customers with a case owned by one of these teams (an agent's view,
  // as profiles::CustomerQuery::only_teams); anonymous responses are left out too.
  std::optional<std::vector<std::string>> only_teams;
};

// kInvalidArgument field "score" (outside the metric's scale), "survey" (empty or over 100
// characters), "touchpoint", "comment" or "created_at"; kNotFound field "customer_id" when the tenant
// has no such customer.
// Records "feedback.submit".
Result<FeedbackResponse> SubmitFeedback(store::TenantTx& tx, const NewFeedback& input,
                                        const identity::AuditContext& audit);
// A response loaded from history (transfer/response_import.h): the checks of SubmitFeedback, the
// caller's `id` (derived from the imported row, so a re-import finds it) and a feedback.submitted
// record marked "imported": true, which the analytics engine follows and the rules engine ignores.
// The caller vouches for customer_id (it resolved it in the same transaction) and records one audit
// entry per file, not one per response. `now` bounds created_at (kMaxClockSkew).
Result<FeedbackResponse> ImportFeedback(store::TenantTx& tx, const NewFeedback& input, std::string id, Micros now);
// kNotFound when the tenant has no such response.
Result<FeedbackResponse> GetFeedback(store::TenantTx& tx, std::string_view feedback_id);
// Ordered by id (arrival order), which for backdated responses differs from created_at order.
Result<Page<FeedbackResponse>> ListFeedback(store::TenantTx& tx, const FeedbackQuery& query, const PageRequest& page);

// A metric over a set of responses. Percentages are 0–100; the optional fields are set only when
// count > 0 and only for the metric they belong to. `count` is the n of every figure. The intervals are
// 95% ones from statistics.h, which says when each is absent (n = 1, unanimous answers).
struct MetricSummary {
  Metric metric = Metric::kNps;
  std::int64_t count = 0;
  // Responses per score, indexed by the score itself (0..MaxScore; unused low entries stay 0).
  std::vector<std::int64_t> score_counts;
  // NPS: shares of promoters, passives and detractors; the score (promoters % − detractors %), its
  // interval (Wald from the variance of the +1/0/−1 scores, adjusted Wald when they are all in one
  // group) and the Wald margin of error 1.96 · 100 · sqrt(var / n), absent when the interval is not
  // the Wald one.
  std::optional<double> promoters_pct;
  std::optional<double> passives_pct;
  std::optional<double> detractors_pct;
  std::optional<double> nps;
  std::optional<double> nps_margin_of_error;
  std::optional<Interval> nps_interval;
  // CSAT: share of 4 and 5 with its Wilson interval.
  std::optional<double> satisfied_pct;
  std::optional<Interval> satisfied_interval;
  // The mean score (for NPS the mean of the 0–10 answers), the sample standard deviation and the
  // mean's Student's t interval.
  std::optional<double> mean;
  std::optional<double> standard_deviation;
  std::optional<Interval> mean_interval;
};

// The summary of a score distribution (score_counts indexed by score, as in MetricSummary). Pure; the
// statistics come from statistics.h.
MetricSummary SummariseScores(Metric metric, const std::vector<std::int64_t>& score_counts);
// Summarises the responses of `metric` that match `query`; one aggregate query, at most 11 rows back.
// kInvalidArgument field "metric" when query.metric is set to a different metric.
Result<MetricSummary> SummariseMetric(store::TenantTx& tx, Metric metric, const FeedbackQuery& query);

// A period and the one of the same length just before it, as "compare with the previous period" in
// Qualtrics' dashboards: [since, until) and [since − (until − since), since).
struct PeriodPair {
  FeedbackQuery current;
  FeedbackQuery previous;
};
// `query` with `until` defaulting to `now`, and the same query over the previous period.
// kInvalidArgument field "since" when query.since is absent (an open period has no previous one),
// field "until" when until is not after since.
Result<PeriodPair> WithPreviousPeriod(const FeedbackQuery& query, Micros now);

// How the metric's headline value moved: the NPS (z test), CSAT's % satisfied (two-proportion z test),
// CES's mean (Welch's t test). Absent when either summary has no responses. Pure.
std::optional<Change> CompareSummaries(const MetricSummary& current, const MetricSummary& previous);

struct MetricComparison {
  MetricSummary current;
  MetricSummary previous;
  std::optional<Change> change;
};
// Summarises `metric` over both periods (two aggregate queries) and compares them.
// kInvalidArgument field "metric" as SummariseMetric.
Result<MetricComparison> CompareMetric(store::TenantTx& tx, Metric metric, const PeriodPair& periods);

}  // namespace tp::feedback
