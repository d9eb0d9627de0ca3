#include "sla/sla.h"
#include "sla/test_support.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace tp::sla {
namespace {

using cases::CasePriority;
using cases::CaseStatus;
using cases::CaseType;
using nlohmann::json;


// Monday to Friday 09:00-17:00 UTC. 2026-12-04 is a Friday, 2026-12-07 a Monday.
calendars::BusinessCalendar WorkWeek() {
  Result<calendars::BusinessCalendar> calendar = calendars::ParseCalendar(json::parse(R"({"time_zone": "UTC",
      "hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]], "wed": [["09:00", "17:00"]],
                "thu": [["09:00", "17:00"]], "fri": [["09:00", "17:00"]]}})"));
  if (!calendar.ok()) throw std::runtime_error(calendar.status().ToString());
  return std::move(calendar).value();
}

SlaState Compute(const Targets& targets, const calendars::BusinessCalendar& calendar, const CaseFacts& facts,
                 Micros now) {
  Result<SlaState> state = ComputeSla(targets, calendar, facts, now);
  if (!state.ok()) throw std::runtime_error(state.status().ToString());
  return std::move(state).value();
}

const Micros kT = At("2026-12-02T10:00:00Z");  // a Wednesday, inside business hours
const calendars::BusinessCalendar kAlwaysOpen = calendars::AlwaysOpenCalendar();

TEST(ComputeSla, AnUnansweredCaseIsDueTargetMinutesAfterCreation) {
  const CaseFacts facts{.created_at = kT, .statuses = {{kT, CaseStatus::kNew}}};
  const SlaState state = Compute({.first_response_minutes = 60}, kAlwaysOpen, facts, kT + 30 * kMicrosPerMinute);
  EXPECT_TRUE(state.first_response.active);
  EXPECT_EQ(state.first_response.due_at, kT + 60 * kMicrosPerMinute);
  EXPECT_FALSE(state.first_response.met_at);
  EXPECT_FALSE(state.first_response.breached);
  EXPECT_EQ(state.next_due_at, kT + 60 * kMicrosPerMinute);
  EXPECT_EQ(state.next_check_at, kT + 60 * kMicrosPerMinute);
  // Metrics without a target are not running.
  EXPECT_FALSE(state.next_response.active);
  EXPECT_FALSE(state.resolution.active);
}

TEST(ComputeSla, ARunningTargetWarnsItsLeadBeforeTheDue) {
  const CaseFacts facts{.created_at = kT, .statuses = {{kT, CaseStatus::kNew}}};
  const Targets targets{.first_response_minutes = 60, .resolution_minutes = 240, .warn_before_minutes = 15};
  SlaState early = Compute(targets, kAlwaysOpen, facts, kT + 10 * kMicrosPerMinute);
  EXPECT_EQ(early.first_response.warning_at, kT + 45 * kMicrosPerMinute);
  EXPECT_EQ(early.resolution.warning_at, kT + 225 * kMicrosPerMinute);
  EXPECT_EQ(early.next_check_at, kT + 45 * kMicrosPerMinute);  // the first warning
  EXPECT_EQ(early.next_due_at, kT + 60 * kMicrosPerMinute);
  // Once the warning has come, the next check is the due.
  EXPECT_EQ(Compute(targets, kAlwaysOpen, facts, kT + 50 * kMicrosPerMinute).next_check_at, kT + 60 * kMicrosPerMinute);
  // A breached target warns no more; a met one has nothing to warn of.
  const SlaState late = Compute(targets, kAlwaysOpen, facts, kT + 70 * kMicrosPerMinute);
  EXPECT_TRUE(late.first_response.breached);
  EXPECT_FALSE(late.first_response.warning_at);
  EXPECT_EQ(late.next_check_at, kT + 225 * kMicrosPerMinute);
  const CaseFacts answered{.created_at = kT, .statuses = {{kT, CaseStatus::kOpen}}, .first_response_at = kT + kMicrosPerMinute};
  EXPECT_FALSE(Compute(targets, kAlwaysOpen, answered, kT + 50 * kMicrosPerMinute).first_response.warning_at);
  // Without a lead there are no warnings.
  EXPECT_FALSE(Compute({.first_response_minutes = 60}, kAlwaysOpen, facts, kT).first_response.warning_at);
}

