#include "analytics/query.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>
#include <unordered_map>

namespace tp::analytics {

namespace {

using nlohmann::json;

constexpr std::string_view kMetricNames[] = {"nps", "csat", "ces", "response_count"};
constexpr std::string_view kBucketNames[] = {"day", "week", "month", "quarter"};
// Below this many rows a second thread costs more than it saves.
constexpr std::size_t kParallelRows = 1'000'000;
// Group keys up to this many bits aggregate into a flat array; wider ones into a hash map.
constexpr int kMaxFlatKeyBits = 12;
constexpr Micros kMicrosPerDay = 86'400'000'000;

// Responses per (metric, score) of one group: the aggregate state. Counting by the packed
// metric-and-score byte makes Update one increment with no branch: the metric and the score range are
// applied in Finalize, so a scan never tests them per row. Update adds a row, Combine merges the
// partial state of another thread, Finalize turns it into the metric's summary
// (feedback::SummariseScores).
constexpr std::size_t kMetricScoreSlots = 3 << 4;  // metrics 0..2, scores 0..15
struct AggregateState {
  std::array<std::uint32_t, kMetricScoreSlots> counts{};
  void Update(std::uint8_t metric_score) { ++counts[metric_score]; }
  void Combine(const AggregateState& other) {
    for (std::size_t slot = 0; slot < kMetricScoreSlots; ++slot) counts[slot] += other.counts[slot];
  }
  // The count of `metric` (every metric when absent) with scores in [min_score, max_score].
  std::int64_t Count(std::optional<feedback::Metric> metric, int min_score, int max_score) const {
    std::int64_t count = 0;
    for (std::size_t slot = 0; slot < kMetricScoreSlots; ++slot) {
      const auto metric_score = static_cast<std::uint8_t>(slot);
      if (metric && MetricOf(metric_score) != *metric) continue;
      if (ScoreOf(metric_score) < min_score || ScoreOf(metric_score) > max_score) continue;
      count += counts[slot];
    }
    return count;
  }
  // The NPS figures straight from feedback::EstimateNps: SummariseScores would also build the mean's
  // Student's t interval, which the NPS answer does not show and which costs microseconds per group
  // (the t quantile), more than the scan of a small group.
  feedback::MetricSummary FinalizeNps(int min_score, int max_score) const {
    std::array<std::int64_t, 3> groups{};  // promoters, passives, detractors
    feedback::MetricSummary summary{.metric = feedback::Metric::kNps};
    summary.score_counts.assign(11, 0);
    for (int score = std::max(min_score, 0); score <= std::min(max_score, 10); ++score) {
      const std::int64_t count = counts[PackMetricScore(feedback::Metric::kNps, score)];
      summary.score_counts[static_cast<std::size_t>(score)] = count;
      groups[score >= 9 ? 0 : (score >= 7 ? 1 : 2)] += count;
    }
    const feedback::NpsEstimate nps = feedback::EstimateNps(groups[0], groups[1], groups[2]);
    summary.count = nps.n;
    if (nps.n == 0) return summary;
    const auto percent = [&](std::int64_t part) { return 100.0 * static_cast<double>(part) / static_cast<double>(nps.n); };
    summary.promoters_pct = percent(nps.promoters);
    summary.passives_pct = percent(nps.passives);
    summary.detractors_pct = percent(nps.detractors);
    summary.nps = nps.nps;
    summary.nps_margin_of_error = nps.margin_of_error;
    summary.nps_interval = nps.interval;
    return summary;
  }
  bool Empty(std::optional<feedback::Metric> metric, int min_score, int max_score) const {
    return Count(metric, min_score, max_score) == 0;
  }
  feedback::MetricSummary Finalize(QueryMetric metric, int min_score, int max_score) const {
    if (metric == QueryMetric::kResponseCount) {
      feedback::MetricSummary summary;
      summary.count = Count(std::nullopt, min_score, max_score);
      return summary;
    }
    const auto feedback_metric = static_cast<feedback::Metric>(metric);
    if (feedback_metric == feedback::Metric::kNps) return FinalizeNps(min_score, max_score);
    std::vector<std::int64_t> score_counts(static_cast<std::size_t>(feedback::MaxScore(feedback_metric)) + 1, 0);
    for (std::size_t score = 0; score < score_counts.size(); ++score) {
      if (static_cast<int>(score) < min_score || static_cast<int>(score) > max_score) continue;
      score_counts[score] = counts[PackMetricScore(feedback_metric, static_cast<int>(score))];
    }
    return feedback::SummariseScores(feedback_metric, score_counts);
  }
};
// The current and the previous period of one group.
struct GroupState {
  AggregateState current;
  AggregateState previous;
  void Combine(const GroupState& other) {
    current.Combine(other.current);
    previous.Combine(other.previous);
  }
};

Result<std::string> StringField(const json& value, const std::string& field) {
  if (!value.is_string()) return InvalidArgument("must be a string", field);
  return value.get<std::string>();
}

Result<Micros> TimeField(const json& value, const std::string& field) {
  if (!value.is_string()) return InvalidArgument("must be an RFC 3339 timestamp", field);
  std::optional<Micros> parsed = ParseTimestamp(value.get<std::string>());
  if (!parsed) return InvalidArgument("must be an RFC 3339 timestamp", field);
  return *parsed;
}

Status OnlyFields(const json& object, std::initializer_list<std::string_view> allowed, const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return InvalidArgument("unknown field", prefix.empty() ? key : prefix + "." + key);
    }
  }
  return Status::Ok();
}

