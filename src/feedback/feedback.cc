#include "feedback/feedback.h"

#include <nlohmann/json.hpp>

#include "changes/kinds.h"
#include "common/ids.h"
#include "feedback/list_sql.h"
#include "profiles/customers.h"
#include "store/sql_params.h"
#include "profiles/text.h"

namespace tp::feedback {
namespace {

using store::Sql;
using store::SqlParams;

constexpr std::string_view kFeedbackIdPrefix = "fbk_";
constexpr std::string_view kInsertResponse =
    "INSERT INTO feedback_responses (tenant_id, id, customer_id, survey, metric, score, comment, touchpoint, "
    "created_at, survey_response_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kSelectResponse =
    "SELECT id, customer_id, survey, metric, score, comment, touchpoint, created_at, survey_response_id "
    "FROM feedback_responses "
    "WHERE tenant_id = $1 AND id = $2";

// List and summary statements, assembled from these fragments (profiles/sql_params.h says why).
constexpr std::string_view kSelectResponsesAfter =
    "SELECT id, customer_id, survey, metric, score, comment, touchpoint, created_at, survey_response_id "
    "FROM feedback_responses "
    "WHERE tenant_id = $1 AND id > ";
constexpr std::string_view kCountScoresOfMetric =
    "SELECT score, COUNT(*) FROM feedback_responses WHERE tenant_id = $1 AND metric = ";
constexpr std::string_view kAndMetricIs = " AND metric = ";
constexpr std::string_view kAndSurveyIs = " AND survey = ";
constexpr std::string_view kAndCreatedFrom = " AND created_at >= ";
constexpr std::string_view kAndCreatedBefore = " AND created_at < ";
constexpr std::string_view kGroupByScore = " GROUP BY score";

// The WHERE terms for every field of `query` except the metric, which each caller places itself.
std::string FiltersOf(const FeedbackQuery& query, SqlParams& params) {
  std::string filters;
  if (query.survey) filters += Sql({kAndSurveyIs, params.Bind(*query.survey)});
  if (query.touchpoint) filters += Sql({kAndTouchpointIs, params.Bind(*query.touchpoint)});
  if (query.customer_id) filters += Sql({kAndCustomerIs, params.Bind(*query.customer_id)});
  if (query.only_teams) filters += profiles::AndCustomerServedByTeams(*query.only_teams, params);
  if (query.since) filters += Sql({kAndCreatedFrom, params.Bind(*query.since)});
  if (query.until) filters += Sql({kAndCreatedBefore, params.Bind(*query.until)});
  return filters;
}

Result<FeedbackResponse> ResponseFromRow(const store::Row& row) {
  Result<Metric> metric = ParseMetric(row.Text(3));
  // Stored names come from this module, so an unknown one is a bug or a newer schema, never user input.
  if (!metric.ok()) return Internal("feedback " + row.Text(0) + " has an unknown metric");
  return FeedbackResponse{.id = row.Text(0),
                          .customer_id = row.OptionalText(1),
                          .survey = row.Text(2),
                          .metric = *metric,
                          .score = static_cast<int>(row.Int(4)),
                          .comment = row.Text(5),
                          .touchpoint = row.Text(6),
                          .created_at = row.Int(7),
                          .survey_response_id = row.OptionalText(8)};
}

double Percent(std::int64_t part, std::int64_t whole) {
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// Sum of score_counts[first..last], clipped to the vector.
std::int64_t CountBetween(const std::vector<std::int64_t>& score_counts, int first, int last) {
  std::int64_t total = 0;
  for (int score = first; score <= last && score < static_cast<int>(score_counts.size()); ++score) {
    total += score_counts[static_cast<size_t>(score)];
  }
  return total;
}

// The statistics of a score distribution, shared by the summary and the period comparison.
NpsEstimate NpsOf(const std::vector<std::int64_t>& score_counts) {
  const std::int64_t promoters = CountBetween(score_counts, 9, 10);
  const std::int64_t passives = CountBetween(score_counts, 7, 8);
  return EstimateNps(promoters, passives, CountBetween(score_counts, 0, 6));
}
ShareEstimate SatisfiedOf(const std::vector<std::int64_t>& score_counts) {
  return EstimateShare(CountBetween(score_counts, 4, 5), CountBetween(score_counts, 1, 5));
}
MeanEstimate MeanOf(Metric metric, const std::vector<std::int64_t>& score_counts) {
  return EstimateMean(score_counts, MinScore(metric), MaxScore(metric));
}

}  // namespace

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kNps: return "nps";
    case Metric::kCsat: return "csat";
    case Metric::kCes: return "ces";
  }
  return "nps";
}