TEST(ParseTargets, TakesAWarningLeadOnlyBesideATarget) {
  Result<std::map<CasePriority, Targets>> parsed =
      ParseTargets(json::parse(R"({"urgent": {"first_response_minutes": 30, "warn_before_minutes": 10}})"));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->at(CasePriority::kUrgent).warn_before_minutes, 10);
  EXPECT_EQ(TargetsJson(*parsed), json::parse(R"({"urgent": {"first_response_minutes": 30, "warn_before_minutes": 10}})"));
  EXPECT_EQ(ParseTargets(json::parse(R"({"urgent": {"warn_before_minutes": 10}})")).status().field(),
            "targets.urgent.warn_before_minutes");
  EXPECT_EQ(ParseTargets(json::parse(R"({"urgent": {"resolution_minutes": 30, "warn_before_minutes": 0}})"))
                .status()
                .field(),
            "targets.urgent.warn_before_minutes");
}

TEST(ComputeSla, BusinessTimeSkipsNightsAndWeekends) {
  const Micros friday_afternoon = At("2026-12-04T16:00:00Z");
  const CaseFacts facts{.created_at = friday_afternoon, .statuses = {{friday_afternoon, CaseStatus::kOpen}}};
  const SlaState state = Compute({.first_response_minutes = 120}, WorkWeek(), facts, friday_afternoon);
  // One hour on Friday, the second on Monday morning.
  EXPECT_EQ(state.first_response.due_at, At("2026-12-07T10:00:00Z"));
  // A case opened on Saturday starts counting on Monday at nine.
  const Micros saturday = At("2026-12-05T12:00:00Z");
  const SlaState weekend = Compute({.first_response_minutes = 30}, WorkWeek(),
                                   {.created_at = saturday, .statuses = {{saturday, CaseStatus::kNew}}}, saturday);
  EXPECT_EQ(weekend.first_response.due_at, At("2026-12-07T09:30:00Z"));
}

TEST(ComputeSla, AReplyBeforeTheDueMeetsTheTargetAndALateOneBreachesIt) {
  const Targets targets{.first_response_minutes = 60};
  CaseFacts facts{.created_at = kT,
                  .statuses = {{kT, CaseStatus::kNew}, {kT + 45 * kMicrosPerMinute, CaseStatus::kOpen}},
                  .first_response_at = kT + 45 * kMicrosPerMinute};
  SlaState state = Compute(targets, kAlwaysOpen, facts, kT + 300 * kMicrosPerMinute);
  EXPECT_EQ(state.first_response.met_at, kT + 45 * kMicrosPerMinute);
  EXPECT_EQ(state.first_response.due_at, kT + 60 * kMicrosPerMinute);
  EXPECT_FALSE(state.first_response.breached);
  EXPECT_FALSE(state.next_due_at);  // nothing left running

  facts.first_response_at = kT + 60 * kMicrosPerMinute;  // exactly at the due time: on time
  EXPECT_FALSE(Compute(targets, kAlwaysOpen, facts, kT + 300 * kMicrosPerMinute).first_response.breached);

  facts.first_response_at = kT + 61 * kMicrosPerMinute;
  state = Compute(targets, kAlwaysOpen, facts, kT + 300 * kMicrosPerMinute);
  EXPECT_TRUE(state.first_response.breached);
  EXPECT_EQ(state.first_response.met_at, kT + 61 * kMicrosPerMinute);
}

TEST(ComputeSla, AnUnmetTargetIsBreachedFromItsDueTimeOn) {
  const CaseFacts facts{.created_at = kT, .statuses = {{kT, CaseStatus::kOpen}}};
  const Targets targets{.first_response_minutes = 60};
  EXPECT_FALSE(Compute(targets, kAlwaysOpen, facts, kT + 60 * kMicrosPerMinute - 1).first_response.breached);
  const SlaState late = Compute(targets, kAlwaysOpen, facts, kT + 60 * kMicrosPerMinute);
  EXPECT_TRUE(late.first_response.breached);
  // Still due (an inbox sorts it first), but no further check is needed.
  EXPECT_EQ(late.next_due_at, kT + 60 * kMicrosPerMinute);
  EXPECT_FALSE(late.next_check_at);
}