Result<int> ScoreBound(const json& value, const std::string& field) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 || value.get<std::int64_t>() > 10) {
    return InvalidArgument("must be an integer score from 0 to 10", field);
  }
  return value.get<int>();
}

Result<Filter> ParseFilter(const json& item, const std::string& prefix) {
  if (!item.is_object()) return InvalidArgument("must be an object", prefix);
  TP_RETURN_IF_ERROR(OnlyFields(item, {"field", "equals", "in", "min", "max"}, prefix));
  if (!item.contains("field")) return InvalidArgument("is required", prefix + ".field");
  TP_ASSIGN_OR_RETURN(std::string field, StringField(item["field"], prefix + ".field"));
  Filter filter;
  if (field == "score") {
    filter.kind = Filter::Kind::kScore;
    if (item.contains("equals") || item.contains("in")) {
      return InvalidArgument("score takes min and max", prefix + (item.contains("equals") ? ".equals" : ".in"));
    }
    if (!item.contains("min") && !item.contains("max")) return InvalidArgument("needs min or max", prefix + ".min");
    if (item.contains("min")) { TP_ASSIGN_OR_RETURN(filter.min_score, ScoreBound(item["min"], prefix + ".min")); }
    if (item.contains("max")) { TP_ASSIGN_OR_RETURN(filter.max_score, ScoreBound(item["max"], prefix + ".max")); }
    return filter;
  }
  if (item.contains("min") || item.contains("max")) {
    return InvalidArgument("ranges apply to score; use time for created_at", prefix + (item.contains("min") ? ".min" : ".max"));
  }
  if (item.contains("equals") == item.contains("in")) {
    return InvalidArgument("needs exactly one of equals and in", prefix + ".equals");
  }
  if (item.contains("equals")) {
    TP_ASSIGN_OR_RETURN(std::string value, StringField(item["equals"], prefix + ".equals"));
    filter.values.push_back(std::move(value));
  } else {
    const json& values = item["in"];
    if (!values.is_array() || values.empty() || values.size() > kMaxFilterValues) {
      return InvalidArgument("must be an array of 1 to 1000 strings", prefix + ".in");
    }
    for (std::size_t value_idx = 0; value_idx < values.size(); ++value_idx) {
      TP_ASSIGN_OR_RETURN(std::string value,
                          StringField(values[value_idx], prefix + ".in[" + std::to_string(value_idx) + "]"));
      filter.values.push_back(std::move(value));
    }
  }
  if (field == "customer_id") {
    if (filter.values.size() != 1) return InvalidArgument("customer_id takes equals", prefix + ".in");
    filter.kind = Filter::Kind::kCustomer;
    return filter;
  }
  TP_ASSIGN_OR_RETURN(filter.dimension, ParseDimension(field, prefix + ".field"));
  return filter;
}

const date::time_zone* LocateZone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

using LocalDays = date::local_days;

LocalDays BucketStart(TimeBucket bucket, LocalDays day) {
  const date::year_month_day ymd{day};
  switch (bucket) {
    case TimeBucket::kDay: return day;
    case TimeBucket::kWeek: {
      // ISO weeks start on Monday.
      const date::weekday weekday{day};
      return day - (weekday - date::Monday);
    }
    case TimeBucket::kMonth: return LocalDays{ymd.year() / ymd.month() / 1};
    case TimeBucket::kQuarter: {
      const unsigned month = static_cast<unsigned>(ymd.month());
      return LocalDays{ymd.year() / date::month{(month - 1) / 3 * 3 + 1} / 1};
    }
  }
  return day;
}

LocalDays NextBucket(TimeBucket bucket, LocalDays start) {
  const date::year_month_day ymd{start};
  switch (bucket) {
    case TimeBucket::kDay: return start + date::days{1};
    case TimeBucket::kWeek: return start + date::days{7};
    case TimeBucket::kMonth: return LocalDays{ymd + date::months{1}};
    case TimeBucket::kQuarter: return LocalDays{ymd + date::months{3}};
  }
  return start;
}

std::string BucketLabel(TimeBucket bucket, LocalDays start) {
  const date::year_month_day ymd{start};
  const int year = static_cast<int>(ymd.year());
  const unsigned month = static_cast<unsigned>(ymd.month());
  const unsigned day = static_cast<unsigned>(ymd.day());
  char text[32];
  switch (bucket) {
    case TimeBucket::kDay:
    case TimeBucket::kWeek: std::snprintf(text, sizeof text, "%04d-%02u-%02u", year, month, day); break;
    case TimeBucket::kMonth: std::snprintf(text, sizeof text, "%04d-%02u", year, month); break;
    case TimeBucket::kQuarter: std::snprintf(text, sizeof text, "%04d-Q%u", year, (month - 1) / 3 + 1); break;
  }
  return text;
}