Result<Metric> ParseMetric(std::string_view name) {
  for (Metric metric : {Metric::kNps, Metric::kCsat, Metric::kCes}) {
    if (MetricName(metric) == name) return metric;
  }
  return InvalidArgument("metric must be one of nps, csat, ces", "metric");
}

int MinScore(Metric metric) { return metric == Metric::kNps ? 0 : 1; }

int MaxScore(Metric metric) {
  switch (metric) {
    case Metric::kNps: return 10;
    case Metric::kCsat: return 5;
    case Metric::kCes: return 7;
  }
  return 10;
}

namespace {

// The checks every response passes, submitted or imported, and the response they make (without its id).
Result<FeedbackResponse> CheckedResponse(const NewFeedback& input, Micros now) {
  FeedbackResponse response;
  if (input.score < MinScore(input.metric) || input.score > MaxScore(input.metric)) {
    return InvalidArgument("score must be from " + std::to_string(MinScore(input.metric)) + " to " +
                               std::to_string(MaxScore(input.metric)) + " for " +
                               std::string(MetricName(input.metric)),
                           "score");
  }
  TP_ASSIGN_OR_RETURN(response.survey, profiles::CleanLine(input.survey, "survey", kMaxSurveyChars, true));
  TP_ASSIGN_OR_RETURN(response.touchpoint,
                      profiles::CleanLine(input.touchpoint, "touchpoint", kMaxTouchpointChars, false));
  TP_RETURN_IF_ERROR(profiles::CheckFreeText(input.comment, "comment", kMaxCommentChars));
  if (input.created_at) TP_RETURN_IF_ERROR(profiles::CheckClientTimestamp(*input.created_at, now, "created_at"));
  response.customer_id = input.customer_id;
  response.metric = input.metric;
  response.score = static_cast<int>(input.score);
  response.comment = input.comment;
  response.created_at = input.created_at.value_or(now);
  response.survey_response_id = input.survey_response_id;
  return response;
}

// Inserts the response and publishes feedback.submitted; `imported` marks history loaded from a file
// (changes/kinds.h), which the rules engine does not act on.
Status InsertAndPublish(store::TenantTx& tx, const FeedbackResponse& response, bool imported) {
  TP_RETURN_IF_ERROR(tx.Execute(kInsertResponse,
                                {response.id, store::Nullable(response.customer_id), response.survey,
                                 std::string(MetricName(response.metric)), std::int64_t{response.score},
                                 response.comment, response.touchpoint, response.created_at,
                                 store::Nullable(response.survey_response_id)}));
  // The comment stays out: the feed holds no personal data (changes/README.md).
  nlohmann::json data{{"response_id", response.id},
                      {"customer_id", response.customer_id ? nlohmann::json(*response.customer_id) : nlohmann::json()},
                      {"survey", response.survey},
                      {"touchpoint", response.touchpoint},
                      {"metric", MetricName(response.metric)},
                      {"score", response.score},
                      {"survey_response_id", response.survey_response_id ? nlohmann::json(*response.survey_response_id)
                                                                         : nlohmann::json()}};
  if (imported) data["imported"] = true;
  return tx.Publish(changes::kinds::kFeedbackSubmitted, response.id, data.dump());
}

}  // namespace

Result<FeedbackResponse> SubmitFeedback(store::TenantTx& tx, const NewFeedback& input,
                                        const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(FeedbackResponse response, CheckedResponse(input, NowMicros()));
  if (input.customer_id) {
    TP_ASSIGN_OR_RETURN(const bool customer_exists, profiles::CustomerExists(tx, *input.customer_id));
    if (!customer_exists) return Status(ErrorCode::kNotFound, "no such customer", "customer_id");
  }
  response.id = NewId(kFeedbackIdPrefix);
  TP_RETURN_IF_ERROR(InsertAndPublish(tx, response, false));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "feedback.submit", "feedback", response.id));
  return response;
}

Result<FeedbackResponse> ImportFeedback(store::TenantTx& tx, const NewFeedback& input, std::string id, Micros now) {
  TP_ASSIGN_OR_RETURN(FeedbackResponse response, CheckedResponse(input, now));
  response.id = std::move(id);
  TP_RETURN_IF_ERROR(InsertAndPublish(tx, response, true));
  return response;
}

Result<FeedbackResponse> GetFeedback(store::TenantTx& tx, std::string_view feedback_id) {
  if (!LooksLikeId(feedback_id, kFeedbackIdPrefix)) return NotFound("no such feedback response");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kSelectResponse, {std::string(feedback_id)}));
  if (!row) return NotFound("no such feedback response");
  return ResponseFromRow(*row);
}