TEST(ComputeSla, PendingPausesTheClockAndMovesTheDueLater) {
  const Targets targets{.first_response_minutes = 60, .resolution_minutes = 240};
  CaseFacts facts{.created_at = kT, .statuses = {{kT, CaseStatus::kNew}, {kT + 10 * kMicrosPerMinute, CaseStatus::kPending}}};
  // While pending: nothing due, the business time left is kept.
  SlaState paused = Compute(targets, kAlwaysOpen, facts, kT + 20 * kMicrosPerMinute);
  EXPECT_TRUE(paused.first_response.paused);
  EXPECT_FALSE(paused.first_response.due_at);
  EXPECT_EQ(paused.first_response.remaining, 50 * kMicrosPerMinute);
  EXPECT_TRUE(paused.resolution.paused);
  EXPECT_EQ(paused.resolution.remaining, 230 * kMicrosPerMinute);
  EXPECT_FALSE(paused.next_due_at);
  EXPECT_FALSE(paused.next_check_at);

  // Back to open after 30 minutes: both dues move 30 minutes later.
  facts.statuses.push_back({kT + 40 * kMicrosPerMinute, CaseStatus::kOpen});
  const SlaState resumed = Compute(targets, kAlwaysOpen, facts, kT + 41 * kMicrosPerMinute);
  EXPECT_FALSE(resumed.first_response.paused);
  EXPECT_FALSE(resumed.first_response.remaining);
  EXPECT_EQ(resumed.first_response.due_at, kT + 90 * kMicrosPerMinute);
  EXPECT_EQ(resumed.resolution.due_at, kT + 270 * kMicrosPerMinute);
  EXPECT_EQ(resumed.next_due_at, kT + 90 * kMicrosPerMinute);
}

TEST(ComputeSla, APauseMovesTheDueByTheBusinessTimeItLasted) {
  // Pending from Wednesday 16:30 to Thursday 10:00 pauses 1.5 business hours (the night is closed anyway).
  const Micros created = At("2026-12-02T16:00:00Z");
  const CaseFacts facts{.created_at = created,
                        .statuses = {{created, CaseStatus::kOpen},
                                     {At("2026-12-02T16:30:00Z"), CaseStatus::kPending},
                                     {At("2026-12-03T10:00:00Z"), CaseStatus::kOpen}}};
  const SlaState state = Compute({.resolution_minutes = 120}, WorkWeek(), facts, At("2026-12-03T10:00:00Z"));
  // 30 minutes before the pause, 90 after it: Thursday 11:30 instead of 10:00.
  EXPECT_EQ(state.resolution.due_at, At("2026-12-03T11:30:00Z"));
}

TEST(ComputeSla, ABreachBeforeThePauseStaysABreach) {
  const CaseFacts facts{.created_at = kT,
                        .statuses = {{kT, CaseStatus::kOpen}, {kT + 90 * kMicrosPerMinute, CaseStatus::kPending}}};
  const SlaState state = Compute({.first_response_minutes = 60}, kAlwaysOpen, facts, kT + 100 * kMicrosPerMinute);
  EXPECT_TRUE(state.first_response.breached);
  EXPECT_FALSE(state.first_response.paused);
  EXPECT_EQ(state.first_response.due_at, kT + 60 * kMicrosPerMinute);
  EXPECT_FALSE(state.next_due_at);  // paused cases are not in the inbox order
}

