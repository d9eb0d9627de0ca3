#include "sla/sla.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

namespace tp::sla {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxMatchTraits = 20;
// The end of an interval that lasts as long as the case keeps its current status.
constexpr Micros kOpenEnd = std::numeric_limits<Micros>::max();

// The field name of one error, turned into `field` (ParseCasePriority and friends name their own).
template <typename T>
Result<T> Refield(Result<T> result, const std::string& field) {
  if (result.ok()) return result;
  return InvalidArgument(result.status().message(), field);
}

template <typename T>
Result<std::vector<T>> ParseNameList(const json& list, const std::string& field, Result<T> (*parse)(std::string_view)) {
  if (!list.is_array()) return InvalidArgument(field + " must be a list of names", field);
  std::vector<T> out;
  for (const json& name : list) {
    if (!name.is_string()) return InvalidArgument(field + " must be a list of names", field);
    TP_ASSIGN_OR_RETURN(T value, Refield(parse(name.get<std::string>()), field));
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(value);
  }
  return out;
}

Result<Channel> ParseChannelName(std::string_view name) { return ParseChannel(name); }

bool CountsTime(cases::CaseStatus status) {
  return status == cases::CaseStatus::kNew || status == cases::CaseStatus::kOpen;
}
bool IsDone(cases::CaseStatus status) {
  return status == cases::CaseStatus::kSolved || status == cases::CaseStatus::kClosed;
}

// A stretch of the case's life with one status: [from, to).
struct StatusInterval {
  Micros from = 0;
  Micros to = kOpenEnd;
  cases::CaseStatus status = cases::CaseStatus::kNew;
};

std::vector<StatusInterval> IntervalsOf(const CaseFacts& facts) {
  std::vector<StatusInterval> intervals;
  if (facts.statuses.empty()) {
    intervals.push_back({facts.created_at, kOpenEnd, cases::CaseStatus::kNew});
    return intervals;
  }
  for (std::size_t change_idx = 0; change_idx < facts.statuses.size(); ++change_idx) {
    const StatusChange& change = facts.statuses[change_idx];
    const Micros to = change_idx + 1 < facts.statuses.size() ? facts.statuses[change_idx + 1].at : kOpenEnd;
    intervals.push_back({std::min(change.at, to), to, change.status});
  }
  return intervals;
}

// One clock: `target` of business time counted from `start` while the case counts time, stopped by
// `met_at` when given.
Result<MetricState> RunClock(const calendars::BusinessCalendar& calendar, const std::vector<StatusInterval>& intervals,
                             Micros start, Micros target, std::optional<Micros> met_at, Micros now) {
  MetricState state;
  state.active = true;
  state.met_at = met_at;
  Micros remaining = target;
  const Micros walk_end = met_at.value_or(kOpenEnd);
  for (const StatusInterval& interval : intervals) {
    const Micros from = std::max(interval.from, start);
    const Micros to = std::min(interval.to, walk_end);
    if (to <= from || !CountsTime(interval.status)) continue;
    const Micros open_time = to == kOpenEnd ? kOpenEnd : calendars::BusinessTimeBetween(calendar, from, to);
    if (open_time >= remaining) {
      TP_ASSIGN_OR_RETURN(Micros due, calendars::AddBusinessTime(calendar, from, remaining));
      state.due_at = due;
      remaining = 0;
      break;
    }
    remaining -= open_time;
  }
  if (met_at) {
    // Met before the clock ran out: the due is where it would have been had the case kept counting.
    if (!state.due_at) {
      TP_ASSIGN_OR_RETURN(Micros due, calendars::AddBusinessTime(calendar, *met_at, remaining));
      state.due_at = due;
    }
    state.breached = *met_at > *state.due_at;
    return state;
  }
  if (state.due_at) {
    state.breached = now >= *state.due_at;
    return state;
  }
  // The clock stopped before the target ran out: paused while pending, nothing due once solved.
  if (!intervals.empty() && intervals.back().status == cases::CaseStatus::kPending) {
    state.paused = true;
    state.remaining = remaining;
  }
  return state;
}

// When the case's latest solved (or closed) stretch began, if it is solved or closed now.
std::optional<Micros> ResolvedAt(const std::vector<StatusInterval>& intervals) {
  std::optional<Micros> resolved_at;
  for (auto interval = intervals.rbegin(); interval != intervals.rend() && IsDone(interval->status); ++interval) {
    resolved_at = interval->from;
  }
  return resolved_at;
}

Result<MetricState> NextResponse(const calendars::BusinessCalendar& calendar,
                                 const std::vector<StatusInterval>& intervals, const CaseFacts& facts, Micros target,
                                 Micros now) {
  MetricState latest;
  bool any_breached = false;
  bool replied = false;
  // The oldest customer message nobody answered yet (a plain value: GCC misreads an optional here).
  bool waiting = false;
  Micros waiting_since = 0;
  for (const ConversationEvent& event : facts.conversation) {
    if (event.from_customer) {
      // Messages before the first reply are the first response's business.
      if (replied && !waiting) {
        waiting = true;
        waiting_since = event.at;
      }
      continue;
    }
    replied = true;
    if (waiting) {
      TP_ASSIGN_OR_RETURN(latest, RunClock(calendar, intervals, waiting_since, target, event.at, now));
      any_breached = any_breached || latest.breached;
      waiting = false;
    }
  }
  if (waiting) {
    TP_ASSIGN_OR_RETURN(latest, RunClock(calendar, intervals, waiting_since, target, std::nullopt, now));
    any_breached = any_breached || latest.breached;
  }
  latest.breached = any_breached;
  return latest;
}

}  // namespace

