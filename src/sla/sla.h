// Service level agreements for cases, the pure part: which policy applies to a case, and when each of
// its targets is due, met or breached, given what happened to the case and a business calendar.
// Storage, the change-feed subscriber and the jobs are in storage.h; this file knows no store.
//
//   const Policy* policy = MatchPolicy(policies, {.priority = item.priority, .type = item.type,
//                                                 .channel = item.channel, .customer_traits = traits});
//   TP_ASSIGN_OR_RETURN(SlaState state, ComputeSla(policy->targets.at(item.priority), calendar, facts, now));
//   if (state.next_due_at) ... schedule a check at *state.next_due_at ...
//
// Metrics (Zendesk's names):
// - first_response: from the case's creation to the first agent reply (cases::Case::first_response_at).
// - next_response: once the first reply was sent, from each customer message that nobody answered yet
//   to the next agent reply. The state shows the latest such cycle; `breached` stays set once any
//   cycle was breached.
// - resolution: from the case's creation until it is solved (or closed); a reopened case goes on
//   counting from where it stopped.
// Every clock counts business time of the calendar, and only while the case is new or open: time
// while it is pending is a pause (the due moves later by the business time the pause lasted), and a
// solved or closed case has nothing due. A target met exactly at its due time is met on time; an unmet
// target is breached from its due time on.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "calendars/calendars.h"
#include "cases/cases.h"
#include "common/channels.h"
#include "common/clock.h"
#include "common/status.h"