TEST(ComputeSla, NextResponseRunsFromTheFirstUnansweredCustomerMessageAfterAReply) {
  const Targets targets{.next_response_minutes = 30};
  CaseFacts facts{.created_at = kT,
                  .statuses = {{kT, CaseStatus::kNew}, {kT + 10 * kMicrosPerMinute, CaseStatus::kOpen}},
                  .first_response_at = kT + 10 * kMicrosPerMinute,
                  .conversation = {{kT, true}, {kT + 5 * kMicrosPerMinute, true}, {kT + 10 * kMicrosPerMinute, false}}};
  // Customer messages before the first reply belong to the first response.
  SlaState state = Compute(targets, kAlwaysOpen, facts, kT + 20 * kMicrosPerMinute);
  EXPECT_FALSE(state.next_response.active);
  EXPECT_FALSE(state.next_due_at);

  // Two customer messages: the clock runs from the older one.
  facts.conversation.push_back({kT + 100 * kMicrosPerMinute, true});
  facts.conversation.push_back({kT + 110 * kMicrosPerMinute, true});
  state = Compute(targets, kAlwaysOpen, facts, kT + 115 * kMicrosPerMinute);
  EXPECT_TRUE(state.next_response.active);
  EXPECT_EQ(state.next_response.due_at, kT + 130 * kMicrosPerMinute);
  EXPECT_EQ(state.next_due_at, kT + 130 * kMicrosPerMinute);

  facts.conversation.push_back({kT + 120 * kMicrosPerMinute, false});
  state = Compute(targets, kAlwaysOpen, facts, kT + 125 * kMicrosPerMinute);
  EXPECT_EQ(state.next_response.met_at, kT + 120 * kMicrosPerMinute);
  EXPECT_FALSE(state.next_response.breached);
  EXPECT_FALSE(state.next_due_at);
}

TEST(ComputeSla, ABreachedNextResponseCycleStaysBreachedAfterLaterOnTimeReplies) {
  CaseFacts facts{.created_at = kT,
                  .statuses = {{kT, CaseStatus::kOpen}},
                  .first_response_at = kT + kMicrosPerMinute,
                  .conversation = {{kT + kMicrosPerMinute, false},
                                   {kT + 10 * kMicrosPerMinute, true},
                                   {kT + 60 * kMicrosPerMinute, false},  // 50 minutes: late
                                   {kT + 70 * kMicrosPerMinute, true},
                                   {kT + 75 * kMicrosPerMinute, false}}};  // on time
  const SlaState state = Compute({.next_response_minutes = 30}, kAlwaysOpen, facts, kT + 80 * kMicrosPerMinute);
  EXPECT_EQ(state.next_response.met_at, kT + 75 * kMicrosPerMinute);
  EXPECT_EQ(state.next_response.due_at, kT + 100 * kMicrosPerMinute);
  EXPECT_TRUE(state.next_response.breached);
}

TEST(ComputeSla, SolvingMeetsTheResolutionAndStopsEveryClock) {
  const Targets targets{.first_response_minutes = 60, .resolution_minutes = 240};
  CaseFacts facts{.created_at = kT, .statuses = {{kT, CaseStatus::kNew}, {kT + 100 * kMicrosPerMinute, CaseStatus::kSolved}}};
  SlaState state = Compute(targets, kAlwaysOpen, facts, kT + 500 * kMicrosPerMinute);
  EXPECT_EQ(state.resolution.met_at, kT + 100 * kMicrosPerMinute);
  EXPECT_EQ(state.resolution.due_at, kT + 240 * kMicrosPerMinute);
  EXPECT_FALSE(state.resolution.breached);
  // Solved without a reply: the first response was breached at 60 minutes, and nothing is due any more.
  EXPECT_TRUE(state.first_response.breached);
  EXPECT_FALSE(state.first_response.met_at);
  EXPECT_FALSE(state.next_due_at);

  // Closing keeps the time it was solved.
  facts.statuses.push_back({kT + 200 * kMicrosPerMinute, CaseStatus::kClosed});
  EXPECT_EQ(Compute(targets, kAlwaysOpen, facts, kT + 500 * kMicrosPerMinute).resolution.met_at, kT + 100 * kMicrosPerMinute);
}

TEST(ComputeSla, AReopenedCaseGoesOnCountingWithoutTheTimeItWasSolved) {
  const CaseFacts facts{.created_at = kT,
                        .statuses = {{kT, CaseStatus::kOpen},
                                     {kT + 100 * kMicrosPerMinute, CaseStatus::kSolved},
                                     {kT + 1000 * kMicrosPerMinute, CaseStatus::kOpen}}};
  const SlaState state = Compute({.resolution_minutes = 240}, kAlwaysOpen, facts, kT + 1001 * kMicrosPerMinute);
  EXPECT_FALSE(state.resolution.met_at);
  EXPECT_EQ(state.resolution.due_at, kT + 1140 * kMicrosPerMinute);
  EXPECT_FALSE(state.resolution.breached);
  EXPECT_EQ(state.next_due_at, kT + 1140 * kMicrosPerMinute);
}