// The buckets covering [first, last] (engine seconds) in the zone: their start instants, ascending.
struct Buckets {
  std::vector<std::int64_t> starts;  // engine seconds (int64: the first start may precede the int32 range)
  std::vector<std::string> labels;
};

Buckets MakeBuckets(TimeBucket bucket, const date::time_zone& zone, std::int32_t first, std::int32_t last) {
  using std::chrono::seconds;
  const auto to_local_day = [&](std::int64_t engine_seconds) {
    const date::sys_seconds instant{seconds{engine_seconds + kTimeEpoch / 1'000'000}};
    return date::floor<date::days>(zone.to_local(instant));
  };
  const auto to_engine = [&](LocalDays day) -> std::int64_t {
    const date::sys_seconds instant = date::floor<seconds>(zone.to_sys(date::local_seconds{day}, date::choose::earliest));
    return instant.time_since_epoch().count() - kTimeEpoch / 1'000'000;
  };
  Buckets buckets;
  LocalDays start = BucketStart(bucket, to_local_day(first));
  const LocalDays end = to_local_day(last);
  while (start <= end) {
    buckets.starts.push_back(to_engine(start));
    buckets.labels.push_back(BucketLabel(bucket, start));
    start = NextBucket(bucket, start);
  }
  return buckets;
}

int BitsFor(std::size_t distinct) { return distinct <= 1 ? 0 : std::bit_width(distinct - 1); }

std::int64_t CeilSeconds(Micros micros) {
  const Micros offset = micros - kTimeEpoch;
  Micros seconds = offset / 1'000'000;
  if (offset % 1'000'000 > 0) ++seconds;
  return seconds;
}

// A query compiled against one tenant's data: codes instead of strings, and the key layout.
struct Plan {
  std::optional<feedback::Metric> metric;  // absent: every metric (response_count)
  std::int64_t current_from = std::numeric_limits<std::int64_t>::min();
  std::int64_t current_to = std::numeric_limits<std::int64_t>::max();
  std::int64_t previous_from = 0;
  bool compare = false;
  bool matches_nothing = false;
  struct RowPredicate {
    std::size_t dimension;
    std::vector<std::uint8_t> allowed;  // by code
  };
  struct TraitPredicate {
    const TraitColumn* trait;
    std::vector<std::uint8_t> allowed;
  };
  std::vector<RowPredicate> row_predicates;
  std::vector<TraitPredicate> trait_predicates;
  int min_score = 0;
  int max_score = 10;
  std::optional<std::uint32_t> customer;
  struct KeyPart {
    std::optional<std::size_t> dimension;  // a row dimension
    const TraitColumn* trait = nullptr;    // or a trait (nullptr: a trait no customer has)
    int shift = 0;
  };
  std::vector<KeyPart> key_parts;
  std::optional<Buckets> buckets;
  int bucket_shift = 0;
  int key_bits = 0;
  // No per-row filter and a key of row dimensions only: the scan's tight kernel applies.
  bool fast = false;
};

std::vector<std::uint8_t> AllowedCodes(const Dictionary& dictionary, const std::vector<std::string>& values) {
  std::vector<std::uint8_t> allowed(dictionary.size(), 0);
  for (const std::string& value : values) {
    if (std::optional<std::uint32_t> code = dictionary.Find(value)) allowed[*code] = 1;
  }
  return allowed;
}