std::string_view MetricName(Metric metric) {
  switch (metric) {
    case Metric::kFirstResponse: return "first_response";
    case Metric::kNextResponse: return "next_response";
    case Metric::kResolution: return "resolution";
  }
  return "";
}

std::optional<std::int64_t> Targets::MinutesFor(Metric metric) const {
  switch (metric) {
    case Metric::kFirstResponse: return first_response_minutes;
    case Metric::kNextResponse: return next_response_minutes;
    case Metric::kResolution: return resolution_minutes;
  }
  return std::nullopt;
}

Result<PolicyMatch> ParsePolicyMatch(const json& input) {
  if (!input.is_object()) return InvalidArgument("match must be an object", "match");
  PolicyMatch match;
  for (const auto& [key, value] : input.items()) {
    const std::string field = "match." + key;
    if (key == "priorities") {
      TP_ASSIGN_OR_RETURN(match.priorities, ParseNameList<cases::CasePriority>(value, field, cases::ParseCasePriority));
    } else if (key == "types") {
      TP_ASSIGN_OR_RETURN(match.types, ParseNameList<cases::CaseType>(value, field, cases::ParseCaseType));
    } else if (key == "channels") {
      TP_ASSIGN_OR_RETURN(match.channels, ParseNameList<Channel>(value, field, ParseChannelName));
    } else if (key == "customer_traits") {
      if (!value.is_object()) return InvalidArgument(field + " must be an object of trait values", field);
      if (value.size() > kMaxMatchTraits) {
        return InvalidArgument(field + " may name at most " + std::to_string(kMaxMatchTraits) + " traits", field);
      }
      for (const auto& [name, trait] : value.items()) {
        if (name.empty() || trait.is_object() || trait.is_array()) {
          return InvalidArgument(field + " values must be strings, numbers, booleans or null", field);
        }
        match.customer_traits.emplace(name, trait);
      }
    } else {
      return InvalidArgument("unknown field " + field, field);
    }
  }
  return match;
}

json PolicyMatchJson(const PolicyMatch& match) {
  json out = json::object();
  if (!match.priorities.empty()) {
    out["priorities"] = json::array();
    for (cases::CasePriority priority : match.priorities)
      out["priorities"].push_back(cases::CasePriorityName(priority));
  }
  if (!match.types.empty()) {
    out["types"] = json::array();
    for (cases::CaseType type : match.types) out["types"].push_back(cases::CaseTypeName(type));
  }
  if (!match.channels.empty()) {
    out["channels"] = json::array();
    for (Channel channel : match.channels) out["channels"].push_back(ChannelName(channel));
  }
  if (!match.customer_traits.empty()) {
    out["customer_traits"] = json::object();
    for (const auto& [name, value] : match.customer_traits) out["customer_traits"][name] = value;
  }
  return out;
}

