// Questions to the engine: a metric × up to three group-by dimensions × an optional time bucket (in an
// IANA time zone) × filters, over a time window, optionally with the previous window of the same length.
// Every value comes with its n and the 95% interval of feedback/statistics.h (via SummariseScores).
//
//   TP_ASSIGN_OR_RETURN(analytics::Query query, analytics::ParseQuery(nlohmann::json::parse(R"({
//       "metric": "nps", "group_by": ["touchpoint"], "bucket": "month", "time_zone": "Europe/Prague",
//       "filters": [{"field": "trait.segment", "in": ["vip", "gold"]}],
//       "time": {"last_days": 90}, "compare": "previous_period"})"), NowMicros()));
//   TP_ASSIGN_OR_RETURN(analytics::QueryResult result, analytics::RunQuery(engine, tenant_id, query));
//   nlohmann::json body = analytics::QueryResultJson(result);
//
// Execution (DuckDB style): every row's group is one packed integer (each dimension's code in its own
// bits, then the bucket), aggregated into a flat array of AggregateStates when the key space is small
// and a hash map otherwise; chunks are split between two threads when the tenant is large enough for
// that to pay. Results name values, never customer ids or contact data: a trait that is contact data
// is not a dimension (the loader leaves such traits out of the engine altogether).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analytics/engine.h"
#include "common/clock.h"
#include "common/status.h"
#include "feedback/feedback.h"

namespace tp::analytics {

inline constexpr std::size_t kMaxGroupBy = 3;
inline constexpr std::size_t kMaxFilters = 20;
inline constexpr std::size_t kMaxFilterValues = 1000;

enum class QueryMetric { kNps, kCsat, kCes, kResponseCount };
std::string_view QueryMetricName(QueryMetric metric);

// A row dimension, or a customer trait by name ("trait.plan"; "segment" and "country" are the traits
// of those names).
struct Dimension {
  std::optional<RowDimension> row;
  std::string trait;  // when !row
  std::string name;   // as the caller wrote it, for the result
};
// kInvalidArgument with `field` for an unknown name.
Result<Dimension> ParseDimension(std::string_view name, const std::string& field);

enum class TimeBucket { kDay, kWeek, kMonth, kQuarter };

struct Filter {
  // A dimension: equality or set (`values`, any of them). "score": a range. "customer_id": equality.
  enum class Kind { kDimension, kScore, kCustomer };
  Kind kind = Kind::kDimension;
  Dimension dimension;
  std::vector<std::string> values;
  std::optional<int> min_score;  // inclusive
  std::optional<int> max_score;  // inclusive
};

struct Query {
  QueryMetric metric = QueryMetric::kNps;
  std::vector<Dimension> group_by;
  std::optional<TimeBucket> bucket;
  std::string time_zone = "UTC";
  std::vector<Filter> filters;
  std::optional<Micros> since;  // inclusive
  std::optional<Micros> until;  // exclusive
  bool compare_previous = false;  // needs since; until defaults to the time the query was parsed
};

// Reads {"metric", "group_by": [...], "bucket", "time_zone", "filters": [{"field", "equals"|"in"|"min"|"max"}],
// "time": {"since", "until"} | {"last_days": N}, "compare": "previous_period"}; docs/analytics.md has
// the whole grammar. kInvalidArgument naming the field path ("filters[1].field") for anything unknown,
// mistyped or out of range; kFailedPrecondition field "compare" when a comparison has no since.
Result<Query> ParseQuery(const nlohmann::json& body, Micros now);

struct GroupValue {
  std::vector<std::string> keys;  // one per group_by dimension, then the bucket label when bucketed
  feedback::MetricSummary summary;
  std::optional<feedback::MetricSummary> previous;
  std::optional<feedback::Change> change;
};

struct QueryResult {
  Query query;
  std::vector<std::string> columns;  // the names of GroupValue::keys
  std::vector<GroupValue> groups;    // ordered by keys
  feedback::MetricSummary total;     // over every row the filters keep, in the current window
  std::optional<feedback::MetricSummary> previous_total;
  std::optional<feedback::Change> total_change;
};

// kInvalidArgument field "time_zone" for an unknown zone.
Result<QueryResult> RunQuery(const Engine& engine, const std::string& tenant_id, const Query& query);
// The same over data the caller already holds (tests, benchmarks).
Result<QueryResult> RunQuery(const TenantData& data, const Query& query);

nlohmann::json QueryResultJson(const QueryResult& result);

}  // namespace tp::analytics