Result<Plan> Compile(const TenantData& data, const Query& query) {
  Plan plan;
  if (query.metric != QueryMetric::kResponseCount) plan.metric = static_cast<feedback::Metric>(query.metric);
  if (query.since) plan.current_from = CeilSeconds(*query.since);
  if (query.until) plan.current_to = CeilSeconds(*query.until);
  if (query.compare_previous && query.since && query.until) {
    plan.compare = true;
    plan.previous_from = CeilSeconds(*query.since - (*query.until - *query.since));
  }
  for (const Filter& filter : query.filters) {
    switch (filter.kind) {
      case Filter::Kind::kScore:
        plan.min_score = std::max(plan.min_score, filter.min_score.value_or(0));
        plan.max_score = std::min(plan.max_score, filter.max_score.value_or(10));
        break;
      case Filter::Kind::kCustomer: {
        std::optional<std::uint32_t> customer = data.customers.Find(filter.values.front());
        if (!customer || (plan.customer && *plan.customer != *customer)) plan.matches_nothing = true;
        if (customer) plan.customer = customer;
        break;
      }
      case Filter::Kind::kDimension:
        if (filter.dimension.row) {
          const auto dimension = static_cast<std::size_t>(*filter.dimension.row);
          plan.row_predicates.push_back({dimension, AllowedCodes(data.dictionaries[dimension], filter.values)});
        } else if (const TraitColumn* trait = data.customers.Trait(filter.dimension.trait)) {
          plan.trait_predicates.push_back({trait, AllowedCodes(trait->values, filter.values)});
        } else if (std::find(filter.values.begin(), filter.values.end(), "") == filter.values.end()) {
          plan.matches_nothing = true;  // no customer has the trait, and the filter wants a value of it
        }
        break;
    }
  }
  int shift = 0;
  for (const Dimension& dimension : query.group_by) {
    Plan::KeyPart part;
    std::size_t distinct = 1;
    if (dimension.row) {
      part.dimension = static_cast<std::size_t>(*dimension.row);
      distinct = data.dictionaries[*part.dimension].size();
    } else if ((part.trait = data.customers.Trait(dimension.trait))) {
      distinct = part.trait->values.size();
    }
    part.shift = shift;
    shift += BitsFor(distinct);
    plan.key_parts.push_back(part);
  }
  if (query.bucket && data.rows > 0) {
    const date::time_zone* zone = LocateZone(query.time_zone);
    if (!zone) return InvalidArgument("unknown IANA time zone", "time_zone");
    // The buckets span the chunks' time ranges within the window (a bucket no row falls in stays
    // empty and is not answered).
    std::int64_t first = std::numeric_limits<std::int64_t>::max();
    std::int64_t last = std::numeric_limits<std::int64_t>::min();
    const std::int64_t window_from = plan.compare ? plan.previous_from : plan.current_from;
    for (const auto& chunk : data.chunks) {
      if (chunk->size() == 0 || chunk->max_seconds < window_from || chunk->min_seconds >= plan.current_to) continue;
      first = std::min<std::int64_t>(first, std::max<std::int64_t>(chunk->min_seconds, window_from));
      last = std::max<std::int64_t>(last, std::min<std::int64_t>(chunk->max_seconds, plan.current_to - 1));
    }
    if (first <= last) {
      plan.buckets = MakeBuckets(*query.bucket, *zone, static_cast<std::int32_t>(first), static_cast<std::int32_t>(last));
      plan.bucket_shift = shift;
      shift += BitsFor(plan.buckets->starts.size());
    } else {
      plan.matches_nothing = true;
    }
  }
  if (shift > 63) return InvalidArgument("too many distinct values in the group-by dimensions", "group_by");
  plan.key_bits = shift;
  plan.fast = !plan.customer && plan.row_predicates.empty() && plan.trait_predicates.empty() &&
              std::all_of(plan.key_parts.begin(), plan.key_parts.end(),
                          [](const Plan::KeyPart& part) { return part.dimension.has_value(); });
  return plan;
}

std::size_t BucketOf(const Buckets& buckets, std::int64_t seconds) {
  return static_cast<std::size_t>(std::upper_bound(buckets.starts.begin(), buckets.starts.end(), seconds) -
                                  buckets.starts.begin()) - 1;
}

// The common case as a tight kernel: no per-row filter, a key made of up to three row dimensions
// (kParts) and the bucket. kTimeTest: the chunk straddles the window's edges; kRowBucket: the chunk
// spans several buckets. The compiler unrolls the key and drops what a variant does not need.
template <int kParts, bool kTimeTest, bool kRowBucket, typename Add>
void ScanChunkKernel(const ResponseChunk& chunk, const Plan& plan, std::uint64_t chunk_key, std::size_t& bucket_hint,
                     std::int64_t window_from, Add& add) {
  std::array<const std::uint16_t*, 3> columns{};
  std::array<int, 3> shifts{};
  for (int part = 0; part < kParts; ++part) {
    columns[part] = chunk.dimensions[*plan.key_parts[part].dimension].data();
    shifts[part] = plan.key_parts[part].shift;
  }
  const std::uint8_t* metric_scores = chunk.metric_score.data();
  const std::int32_t* seconds_column = chunk.seconds.data();
  const std::vector<std::int64_t>* starts = plan.buckets ? &plan.buckets->starts : nullptr;
  const std::int64_t current_from = plan.current_from;
  const std::int64_t current_to = plan.current_to;
  const std::size_t rows = chunk.size();
  for (std::size_t row = 0; row < rows; ++row) {
    bool previous = false;
    if constexpr (kTimeTest) {
      const std::int32_t seconds = seconds_column[row];
      if (seconds >= current_to || seconds < window_from) continue;
      previous = seconds < current_from;
    }
    std::uint64_t key = chunk_key;
    for (int part = 0; part < kParts; ++part) key |= static_cast<std::uint64_t>(columns[part][row]) << shifts[part];
    if constexpr (kRowBucket) {
      const std::int32_t seconds = seconds_column[row];
      if (!((*starts)[bucket_hint] <= seconds && (bucket_hint + 1 == starts->size() || seconds < (*starts)[bucket_hint + 1]))) {
        bucket_hint = BucketOf(*plan.buckets, seconds);
      }
      key |= static_cast<std::uint64_t>(bucket_hint) << plan.bucket_shift;
    }
    add(key, previous, metric_scores[row]);
  }
}