namespace tp::sla {

// A target may be at most a year of business time: a larger one is a typing mistake, and it keeps
// AddBusinessTime well inside its search window.
inline constexpr std::int64_t kMaxTargetMinutes = 366 * 24 * 60;

enum class Metric { kFirstResponse, kNextResponse, kResolution };
inline constexpr std::array kMetrics = {Metric::kFirstResponse, Metric::kNextResponse, Metric::kResolution};
std::string_view MetricName(Metric metric);  // "first_response", "next_response", "resolution"

// Business minutes allowed per metric; a metric without a value has no target.
struct Targets {
  std::optional<std::int64_t> first_response_minutes;
  std::optional<std::int64_t> next_response_minutes;
  std::optional<std::int64_t> resolution_minutes;
  // Wall-clock minutes before a running target's due at which it is near breach (sla.near_breach);
  // none: no warning.
  std::optional<std::int64_t> warn_before_minutes;
  std::optional<std::int64_t> MinutesFor(Metric metric) const;
  friend bool operator==(const Targets&, const Targets&) = default;
};

// Which cases a policy applies to. Every part is optional (empty: any); the parts are ANDed, the
// values inside one part ORed. A trait matches when the customer's trait of that name equals the value
// (JSON equality: "gold" is not 1, 1 is 1.0).
struct PolicyMatch {
  std::vector<cases::CasePriority> priorities;
  std::vector<cases::CaseType> types;
  std::vector<Channel> channels;
  std::map<std::string, nlohmann::json> customer_traits;
  friend bool operator==(const PolicyMatch&, const PolicyMatch&) = default;
};

struct Policy {
  std::string id;  // "slp_…"
  std::string name;
  std::int64_t position = 0;  // the first matching policy by position (then id) applies
  PolicyMatch match;
  std::map<cases::CasePriority, Targets> targets;  // a priority without an entry has no targets
  Micros created_at = 0;
  Micros updated_at = 0;
};

// {"priorities": ["high", "urgent"], "types": ["incident"], "channels": ["email"],
//  "customer_traits": {"tier": "gold"}}; every key optional. kInvalidArgument naming the field:
// "match" (not an object), "match.priorities" / "match.types" / "match.channels" (not a list of
// strings, an unknown name), "match.customer_traits" (not an object, more than 20 traits, a value
// that is an object or a list), "match.<key>" for an unknown key.
Result<PolicyMatch> ParsePolicyMatch(const nlohmann::json& json);
nlohmann::json PolicyMatchJson(const PolicyMatch& match);
// {"urgent": {"first_response_minutes": 60, "resolution_minutes": 480}, "normal": {...}}.
// kInvalidArgument: "targets" (not an object, no priority with a target), "targets.<key>" for an
// unknown priority or an entry that is not an object, "targets.<priority>.<metric>_minutes" for a value
// that is not an integer in 1..kMaxTargetMinutes, "targets.<priority>.<key>" for an unknown key.
Result<std::map<cases::CasePriority, Targets>> ParseTargets(const nlohmann::json& json);
nlohmann::json TargetsJson(const std::map<cases::CasePriority, Targets>& targets);

// What policies are matched on.
struct MatchFacts {
  cases::CasePriority priority = cases::CasePriority::kNormal;
  cases::CaseType type = cases::CaseType::kQuestion;
  Channel channel = Channel::kOther;
  nlohmann::json customer_traits = nlohmann::json::object();
};

bool Matches(const PolicyMatch& match, const MatchFacts& facts);
// The first policy (lowest position, then id) whose match holds; nullptr when none does. `policies`
// may come in any order.
const Policy* MatchPolicy(std::span<const Policy> policies, const MatchFacts& facts);

// The case's status from `at` on.
struct StatusChange {
  Micros at = 0;
  cases::CaseStatus status = cases::CaseStatus::kNew;
  friend bool operator==(const StatusChange&, const StatusChange&) = default;
};

// A customer message or an agent reply (notes do not count), in conversation order.
struct ConversationEvent {
  Micros at = 0;
  bool from_customer = false;
  friend bool operator==(const ConversationEvent&, const ConversationEvent&) = default;
};

// What ComputeSla needs to know about a case; no personal data, so it can be stored beside the state
// and recomputed without reading the conversation again.
struct CaseFacts {
  Micros created_at = 0;
  // In time order; the first entry is the status the case was created with (at created_at). Empty
  // means "new since created_at".
  std::vector<StatusChange> statuses;
  std::optional<Micros> first_response_at;
  std::vector<ConversationEvent> conversation;
  friend bool operator==(const CaseFacts&, const CaseFacts&) = default;
};
nlohmann::json CaseFactsJson(const CaseFacts& facts);
// The inverse of CaseFactsJson; kInternal for a document it did not write.
Result<CaseFacts> ParseCaseFacts(const nlohmann::json& json);

struct MetricState {
  bool active = false;           // the metric has a target and its clock has started
  std::optional<Micros> due_at;  // unset while paused (and for a case solved before it was due)
  std::optional<Micros> met_at;
  bool breached = false;
  bool paused = false;  // the case is pending and the target is neither met nor breached
  // While paused: the business time still left.
  std::optional<Micros> remaining;
  // When a running, unmet target is near breach: its due less the warning lead (Targets::
  // warn_before_minutes); unset without a lead or when nothing is running. Not stored: recomputed.
  std::optional<Micros> warning_at;
  friend bool operator==(const MetricState&, const MetricState&) = default;
};

struct SlaState {
  MetricState first_response;
  MetricState next_response;
  MetricState resolution;
  // The earliest due of an unmet, unpaused target (breached ones included, so that an inbox sorted by
  // it shows them first); unset when nothing is running.
  std::optional<Micros> next_due_at;
  // When the breach check should next run: the earliest warning still to come or due not breached yet.
  std::optional<Micros> next_check_at;
  const MetricState& Of(Metric metric) const;
  MetricState& Of(Metric metric);
  friend bool operator==(const SlaState&, const SlaState&) = default;
};

// The state of every metric as of `now`. Errors from calendars::AddBusinessTime (kFailedPrecondition
// for a calendar without open time for years).
Result<SlaState> ComputeSla(const Targets& targets, const calendars::BusinessCalendar& calendar, const CaseFacts& facts,
                            Micros now);

}  // namespace tp::sla