Result<std::map<cases::CasePriority, Targets>> ParseTargets(const json& input) {
  if (!input.is_object()) return InvalidArgument("targets must be an object keyed by priority", "targets");
  std::map<cases::CasePriority, Targets> out;
  for (const auto& [priority_name, entry] : input.items()) {
    const std::string field = "targets." + priority_name;
    TP_ASSIGN_OR_RETURN(cases::CasePriority priority, Refield(cases::ParseCasePriority(priority_name), field));
    if (!entry.is_object()) return InvalidArgument(field + " must be an object of minutes", field);
    Targets targets;
    for (const auto& [key, minutes] : entry.items()) {
      const std::string minutes_field = field + "." + key;
      std::optional<std::int64_t>* slot = key == "first_response_minutes"  ? &targets.first_response_minutes
                                          : key == "next_response_minutes" ? &targets.next_response_minutes
                                          : key == "resolution_minutes"    ? &targets.resolution_minutes
                                          : key == "warn_before_minutes"   ? &targets.warn_before_minutes
                                                                           : nullptr;
      if (slot == nullptr) return InvalidArgument("unknown field " + minutes_field, minutes_field);
      if (!minutes.is_number_integer() || minutes.get<std::int64_t>() < 1 ||
          minutes.get<std::int64_t>() > kMaxTargetMinutes) {
        return InvalidArgument(
            minutes_field + " must be a whole number of minutes from 1 to " + std::to_string(kMaxTargetMinutes),
            minutes_field);
      }
      *slot = minutes.get<std::int64_t>();
    }
    const bool has_target = targets.first_response_minutes || targets.next_response_minutes || targets.resolution_minutes;
    if (!has_target && targets.warn_before_minutes) {
      return InvalidArgument(field + ".warn_before_minutes needs a target to warn of", field + ".warn_before_minutes");
    }
    if (has_target) out[priority] = targets;
  }
  if (out.empty()) return InvalidArgument("targets must give at least one priority a target", "targets");
  return out;
}

json TargetsJson(const std::map<cases::CasePriority, Targets>& targets) {
  json out = json::object();
  for (const auto& [priority, entry] : targets) {
    json item = json::object();
    for (Metric metric : kMetrics) {
      if (const auto minutes = entry.MinutesFor(metric)) item[std::string(MetricName(metric)) + "_minutes"] = *minutes;
    }
    if (entry.warn_before_minutes) item["warn_before_minutes"] = *entry.warn_before_minutes;
    out[std::string(cases::CasePriorityName(priority))] = std::move(item);
  }
  return out;
}

bool Matches(const PolicyMatch& match, const MatchFacts& facts) {
  const auto contains = [](const auto& values, const auto& value) {
    return values.empty() || std::find(values.begin(), values.end(), value) != values.end();
  };
  if (!contains(match.priorities, facts.priority) || !contains(match.types, facts.type) ||
      !contains(match.channels, facts.channel)) {
    return false;
  }
  for (const auto& [name, value] : match.customer_traits) {
    if (!facts.customer_traits.is_object()) return false;
    const auto trait = facts.customer_traits.find(name);
    if (trait == facts.customer_traits.end() || *trait != value) return false;
  }
  return true;
}

const Policy* MatchPolicy(std::span<const Policy> policies, const MatchFacts& facts) {
  const Policy* best = nullptr;
  for (const Policy& policy : policies) {
    if (!Matches(policy.match, facts)) continue;
    if (best == nullptr || std::tie(policy.position, policy.id) < std::tie(best->position, best->id)) best = &policy;
  }
  return best;
}