template <int kParts, typename Add>
void ScanChunkFast(const ResponseChunk& chunk, const Plan& plan, bool time_test, bool row_bucket, std::uint64_t chunk_key,
                   std::size_t& bucket_hint, std::int64_t window_from, Add& add) {
  if (time_test) {
    if (row_bucket) ScanChunkKernel<kParts, true, true>(chunk, plan, chunk_key, bucket_hint, window_from, add);
    else ScanChunkKernel<kParts, true, false>(chunk, plan, chunk_key, bucket_hint, window_from, add);
  } else {
    if (row_bucket) ScanChunkKernel<kParts, false, true>(chunk, plan, chunk_key, bucket_hint, window_from, add);
    else ScanChunkKernel<kParts, false, false>(chunk, plan, chunk_key, bucket_hint, window_from, add);
  }
}

// Aggregates chunks [chunk_begin, chunk_end) into `add(key, previous, metric_score)`. Whole chunks are
// skipped or spared the per-row time test by their time range, and a chunk within one bucket gets
// its bucket once.
template <typename Add>
void Scan(const TenantData& data, const Plan& plan, std::size_t chunk_begin, std::size_t chunk_end, Add&& add) {
  const std::int64_t window_from = plan.compare ? plan.previous_from : plan.current_from;
  for (std::size_t chunk_idx = chunk_begin; chunk_idx < chunk_end; ++chunk_idx) {
    const ResponseChunk& chunk = *data.chunks[chunk_idx];
    if (chunk.size() == 0 || chunk.max_seconds < window_from || chunk.min_seconds >= plan.current_to) continue;
    const bool all_current = chunk.min_seconds >= plan.current_from && chunk.max_seconds < plan.current_to;
    std::optional<std::uint64_t> chunk_bucket;
    std::size_t bucket_hint = 0;
    if (plan.buckets) {
      const std::size_t first = BucketOf(*plan.buckets, std::max<std::int64_t>(chunk.min_seconds, window_from));
      const std::size_t last = BucketOf(*plan.buckets, std::min<std::int64_t>(chunk.max_seconds, plan.current_to - 1));
      if (first == last) chunk_bucket = static_cast<std::uint64_t>(first) << plan.bucket_shift;
      bucket_hint = first;
    }
    if (plan.fast) {
      const bool time_test = !all_current;
      const bool row_bucket = plan.buckets && !chunk_bucket;
      const std::uint64_t chunk_key = chunk_bucket.value_or(0);
      switch (plan.key_parts.size()) {
        case 0: ScanChunkFast<0>(chunk, plan, time_test, row_bucket, chunk_key, bucket_hint, window_from, add); break;
        case 1: ScanChunkFast<1>(chunk, plan, time_test, row_bucket, chunk_key, bucket_hint, window_from, add); break;
        case 2: ScanChunkFast<2>(chunk, plan, time_test, row_bucket, chunk_key, bucket_hint, window_from, add); break;
        default: ScanChunkFast<3>(chunk, plan, time_test, row_bucket, chunk_key, bucket_hint, window_from, add); break;
      }
      continue;
    }
    const std::uint8_t* metric_scores = chunk.metric_score.data();
    const std::int32_t* seconds_column = chunk.seconds.data();
    const std::uint32_t* customers = chunk.customer.data();
    const std::size_t rows = chunk.size();
    for (std::size_t row = 0; row < rows; ++row) {
      bool previous = false;
      if (!all_current) {
        const std::int32_t seconds = seconds_column[row];
        if (seconds >= plan.current_to || seconds < window_from) continue;
        previous = seconds < plan.current_from;
      }
      const std::uint32_t customer = customers[row];
      if (plan.customer && customer != *plan.customer) continue;
      bool keep = true;
      for (const Plan::RowPredicate& predicate : plan.row_predicates) {
        if (!predicate.allowed[chunk.dimensions[predicate.dimension][row]]) {
          keep = false;
          break;
        }
      }
      if (!keep) continue;
      for (const Plan::TraitPredicate& predicate : plan.trait_predicates) {
        const std::uint32_t code = customer == kNoCustomer ? kEmptyCode : predicate.trait->codes[customer];
        if (!predicate.allowed[code]) {
          keep = false;
          break;
        }
      }
      if (!keep) continue;
      std::uint64_t key = 0;
      for (const Plan::KeyPart& part : plan.key_parts) {
        std::uint64_t code = kEmptyCode;
        if (part.dimension) {
          code = chunk.dimensions[*part.dimension][row];
        } else if (part.trait && customer != kNoCustomer) {
          code = part.trait->codes[customer];
        }
        key |= code << part.shift;
      }
      if (chunk_bucket) {
        key |= *chunk_bucket;
      } else if (plan.buckets) {
        const std::int32_t seconds = seconds_column[row];
        const std::vector<std::int64_t>& starts = plan.buckets->starts;
        // Rows mostly arrive in time order, so the previous row's bucket is the first guess.
        if (!(starts[bucket_hint] <= seconds && (bucket_hint + 1 == starts.size() || seconds < starts[bucket_hint + 1]))) {
          bucket_hint = BucketOf(*plan.buckets, seconds);
        }
        key |= static_cast<std::uint64_t>(bucket_hint) << plan.bucket_shift;
      }
      add(key, previous, metric_scores[row]);
    }
  }
}