TEST(ComputeSla, ASolvedCaseWithoutAReplyBeforeItsDueHasNothingDue) {
  const CaseFacts facts{.created_at = kT,
                        .statuses = {{kT, CaseStatus::kNew}, {kT + 10 * kMicrosPerMinute, CaseStatus::kSolved}}};
  const SlaState state = Compute({.first_response_minutes = 60}, kAlwaysOpen, facts, kT + 500 * kMicrosPerMinute);
  EXPECT_TRUE(state.first_response.active);
  EXPECT_FALSE(state.first_response.due_at);
  EXPECT_FALSE(state.first_response.breached);
  EXPECT_FALSE(state.first_response.paused);
}

TEST(ComputeSla, ACalendarWithoutOpenTimeIsAnError) {
  Result<calendars::BusinessCalendar> closed =
      calendars::ParseCalendar(json::parse(R"({"time_zone": "UTC", "hours": {"mon": [["09:00", "10:00"]]}})"));
  ASSERT_TRUE(closed.ok());
  const CaseFacts facts{.created_at = kT, .statuses = {{kT, CaseStatus::kNew}}};
  const Result<SlaState> state = ComputeSla({.first_response_minutes = kMaxTargetMinutes}, *closed, facts, kT);
  EXPECT_EQ(state.status().code(), ErrorCode::kFailedPrecondition);
}

Policy MakePolicy(std::string id, std::int64_t position, PolicyMatch match) {
  return {.id = std::move(id),
          .name = "p",
          .position = position,
          .match = std::move(match),
          .targets = {{CasePriority::kNormal, {.first_response_minutes = 60}}}};
}

TEST(MatchPolicy, TheFirstMatchingPolicyByPositionApplies) {
  const std::vector<Policy> policies = {
      MakePolicy("slp_catch_all", 30, {}),
      MakePolicy("slp_gold_email", 10, {.channels = {Channel::kEmail}, .customer_traits = {{"tier", "gold"}}}),
      MakePolicy("slp_urgent", 20, {.priorities = {CasePriority::kUrgent, CasePriority::kHigh}}),
  };
  const MatchFacts gold_email{
      .priority = CasePriority::kUrgent, .channel = Channel::kEmail, .customer_traits = {{"tier", "gold"}}};
  EXPECT_EQ(MatchPolicy(policies, gold_email)->id, "slp_gold_email");
  // Every part must hold: a gold customer on the phone falls to the next policy.
  MatchFacts gold_phone = gold_email;
  gold_phone.channel = Channel::kPhone;
  EXPECT_EQ(MatchPolicy(policies, gold_phone)->id, "slp_urgent");
  // A trait value must be equal as JSON: "gold" is not ["gold"] or a missing trait.
  EXPECT_EQ(
      MatchPolicy(policies,
                  {.priority = CasePriority::kLow, .channel = Channel::kEmail, .customer_traits = {{"tier", "silver"}}})
          ->id,
      "slp_catch_all");
  EXPECT_EQ(MatchPolicy(policies, {.priority = CasePriority::kLow, .channel = Channel::kEmail})->id, "slp_catch_all");
  EXPECT_EQ(MatchPolicy(std::span<const Policy>(policies).first(2), {.priority = CasePriority::kLow})->id,
            "slp_catch_all");
  EXPECT_EQ(MatchPolicy(std::span<const Policy>(policies).subspan(1), {.priority = CasePriority::kLow}), nullptr);
  // Equal positions: the older id first.
  const std::vector<Policy> tied = {MakePolicy("slp_b", 1, {}), MakePolicy("slp_a", 1, {})};
  EXPECT_EQ(MatchPolicy(tied, {})->id, "slp_a");
}

TEST(MatchPolicy, TypesNarrowTheMatch) {
  const PolicyMatch match{.types = {CaseType::kComplaint}};
  EXPECT_TRUE(Matches(match, {.type = CaseType::kComplaint}));
  EXPECT_FALSE(Matches(match, {.type = CaseType::kQuestion}));
}

std::string FieldOf(const Status& status) { return status.field(); }