Result<Page<FeedbackResponse>> ListFeedback(store::TenantTx& tx, const FeedbackQuery& query,
                                            const PageRequest& page) {
  SqlParams params;
  std::string sql = Sql({kSelectResponsesAfter, params.Bind(page.after_id)});
  if (query.metric) sql += Sql({kAndMetricIs, params.Bind(std::string(MetricName(*query.metric)))});
  sql += FiltersOf(query, params);
  sql += Sql({kOrderByIdLimit, params.Bind(std::int64_t{page.limit} + 1)});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<FeedbackResponse> responses;
  responses.reserve(rows.size());
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(FeedbackResponse response, ResponseFromRow(row));
    responses.push_back(std::move(response));
  }
  return MakePage(std::move(responses), page.limit, [](const FeedbackResponse& response) { return response.id; });
}

MetricSummary SummariseScores(Metric metric, const std::vector<std::int64_t>& score_counts) {
  MetricSummary summary{.metric = metric, .score_counts = score_counts};
  summary.score_counts.resize(static_cast<size_t>(MaxScore(metric)) + 1, 0);
  const MeanEstimate mean = MeanOf(metric, summary.score_counts);
  summary.count = mean.n;
  summary.mean = mean.mean;
  summary.standard_deviation = mean.standard_deviation;
  summary.mean_interval = mean.interval;
  if (summary.count == 0) return summary;

  if (metric == Metric::kNps) {
    const NpsEstimate nps = NpsOf(summary.score_counts);
    summary.promoters_pct = Percent(nps.promoters, summary.count);
    summary.passives_pct = Percent(nps.passives, summary.count);
    summary.detractors_pct = Percent(nps.detractors, summary.count);
    summary.nps = nps.nps;
    summary.nps_margin_of_error = nps.margin_of_error;
    summary.nps_interval = nps.interval;
  }
  if (metric == Metric::kCsat) {
    const ShareEstimate satisfied = SatisfiedOf(summary.score_counts);
    summary.satisfied_pct = satisfied.pct;
    summary.satisfied_interval = satisfied.interval;
  }
  return summary;
}

Result<MetricSummary> SummariseMetric(store::TenantTx& tx, Metric metric, const FeedbackQuery& query) {
  if (query.metric && *query.metric != metric) {
    return InvalidArgument("the query's metric differs from the metric summarised", "metric");
  }
  SqlParams params;
  std::string sql = Sql({kCountScoresOfMetric, params.Bind(std::string(MetricName(metric)))});
  sql += FiltersOf(query, params);
  sql += kGroupByScore;
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<std::int64_t> score_counts(static_cast<size_t>(MaxScore(metric)) + 1, 0);
  for (const store::Row& row : rows) {
    const std::int64_t score = row.Int(0);
    if (score < MinScore(metric) || score > MaxScore(metric)) {
      return Internal("a stored " + std::string(MetricName(metric)) + " score is out of range");
    }
    score_counts[static_cast<size_t>(score)] = row.Int(1);
  }
  return SummariseScores(metric, score_counts);
}

Result<PeriodPair> WithPreviousPeriod(const FeedbackQuery& query, Micros now) {
  if (!query.since) return InvalidArgument("comparing with the previous period needs since", "since");
  PeriodPair periods{.current = query, .previous = query};
  periods.current.until = query.until.value_or(now);
  const Micros length = *periods.current.until - *query.since;
  if (length <= 0) return InvalidArgument("until must be after since", "until");
  periods.previous.since = *query.since - length;
  periods.previous.until = *query.since;
  return periods;
}

std::optional<Change> CompareSummaries(const MetricSummary& current, const MetricSummary& previous) {
  switch (current.metric) {
    case Metric::kNps: return CompareNps(NpsOf(current.score_counts), NpsOf(previous.score_counts));
    case Metric::kCsat: return CompareShares(SatisfiedOf(current.score_counts), SatisfiedOf(previous.score_counts));
    case Metric::kCes:
      return CompareMeans(MeanOf(current.metric, current.score_counts), MeanOf(previous.metric, previous.score_counts));
  }
  return std::nullopt;
}

Result<MetricComparison> CompareMetric(store::TenantTx& tx, Metric metric, const PeriodPair& periods) {
  MetricComparison comparison;
  TP_ASSIGN_OR_RETURN(comparison.current, SummariseMetric(tx, metric, periods.current));
  TP_ASSIGN_OR_RETURN(comparison.previous, SummariseMetric(tx, metric, periods.previous));
  comparison.change = CompareSummaries(comparison.current, comparison.previous);
  return comparison;
}

}  // namespace tp::feedback