using GroupMap = std::unordered_map<std::uint64_t, GroupState>;

// Runs the scan on one or two threads and returns the non-empty groups by key.
GroupMap Aggregate(const TenantData& data, const Plan& plan) {
  const std::size_t chunks = data.chunks.size();
  const std::size_t parts = data.rows >= kParallelRows ? 2 : 1;
  std::vector<GroupMap> partials(parts);
  const auto run = [&](std::size_t part) {
    const std::size_t begin = chunks * part / parts;
    const std::size_t end = chunks * (part + 1) / parts;
    if (plan.key_bits <= kMaxFlatKeyBits) {
      std::vector<GroupState> table(std::size_t{1} << plan.key_bits);
      Scan(data, plan, begin, end, [&](std::uint64_t key, bool previous, std::uint8_t metric_score) {
        GroupState& state = table[key];
        (previous ? state.previous : state.current).Update(metric_score);
      });
      for (std::size_t key = 0; key < table.size(); ++key) {
        if (!table[key].current.Empty(plan.metric, plan.min_score, plan.max_score) ||
            !table[key].previous.Empty(plan.metric, plan.min_score, plan.max_score)) {
          partials[part].emplace(key, table[key]);
        }
      }
    } else {
      GroupMap& groups = partials[part];
      Scan(data, plan, begin, end, [&](std::uint64_t key, bool previous, std::uint8_t metric_score) {
        GroupState& state = groups[key];
        (previous ? state.previous : state.current).Update(metric_score);
      });
    }
  };
  if (parts == 1) {
    run(0);
  } else {
    std::thread helper(run, 1);
    run(0);
    helper.join();
  }
  GroupMap& merged = partials.front();
  for (std::size_t part = 1; part < parts; ++part) {
    for (const auto& [key, state] : partials[part]) merged[key].Combine(state);
  }
  return std::move(merged);
}

std::optional<feedback::Change> Compare(QueryMetric metric, const feedback::MetricSummary& current,
                                        const feedback::MetricSummary& previous) {
  if (metric == QueryMetric::kResponseCount) return std::nullopt;
  return feedback::CompareSummaries(current, previous);
}

std::string KeyValue(const TenantData& data, const Plan::KeyPart& part, std::uint64_t key, int bits) {
  const std::uint64_t code = (key >> part.shift) & ((std::uint64_t{1} << bits) - 1);
  if (part.dimension) return data.dictionaries[*part.dimension].Value(static_cast<std::uint32_t>(code));
  if (part.trait) return part.trait->values.Value(static_cast<std::uint32_t>(code));
  return "";
}

json IntervalJson(const std::optional<feedback::Interval>& interval) {
  if (!interval) return nullptr;
  return {{"low", interval->low}, {"high", interval->high}, {"level", 0.95},
          {"method", std::string(feedback::IntervalMethodName(interval->method))}};
}

template <typename T>
json OptionalJson(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json SummaryJson(QueryMetric metric, const feedback::MetricSummary& summary) {
  json out = {{"n", summary.count}};
  switch (metric) {
    case QueryMetric::kNps:
      out["value"] = OptionalJson(summary.nps);
      out["interval"] = IntervalJson(summary.nps_interval);
      out["promoters_pct"] = OptionalJson(summary.promoters_pct);
      out["passives_pct"] = OptionalJson(summary.passives_pct);
      out["detractors_pct"] = OptionalJson(summary.detractors_pct);
      break;
    case QueryMetric::kCsat:
      out["value"] = OptionalJson(summary.satisfied_pct);
      out["interval"] = IntervalJson(summary.satisfied_interval);
      out["mean"] = OptionalJson(summary.mean);
      out["mean_interval"] = IntervalJson(summary.mean_interval);
      break;
    case QueryMetric::kCes:
      out["value"] = OptionalJson(summary.mean);
      out["interval"] = IntervalJson(summary.mean_interval);
      break;
    case QueryMetric::kResponseCount:
      out["value"] = summary.count;
      out["interval"] = nullptr;
      break;
  }
  return out;
}

json ChangeJson(const std::optional<feedback::Change>& change) {
  if (!change) return nullptr;
  return {{"test", std::string(feedback::ChangeTestName(change->test))},
          {"difference", change->difference},
          {"standard_error", OptionalJson(change->standard_error)},
          {"statistic", OptionalJson(change->statistic)},
          {"degrees_of_freedom", OptionalJson(change->degrees_of_freedom)},
          {"p_value", OptionalJson(change->p_value)},
          {"significant", OptionalJson(change->significant)}};
}

}  // namespace

std::string_view QueryMetricName(QueryMetric metric) { return kMetricNames[static_cast<std::size_t>(metric)]; }