TEST(ParsePolicyMatch, ReadsEveryPartAndNamesTheBadField) {
  Result<PolicyMatch> match = ParsePolicyMatch(json::parse(
      R"({"priorities": ["urgent", "high"], "types": ["incident"], "channels": ["WhatsApp"],
          "customer_traits": {"tier": "gold", "vip": true}})"));
  ASSERT_TRUE(match.ok()) << match.status().ToString();
  EXPECT_EQ(match->priorities, (std::vector{CasePriority::kUrgent, CasePriority::kHigh}));
  EXPECT_EQ(match->types, std::vector{CaseType::kIncident});
  EXPECT_EQ(match->channels, std::vector{Channel::kWhatsapp});
  EXPECT_EQ(match->customer_traits.at("vip"), json(true));
  EXPECT_EQ(*ParsePolicyMatch(PolicyMatchJson(*match)), *match);
  EXPECT_EQ(*ParsePolicyMatch(json::object()), PolicyMatch{});

  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::array()).status()), "match");
  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::parse(R"({"priorities": ["asap"]})")).status()), "match.priorities");
  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::parse(R"({"priorities": "urgent"})")).status()), "match.priorities");
  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::parse(R"({"types": ["bug"]})")).status()), "match.types");
  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::parse(R"({"channels": ["fax"]})")).status()), "match.channels");
  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::parse(R"({"customer_traits": {"tier": ["gold"]}})")).status()),
            "match.customer_traits");
  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::parse(R"({"customer_traits": "gold"})")).status()), "match.customer_traits");
  EXPECT_EQ(FieldOf(ParsePolicyMatch(json::parse(R"({"tags": ["x"]})")).status()), "match.tags");
}

TEST(ParseTargets, ReadsMinutesPerPriorityAndNamesTheBadField) {
  Result<std::map<CasePriority, Targets>> targets = ParseTargets(json::parse(
      R"({"urgent": {"first_response_minutes": 30, "resolution_minutes": 240}, "low": {"next_response_minutes": 1440}})"));
  ASSERT_TRUE(targets.ok()) << targets.status().ToString();
  EXPECT_EQ(targets->at(CasePriority::kUrgent), (Targets{.first_response_minutes = 30, .resolution_minutes = 240}));
  EXPECT_EQ(targets->at(CasePriority::kLow), Targets{.next_response_minutes = 1440});
  EXPECT_FALSE(targets->contains(CasePriority::kNormal));
  EXPECT_EQ(*ParseTargets(TargetsJson(*targets)), *targets);

  EXPECT_EQ(FieldOf(ParseTargets(json::array()).status()), "targets");
  EXPECT_EQ(FieldOf(ParseTargets(json::object()).status()), "targets");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"normal": {}})")).status()), "targets");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"critical": {"first_response_minutes": 5}})")).status()),
            "targets.critical");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"high": 5})")).status()), "targets.high");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"high": {"first_response_minutes": 0}})")).status()),
            "targets.high.first_response_minutes");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"high": {"resolution_minutes": -5}})")).status()),
            "targets.high.resolution_minutes");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"high": {"next_response_minutes": 2.5}})")).status()),
            "targets.high.next_response_minutes");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"high": {"resolution_minutes": 527041}})")).status()),
            "targets.high.resolution_minutes");
  EXPECT_EQ(FieldOf(ParseTargets(json::parse(R"({"high": {"reply_minutes": 5}})")).status()),
            "targets.high.reply_minutes");
}

TEST(CaseFacts, RoundTripThroughJson) {
  const CaseFacts facts{.created_at = kT,
                        .statuses = {{kT, CaseStatus::kNew}, {kT + 5, CaseStatus::kPending}},
                        .first_response_at = kT + 5,
                        .conversation = {{kT, true}, {kT + 5, false}}};
  EXPECT_EQ(*ParseCaseFacts(CaseFactsJson(facts)), facts);
  EXPECT_EQ(*ParseCaseFacts(CaseFactsJson(CaseFacts{.created_at = 7})), CaseFacts{.created_at = 7});
  EXPECT_EQ(ParseCaseFacts(json::parse(R"({"created_at": 1, "statuses": [[1, "gone"]], "conversation": []})"))
                .status()
                .code(),
            ErrorCode::kInternal);
}

}  // namespace
}  // namespace tp::sla