json CaseFactsJson(const CaseFacts& facts) {
  json statuses = json::array();
  for (const StatusChange& change : facts.statuses) {
    statuses.push_back(json::array({change.at, cases::CaseStatusName(change.status)}));
  }
  // The conversation as [at, "c" | "r"]: customer message or reply.
  json conversation = json::array();
  for (const ConversationEvent& event : facts.conversation) {
    conversation.push_back(json::array({event.at, event.from_customer ? "c" : "r"}));
  }
  json out = {
      {"created_at", facts.created_at}, {"statuses", std::move(statuses)}, {"conversation", std::move(conversation)}};
  if (facts.first_response_at) out["first_response_at"] = *facts.first_response_at;
  return out;
}

Result<CaseFacts> ParseCaseFacts(const json& input) {
  const Status bad = Internal("stored SLA facts are not in the expected shape");
  if (!input.is_object() || !input.contains("created_at") || !input["created_at"].is_number_integer()) return bad;
  CaseFacts facts;
  facts.created_at = input["created_at"].get<Micros>();
  if (input.contains("first_response_at")) {
    if (!input["first_response_at"].is_number_integer()) return bad;
    facts.first_response_at = input["first_response_at"].get<Micros>();
  }
  const auto pairs = [&](const char* key) { return input.contains(key) && input[key].is_array(); };
  if (!pairs("statuses") || !pairs("conversation")) return bad;
  for (const json& change : input["statuses"]) {
    if (!change.is_array() || change.size() != 2 || !change[0].is_number_integer() || !change[1].is_string()) {
      return bad;
    }
    Result<cases::CaseStatus> status = cases::ParseCaseStatus(change[1].get<std::string>());
    if (!status.ok()) return bad;
    facts.statuses.push_back({change[0].get<Micros>(), *status});
  }
  for (const json& event : input["conversation"]) {
    if (!event.is_array() || event.size() != 2 || !event[0].is_number_integer() || !event[1].is_string()) return bad;
    facts.conversation.push_back({event[0].get<Micros>(), event[1] == "c"});
  }
  return facts;
}

const MetricState& SlaState::Of(Metric metric) const {
  switch (metric) {
    case Metric::kFirstResponse: return first_response;
    case Metric::kNextResponse: return next_response;
    case Metric::kResolution: break;
  }
  return resolution;
}

MetricState& SlaState::Of(Metric metric) { return const_cast<MetricState&>(std::as_const(*this).Of(metric)); }

Result<SlaState> ComputeSla(const Targets& targets, const calendars::BusinessCalendar& calendar, const CaseFacts& facts,
                            Micros now) {
  const std::vector<StatusInterval> intervals = IntervalsOf(facts);
  SlaState state;
  if (const auto minutes = targets.first_response_minutes) {
    TP_ASSIGN_OR_RETURN(state.first_response,
                        RunClock(calendar, intervals, facts.created_at, *minutes * kMicrosPerMinute,
                                 facts.first_response_at, now));
  }
  if (const auto minutes = targets.next_response_minutes) {
    TP_ASSIGN_OR_RETURN(state.next_response,
                        NextResponse(calendar, intervals, facts, *minutes * kMicrosPerMinute, now));
  }
  if (const auto minutes = targets.resolution_minutes) {
    TP_ASSIGN_OR_RETURN(state.resolution, RunClock(calendar, intervals, facts.created_at,
                                                   *minutes * kMicrosPerMinute, ResolvedAt(intervals), now));
  }
  // Nothing is due while the case does not count time: pending pauses, solved and closed stop.
  if (!CountsTime(intervals.back().status)) return state;
  for (Metric metric : kMetrics) {
    MetricState& metric_state = state.Of(metric);
    if (!metric_state.active || metric_state.met_at || !metric_state.due_at) continue;
    const Micros due = *metric_state.due_at;
    if (!state.next_due_at || due < *state.next_due_at) state.next_due_at = due;
    if (metric_state.breached) continue;
    if (targets.warn_before_minutes) metric_state.warning_at = due - *targets.warn_before_minutes * kMicrosPerMinute;
    // The check runs at the warning first, then at the due.
    const Micros check = metric_state.warning_at && now < *metric_state.warning_at ? *metric_state.warning_at : due;
    if (!state.next_check_at || check < *state.next_check_at) state.next_check_at = check;
  }
  return state;
}

}  // namespace tp::sla