Result<Dimension> ParseDimension(std::string_view name, const std::string& field) {
  Dimension dimension{.name = std::string(name)};
  for (std::size_t dimension_idx = 0; dimension_idx < kRowDimensions; ++dimension_idx) {
    if (name == RowDimensionName(static_cast<RowDimension>(dimension_idx))) {
      dimension.row = static_cast<RowDimension>(dimension_idx);
      return dimension;
    }
  }
  if (name == "segment" || name == "country") {
    dimension.trait = std::string(name);
    return dimension;
  }
  constexpr std::string_view kTraitPrefix = "trait.";
  if (name.starts_with(kTraitPrefix) && name.size() > kTraitPrefix.size() && name.size() <= 200) {
    dimension.trait = std::string(name.substr(kTraitPrefix.size()));
    return dimension;
  }
  return InvalidArgument("unknown dimension \"" + std::string(name.substr(0, 100)) +
                             "\"; one of touchpoint, stage, channel, survey, language, team, agent, segment, "
                             "country, trait.NAME",
                         field);
}

Result<Query> ParseQuery(const json& body, Micros now) {
  if (!body.is_object()) return InvalidArgument("the query must be a JSON object", "");
  TP_RETURN_IF_ERROR(OnlyFields(body, {"metric", "group_by", "bucket", "time_zone", "filters", "time", "compare"}, ""));
  Query query;
  if (!body.contains("metric")) return InvalidArgument("is required", "metric");
  TP_ASSIGN_OR_RETURN(std::string metric, StringField(body["metric"], "metric"));
  const auto* metric_name = std::find(std::begin(kMetricNames), std::end(kMetricNames), metric);
  if (metric_name == std::end(kMetricNames)) {
    return InvalidArgument("must be one of nps, csat, ces, response_count", "metric");
  }
  query.metric = static_cast<QueryMetric>(metric_name - std::begin(kMetricNames));
  if (body.contains("group_by")) {
    const json& group_by = body["group_by"];
    if (!group_by.is_array() || group_by.size() > kMaxGroupBy) {
      return InvalidArgument("must be an array of at most 3 dimensions", "group_by");
    }
    for (std::size_t group_idx = 0; group_idx < group_by.size(); ++group_idx) {
      const std::string field = "group_by[" + std::to_string(group_idx) + "]";
      TP_ASSIGN_OR_RETURN(std::string name, StringField(group_by[group_idx], field));
      TP_ASSIGN_OR_RETURN(Dimension dimension, ParseDimension(name, field));
      for (const Dimension& earlier : query.group_by) {
        if (earlier.name == dimension.name) return InvalidArgument("names a dimension twice", field);
      }
      query.group_by.push_back(std::move(dimension));
    }
  }
  if (body.contains("bucket")) {
    TP_ASSIGN_OR_RETURN(std::string bucket, StringField(body["bucket"], "bucket"));
    const auto* bucket_name = std::find(std::begin(kBucketNames), std::end(kBucketNames), bucket);
    if (bucket_name == std::end(kBucketNames)) return InvalidArgument("must be one of day, week, month, quarter", "bucket");
    query.bucket = static_cast<TimeBucket>(bucket_name - std::begin(kBucketNames));
  }
  if (body.contains("time_zone")) {
    TP_ASSIGN_OR_RETURN(query.time_zone, StringField(body["time_zone"], "time_zone"));
    if (!LocateZone(query.time_zone)) return InvalidArgument("unknown IANA time zone", "time_zone");
  }
  if (body.contains("filters")) {
    const json& filters = body["filters"];
    if (!filters.is_array() || filters.size() > kMaxFilters) {
      return InvalidArgument("must be an array of at most 20 filters", "filters");
    }
    for (std::size_t filter_idx = 0; filter_idx < filters.size(); ++filter_idx) {
      TP_ASSIGN_OR_RETURN(Filter filter, ParseFilter(filters[filter_idx], "filters[" + std::to_string(filter_idx) + "]"));
      query.filters.push_back(std::move(filter));
    }
  }
  if (body.contains("time")) {
    const json& time = body["time"];
    if (!time.is_object()) return InvalidArgument("must be an object", "time");
    TP_RETURN_IF_ERROR(OnlyFields(time, {"since", "until", "last_days"}, "time"));
    if (time.contains("last_days")) {
      if (time.contains("since")) return InvalidArgument("give since or last_days, not both", "time.since");
      const json& days = time["last_days"];
      if (!days.is_number_integer() || days.get<std::int64_t>() < 1 || days.get<std::int64_t>() > 36600) {
        return InvalidArgument("must be a whole number of days from 1 to 36600", "time.last_days");
      }
      TP_ASSIGN_OR_RETURN(Micros until, time.contains("until") ? TimeField(time["until"], "time.until") : Result<Micros>(now));
      query.until = until;
      query.since = until - days.get<std::int64_t>() * kMicrosPerDay;
    } else {
      if (time.contains("since")) { TP_ASSIGN_OR_RETURN(query.since, TimeField(time["since"], "time.since")); }
      if (time.contains("until")) { TP_ASSIGN_OR_RETURN(query.until, TimeField(time["until"], "time.until")); }
    }
    if (query.since && query.until && *query.until <= *query.since) {
      return InvalidArgument("must be after since", "time.until");
    }
  }
  if (body.contains("compare")) {
    TP_ASSIGN_OR_RETURN(std::string compare, StringField(body["compare"], "compare"));
    if (compare != "previous_period") return InvalidArgument("must be previous_period", "compare");
    if (!query.since) return FailedPrecondition("comparing needs a window with a start: time.since or time.last_days", "compare");
    if (!query.until) query.until = std::max(now, *query.since + 1);
    query.compare_previous = true;
  }
  return query;
}

