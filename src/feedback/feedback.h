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
// kNotFound when the tenant has no such response.
Result<FeedbackResponse> GetFeedback(store::TenantTx& tx, std::string_view feedback_id);
// Ordered by id (arrival order), which for backdated responses differs from created_at order.
Result<Page<FeedbackResponse>> ListFeedback(store::TenantTx& tx, const FeedbackQuery& query, const PageRequest& page);

// A metric over a set of responses. Percentages are 0–100; the optional fields are set only when
// count > 0 and only for the metric they belong to.
struct MetricSummary {
  Metric metric = Metric::kNps;
  std::int64_t count = 0;
  // Responses per score, indexed by the score itself (0..MaxScore; unused low entries stay 0).
  std::vector<std::int64_t> score_counts;
  // NPS: shares of promoters, passives and detractors; the score (promoters % − detractors %) and its
  // 95% margin of error, 1.96 · sqrt(var / n) · 100, where var is the (population) variance of the
  // responses scored +1 (promoter), 0 (passive) and −1 (detractor).
  std::optional<double> promoters_pct;
  std::optional<double> passives_pct;
  std::optional<double> detractors_pct;
  std::optional<double> nps;
  std::optional<double> nps_margin_of_error;
  // CSAT: share of 4 and 5.
  std::optional<double> satisfied_pct;
  // The mean score (for NPS the mean of the 0–10 answers).
  std::optional<double> mean;
};

// The summary of a score distribution (score_counts indexed by score, as in MetricSummary). Pure; the
// formulas live here so that they are tested without a database.
MetricSummary SummariseScores(Metric metric, const std::vector<std::int64_t>& score_counts);
// Summarises the responses of `metric` that match `query`; one aggregate query, at most 11 rows back.
// kInvalidArgument field "metric" when query.metric is set to a different metric.
Result<MetricSummary> SummariseMetric(store::TenantTx& tx, Metric metric, const FeedbackQuery& query);

}  // namespace tp::feedback