Result<QueryResult> RunQuery(const TenantData& data, const Query& query) {
  TP_ASSIGN_OR_RETURN(Plan plan, Compile(data, query));
  QueryResult result{.query = query};
  for (const Dimension& dimension : query.group_by) result.columns.push_back(dimension.name);
  if (query.bucket) result.columns.emplace_back(kBucketNames[static_cast<std::size_t>(*query.bucket)]);
  GroupMap groups;
  if (!plan.matches_nothing && data.rows > 0) groups = Aggregate(data, plan);

  GroupState total;
  std::vector<int> bits;
  for (std::size_t part_idx = 0; part_idx < plan.key_parts.size(); ++part_idx) {
    const int next = part_idx + 1 < plan.key_parts.size() ? plan.key_parts[part_idx + 1].shift
                                                         : (plan.buckets ? plan.bucket_shift : plan.key_bits);
    bits.push_back(next - plan.key_parts[part_idx].shift);
  }
  for (const auto& [key, state] : groups) {
    // A hash-map group may hold only rows of other metrics or scores: not a group of this answer.
    if (state.current.Empty(plan.metric, plan.min_score, plan.max_score) &&
        state.previous.Empty(plan.metric, plan.min_score, plan.max_score)) {
      continue;
    }
    total.Combine(state);
    GroupValue value;
    for (std::size_t part_idx = 0; part_idx < plan.key_parts.size(); ++part_idx) {
      value.keys.push_back(KeyValue(data, plan.key_parts[part_idx], key, bits[part_idx]));
    }
    if (plan.buckets) {
      const std::uint64_t bucket = key >> plan.bucket_shift;
      value.keys.push_back(plan.buckets->labels[static_cast<std::size_t>(bucket)]);
    }
    value.summary = state.current.Finalize(query.metric, plan.min_score, plan.max_score);
    if (plan.compare) {
      value.previous = state.previous.Finalize(query.metric, plan.min_score, plan.max_score);
      value.change = Compare(query.metric, value.summary, *value.previous);
    }
    result.groups.push_back(std::move(value));
  }
  std::sort(result.groups.begin(), result.groups.end(),
            [](const GroupValue& a, const GroupValue& b) { return a.keys < b.keys; });
  result.total = total.current.Finalize(query.metric, plan.min_score, plan.max_score);
  if (plan.compare || query.compare_previous) {
    result.previous_total = total.previous.Finalize(query.metric, plan.min_score, plan.max_score);
    result.total_change = Compare(query.metric, result.total, *result.previous_total);
  }
  return result;
}

Result<QueryResult> RunQuery(const Engine& engine, const std::string& tenant_id, const Query& query) {
  std::optional<QueryResult> result;
  TP_RETURN_IF_ERROR(engine.Read(tenant_id, [&](const TenantData& data) -> Status {
    TP_ASSIGN_OR_RETURN(result, RunQuery(data, query));
    return Status::Ok();
  }));
  return std::move(*result);
}

json QueryResultJson(const QueryResult& result) {
  const QueryMetric metric = result.query.metric;
  json groups = json::array();
  for (const GroupValue& group : result.groups) {
    json keys = json::object();
    for (std::size_t column = 0; column < result.columns.size(); ++column) keys[result.columns[column]] = group.keys[column];
    json item = SummaryJson(metric, group.summary);
    item["keys"] = std::move(keys);
    if (group.previous) {
      item["previous"] = SummaryJson(metric, *group.previous);
      item["change"] = ChangeJson(group.change);
    }
    groups.push_back(std::move(item));
  }
  json body = {{"metric", std::string(QueryMetricName(metric))},
               {"columns", result.columns},
               {"groups", std::move(groups)},
               {"total", SummaryJson(metric, result.total)},
               {"time_zone", result.query.time_zone}};
  body["period"] = {{"since", result.query.since ? json(FormatTimestamp(*result.query.since)) : json(nullptr)},
                    {"until", result.query.until ? json(FormatTimestamp(*result.query.until)) : json(nullptr)}};
  if (result.previous_total) {
    const Micros length = *result.query.until - *result.query.since;
    body["previous_period"] = {{"since", FormatTimestamp(*result.query.since - length)},
                               {"until", FormatTimestamp(*result.query.since)}};
    body["previous_total"] = SummaryJson(metric, *result.previous_total);
    body["change"] = ChangeJson(result.total_change);
  }
  return body;
}

}  // namespace tp::analytics
