#include "rules/rules.h"

#include <gtest/gtest.h>

#include <atomic>

#include "cases/cases.h"
#include "changes/feed.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "feedback/feedback.h"
#include "identity/teams.h"
#include "jobs/jobs.h"
#include "outbound/deliveries.h"
#include "outbound/webhooks.h"
#include "events/events.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "rules/engine.h"
#include "store/testing.h"
#include "surveys/invitations.h"
#include "surveys/surveys.h"

namespace tp::rules {
namespace {

using nlohmann::json;
using profiles::ReadResult;
using profiles::WriteResult;

const identity::AuditContext kAudit = identity::AuditContext::System();
constexpr Micros kStart = 1'800'000'000'000'000;

TEST(ParseActions, NamesTheFieldThatIsWrong) {
  const auto field_of = [](std::string_view trigger, std::string_view actions) {
    return ParseActions(trigger, json::parse(actions)).status().field();
  };
  EXPECT_EQ(field_of("feedback.submitted", "[]"), "actions");
  EXPECT_EQ(field_of("feedback.submitted", R"([{"type":"explode"}])"), "actions[0].type");
  EXPECT_EQ(field_of("feedback.submitted", R"([{"type":"create_case"}])"), "actions[0].subject");
  EXPECT_EQ(field_of("feedback.submitted", R"([{"type":"create_case","subject":"x","priority":"asap"}])"),
            "actions[0].priority");
  EXPECT_EQ(field_of("feedback.submitted", R"([{"type":"create_case","subject":"x","team_id":"t"}])"),
            "actions[0].team_id");
  EXPECT_EQ(field_of("feedback.submitted", R"([{"type":"create_case","subject":"x","team_by_touchpoint":{"delivery":1}}])"),
            "actions[0].team_by_touchpoint.delivery");
  EXPECT_EQ(field_of("feedback.submitted", R"([{"type":"set_trait","name":"a","value":1},{"type":"set_priority","priority":"high"}])"),
            "actions[1].type");  // no case to act on
  EXPECT_EQ(field_of("case.created", R"([{"type":"assign"}])"), "actions[0]");
  EXPECT_EQ(field_of("case.created", R"([{"type":"set_trait","name":"a","value":{"x":1}}])"), "actions[0].value");
  EXPECT_EQ(field_of("case.created", R"([{"type":"send_email","to":["nobody"],"subject":"s","text":"t"}])"),
            "actions[0].to");
  EXPECT_EQ(field_of("case.created", R"([{"type":"send_email","to":["a@b.cz\r\nBcc: x@y.cz"],"subject":"s","text":"t"}])"),
            "actions[0].to");
  EXPECT_EQ(field_of("case.created", R"([{"type":"send_webhook","webhook_id":"whk_01J00000000000000000000000","colour":"red"}])"),
            "actions[0].colour");
  EXPECT_TRUE(ParseActions("case.updated", json::parse(R"([{"type":"assign","assignee_id":null},
                                                             {"type":"set_priority","priority":"urgent"}])"))
                  .ok());
}

TEST(DryRunRule, SaysWhetherItMatchesAndWhatWouldRun) {
  const json actions = json::parse(R"([{"type":"set_trait","name":"detractor","value":true}])");
  auto detractor = DryRunRule("feedback.submitted", "score <= 6", actions, {{"score", 3}});
  ASSERT_TRUE(detractor.ok()) << detractor.status().ToString();
  EXPECT_TRUE(detractor->matched);
  EXPECT_EQ(detractor->actions, actions);
  auto promoter = DryRunRule("feedback.submitted", "score <= 6", actions, {{"score", 10}});
  ASSERT_TRUE(promoter.ok());
  EXPECT_FALSE(promoter->matched);
  EXPECT_TRUE(promoter->actions.empty());
  auto broken = DryRunRule("feedback.submitted", "score <=", actions, {{"score", 3}});
  EXPECT_EQ(broken.status().field(), "condition");
  EXPECT_NE(broken.status().message().find("position 9"), std::string::npos) << broken.status().message();
  EXPECT_EQ(DryRunRule("order.placed", "true", actions, json::object()).status().field(), "trigger");
}

class RulesEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  RulesEngineTest() {
    tenant_ = profiles::CreateTestTenant(store(), "rules");
    auto team = WriteResult<identity::Team>(store(), tenant_, [&](store::TenantTx& tx) {
      return identity::CreateTeam(tx, kAudit, {.name = "Delivery care", .kind = "service"});
    });
    EXPECT_TRUE(team.ok());
    if (team.ok()) team_id_ = team->id;
    auto customer = WriteResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Jana Nováková", .traits_json = R"({"segment":"vip","language":"cs"})"},
                                      kAudit);
    });
    EXPECT_TRUE(customer.ok());
    if (customer.ok()) customer_id_ = customer->id;
    // The subscriber starts at the head, as a durable subscriber does.
    Deliver();
    runner_.Handle(std::string(kActionJob), [this](const jobs::Job& job) { return actions_.Run(job); });
  }

  store::Store& store() { return db_.store(); }

  // Hands every change committed since the last call to the subscriber in one batch, as the feed does.
  void Deliver() {
    const Status status = store().WriteSystem([&](store::SystemTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(store::Rows rows,
                          tx.Query("SELECT sequence, tenant_id, kind, subject_id, data, committed_at FROM change_feed "
                                   "WHERE sequence > $1 ORDER BY sequence",
                                   {delivered_}));
      std::vector<store::Change> batch;
      for (const store::Row& row : rows) {
        batch.push_back({row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Int(5)});
      }
      if (batch.empty()) return Status::Ok();
      delivered_ = batch.back().sequence;
      return RunRules(tx, batch, now_.load());
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
  }

  // Delivers changes and runs due jobs until nothing more happens.
  void Settle() {
    for (int round = 0; round < 10; ++round) {
      Deliver();
      Result<int> ran = runner_.RunDue();
      ASSERT_TRUE(ran.ok()) << ran.status().ToString();
      if (*ran == 0) return;
    }
  }

  Rule AddRule(RuleSpec spec) {
    auto rule = WriteResult<Rule>(store(), tenant_, [&](store::TenantTx& tx) { return CreateRule(tx, kAudit, spec, now_); });
    EXPECT_TRUE(rule.ok()) << rule.status().ToString();
    return rule.ok() ? *rule : Rule{};
  }

  void Submit(int score, std::string comment, feedback::Metric metric = feedback::Metric::kNps) {
    auto response = WriteResult<feedback::FeedbackResponse>(store(), tenant_, [&](store::TenantTx& tx) {
      return feedback::SubmitFeedback(tx, {.customer_id = customer_id_, .survey = "delivery-nps", .metric = metric,
                                           .score = score, .comment = std::move(comment), .touchpoint = "delivery"},
                                      kAudit);
    });
    ASSERT_TRUE(response.ok()) << response.status().ToString();
  }

  std::vector<Execution> Executions(const std::optional<std::string>& rule_id = std::nullopt) {
    auto page = ReadResult<Page<Execution>>(store(), tenant_, [&](store::TenantTx& tx) {
      return ListExecutions(tx, rule_id, PageRequest{.after_id = "", .limit = 200});
    });
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items : std::vector<Execution>{};
  }

  std::vector<cases::Case> Cases() {
    auto page = ReadResult<Page<cases::Case>>(store(), tenant_, [&](store::TenantTx& tx) {
      return cases::ListCases(tx, {}, PageRequest{.after_id = "", .limit = 200});
    });
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items : std::vector<cases::Case>{};
  }

  json FollowUpCase(const std::string& team_id) {
    return json::array({{{"type", "create_case"},
                         {"team_id", team_id},
                         {"priority", "high"},
                         {"subject", "NPS {{score}} from {{customer.name}}: {{comment}}"}}});
  }

  store::TestDatabase db_{GetParam()};
  std::string tenant_;
  std::string team_id_;
  std::string customer_id_;
  std::int64_t delivered_ = 0;
  std::atomic<Micros> now_ = kStart;
  ActionRunner actions_{store(), {}, [this] { return now_.load(); }};
  jobs::Runner runner_{store(), {.owner = "test", .backoff_base = std::chrono::seconds(10), .now = [this] { return now_.load(); }}};
};

TEST_P(RulesEngineTest, ADetractorBecomesAFollowUpCaseForTheTeamWithTheCustomer) {
  const Rule rule = AddRule({.name = "Detractor follow-up",
                             .trigger = "feedback.submitted",
                             .condition = R"(metric == "nps" and score <= 6 and customer.segment == "vip")",
                             .actions = FollowUpCase(team_id_)});
  Submit(9, "Great");  // a promoter: nothing
  Submit(3, "The parcel came late");
  Settle();

  const std::vector<cases::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].customer_id, customer_id_);
  EXPECT_EQ(cases[0].team_id, team_id_);
  EXPECT_EQ(cases[0].priority, cases::CasePriority::kHigh);
  EXPECT_EQ(cases[0].subject, "NPS 3 from Jana Nováková: The parcel came late");

  const std::vector<Execution> executions = Executions(rule.id);
  ASSERT_EQ(executions.size(), 1u);  // the promoter did not match, and non-matches are not logged
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kSucceeded);
  EXPECT_EQ(executions[0].change_kind, "feedback.submitted");
  EXPECT_EQ(executions[0].actions[0]["state"], "done");
  EXPECT_EQ(executions[0].actions[0]["result"]["case_id"], cases[0].id);
  EXPECT_EQ(executions[0].cause_chain, std::vector<std::string>{rule.id});
}

TEST_P(RulesEngineTest, TheFollowUpCaseGoesToTheTeamThatOwnsTheTouchpoint) {
  auto checkout = WriteResult<identity::Team>(store(), tenant_, [&](store::TenantTx& tx) {
    return identity::CreateTeam(tx, kAudit, {.name = "Web shop", .kind = "it"});
  });
  ASSERT_TRUE(checkout.ok());
  json actions = FollowUpCase(team_id_);  // the fallback
  actions[0]["team_by_touchpoint"] = {{"website checkout", checkout->id}};
  AddRule({.name = "Detractors", .trigger = "feedback.submitted", .condition = "score <= 6", .actions = actions});
  Submit(5, "Checkout crashed");  // touchpoint "delivery": not in the map
  Settle();
  ASSERT_TRUE(WriteResult<feedback::FeedbackResponse>(store(), tenant_, [&](store::TenantTx& tx) {
                return feedback::SubmitFeedback(tx, {.customer_id = customer_id_, .survey = "checkout-nps",
                                                     .metric = feedback::Metric::kNps, .score = 2,
                                                     .touchpoint = "website checkout"},
                                                kAudit);
              }).ok());
  Settle();
  const std::vector<cases::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].team_id, team_id_);
  EXPECT_EQ(cases[1].team_id, checkout->id);
}

TEST_P(RulesEngineTest, RulesRunInOrderAndADisabledRuleDoesNothing) {
  const Rule second = AddRule({.name = "Tag", .trigger = "feedback.submitted", .condition = "score <= 6",
                               .actions = json::parse(R"([{"type":"set_trait","name":"last_nps","value":"{{score}}"}])"),
                               .position = 2});
  const Rule first = AddRule({.name = "Flag", .trigger = "feedback.submitted", .condition = "score <= 6",
                              .actions = json::parse(R"([{"type":"set_trait","name":"detractor","value":true}])"),
                              .position = 1});
  const Rule disabled = AddRule({.name = "Off", .trigger = "feedback.submitted", .condition = "true",
                                 .actions = FollowUpCase(team_id_), .enabled = false});
  Submit(2, "");
  Settle();
  const std::vector<Execution> executions = Executions();
  ASSERT_EQ(executions.size(), 2u);
  EXPECT_EQ(executions[0].rule_id, first.id);
  EXPECT_EQ(executions[1].rule_id, second.id);
  EXPECT_TRUE(Executions(disabled.id).empty());
  EXPECT_TRUE(Cases().empty());
  auto customer = ReadResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
    return profiles::GetCustomer(tx, customer_id_);
  });
  ASSERT_TRUE(customer.ok());
  const json traits = json::parse(customer->traits_json);
  EXPECT_EQ(traits["detractor"], true);
  EXPECT_EQ(traits["last_nps"], "2");
  EXPECT_EQ(traits["segment"], "vip");

  // Enabled again, it runs on the next response.
  ASSERT_TRUE(WriteResult<Rule>(store(), tenant_, [&](store::TenantTx& tx) {
                return UpdateRule(tx, kAudit, disabled.id, {.enabled = true}, now_);
              }).ok());
  Submit(8, "");
  Settle();
  EXPECT_EQ(Cases().size(), 1u);
}

TEST_P(RulesEngineTest, AFailingActionIsRetriedWithItsErrorVisibleThenGivesUp) {
  const Rule rule = AddRule({.name = "To a deleted team", .trigger = "feedback.submitted", .condition = "score <= 6",
                             .actions = FollowUpCase("team_01J00000000000000000000000")});
  Submit(1, "Awful");
  Settle();
  std::vector<Execution> executions = Executions(rule.id);
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kRetrying);
  ASSERT_TRUE(executions[0].error);
  EXPECT_NE(executions[0].error->find("team"), std::string::npos) << *executions[0].error;
  EXPECT_EQ(executions[0].actions[0]["state"], "retrying");
  auto job = ReadResult<jobs::Job>(store(), tenant_, [&](store::TenantTx& tx) {
    return jobs::GetJob(tx, executions[0].actions[0]["job_id"].get<std::string>());
  });
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, jobs::JobState::kQueued);
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(job->last_error, executions[0].error);

  for (int attempt = 2; attempt <= kActionMaxAttempts; ++attempt) {
    now_ += 24LL * 3600 * 1'000'000;  // beyond any backoff
    Settle();
  }
  executions = Executions(rule.id);
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kFailed);
  EXPECT_EQ(executions[0].actions[0]["state"], "failed");
  job = ReadResult<jobs::Job>(store(), tenant_, [&](store::TenantTx& tx) {
    return jobs::GetJob(tx, executions[0].actions[0]["job_id"].get<std::string>());
  });
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state, jobs::JobState::kDead);
  EXPECT_EQ(job->attempts, kActionMaxAttempts);
  EXPECT_TRUE(Cases().empty());
}

TEST_P(RulesEngineTest, ARuleDoesNotRunOnChangesItsOwnActionsCaused) {
  // A case for every new case would never end; it runs once, on the case a person opened.
  const Rule echo = AddRule({.name = "Echo", .trigger = "case.created", .condition = "true",
                             .actions = json::parse(R"([{"type":"create_case","subject":"Echo of {{case.subject}}"}])")});
  ASSERT_TRUE(WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
                return cases::CreateCase(tx, {.customer_id = customer_id_, .subject = "Damaged parcel"}, kAudit);
              }).ok());
  Settle();
  EXPECT_EQ(Cases().size(), 2u);
  const std::vector<Execution> executions = Executions(echo.id);
  ASSERT_EQ(executions.size(), 2u);
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kSucceeded);
  EXPECT_EQ(executions[1].outcome, ExecutionOutcome::kLoopStopped);
  ASSERT_TRUE(executions[1].error);
  EXPECT_NE(executions[1].error->find("own action"), std::string::npos) << *executions[1].error;
  EXPECT_EQ(executions[1].cause_chain, (std::vector<std::string>{echo.id, echo.id}));
}

TEST_P(RulesEngineTest, TwoRulesThatTriggerEachOtherAreStopped) {
  const Rule ping = AddRule({.name = "Ping", .trigger = "case.created", .condition = R"(case.subject starts_with "ping")",
                             .actions = json::parse(R"([{"type":"create_case","subject":"pong"}])")});
  const Rule pong = AddRule({.name = "Pong", .trigger = "case.created", .condition = R"(case.subject starts_with "pong")",
                             .actions = json::parse(R"([{"type":"create_case","subject":"ping"}])")});
  ASSERT_TRUE(WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
                return cases::CreateCase(tx, {.customer_id = customer_id_, .subject = "ping"}, kAudit);
              }).ok());
  Settle();
  EXPECT_EQ(Cases().size(), 3u);  // ping (a person), pong (Ping), ping (Pong); then Ping is stopped
  const std::vector<Execution> pings = Executions(ping.id);
  ASSERT_EQ(pings.size(), 2u);
  EXPECT_EQ(pings[1].outcome, ExecutionOutcome::kLoopStopped);
  EXPECT_EQ(pings[1].cause_chain, (std::vector<std::string>{ping.id, pong.id, ping.id}));
  EXPECT_EQ(Executions(pong.id).size(), 1u);
}

TEST_P(RulesEngineTest, CaseRulesSetPriorityAndAssignTheTriggeringCase) {
  AddRule({.name = "VIP cases are urgent", .trigger = "case.created", .condition = R"(customer.segment == "vip")",
           .actions = json::array({{{"type", "set_priority"}, {"priority", "urgent"}},
                                   {{"type", "assign"}, {"team_id", team_id_}}})});
  ASSERT_TRUE(WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
                return cases::CreateCase(tx, {.customer_id = customer_id_, .subject = "Where is my order?"}, kAudit);
              }).ok());
  Settle();
  const std::vector<cases::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].priority, cases::CasePriority::kUrgent);
  EXPECT_EQ(cases[0].team_id, team_id_);
}

TEST_P(RulesEngineTest, ABreachedSlaEscalatesTheCase) {
  const Rule escalate = AddRule({.name = "Late first answers go urgent to the team", .trigger = "sla.breached",
                                 .condition = R"(sla.metric == "first_response" and case.priority != "urgent")",
                                 .actions = json::array({{{"type", "set_priority"}, {"priority", "urgent"}},
                                                         {{"type", "assign"}, {"team_id", team_id_}}})});
  auto created = WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
    return cases::CreateCase(tx, {.customer_id = customer_id_, .subject = "Nobody answers"}, kAudit);
  });
  ASSERT_TRUE(created.ok());
  // What sla/storage.h publishes when a target passes its due unmet (tested there).
  for (const char* metric : {"resolution", "first_response"}) {
    const Status published = store().Write(tenant_, [&](store::TenantTx& tx) {
      return tx.Publish("sla.breached", created->id,
                        json{{"case_id", created->id}, {"customer_id", customer_id_}, {"policy_id", "slp_standard"},
                             {"team_id", nullptr}, {"assignee_id", nullptr}, {"metric", metric},
                             {"due_at", "2026-12-03T10:00:00.000Z"}}
                            .dump());
    });
    ASSERT_TRUE(published.ok()) << published.ToString();
  }
  Settle();
  const std::vector<cases::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].priority, cases::CasePriority::kUrgent);
  EXPECT_EQ(cases[0].team_id, team_id_);
  const std::vector<Execution> executions = Executions(escalate.id);
  ASSERT_EQ(executions.size(), 1u);  // the resolution breach does not match
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kSucceeded);
  EXPECT_EQ(executions[0].change_kind, "sla.breached");
}

TEST_P(RulesEngineTest, ANearBreachEscalatesBeforeTheDue) {
  const Rule escalate = AddRule({.name = "Warn before the first answer is late", .trigger = "sla.near_breach",
                                 .condition = R"(sla.metric == "first_response" and sla.warning_at != null)",
                                 .actions = json::array({{{"type", "set_priority"}, {"priority", "high"}},
                                                         {{"type", "tag"}, {"add", {"sla-warning"}}}})});
  auto created = WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
    return cases::CreateCase(tx, {.customer_id = customer_id_, .subject = "Where is my parcel?"}, kAudit);
  });
  ASSERT_TRUE(created.ok());
  // What sla/storage.h publishes when a target's warning comes (tested there).
  const Status published = store().Write(tenant_, [&](store::TenantTx& tx) {
    return tx.Publish("sla.near_breach", created->id,
                      json{{"case_id", created->id}, {"customer_id", customer_id_}, {"policy_id", "slp_standard"},
                           {"team_id", nullptr}, {"assignee_id", nullptr}, {"metric", "first_response"},
                           {"due_at", "2026-12-03T10:00:00.000Z"}, {"warning_at", "2026-12-03T09:45:00.000Z"}}
                          .dump());
  });
  ASSERT_TRUE(published.ok()) << published.ToString();
  Settle();
  const std::vector<cases::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].priority, cases::CasePriority::kHigh);
  EXPECT_EQ(cases[0].tags, std::vector<std::string>{"sla-warning"});
  const std::vector<Execution> executions = Executions(escalate.id);
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kSucceeded);
  EXPECT_EQ(executions[0].change_kind, "sla.near_breach");
}

TEST_P(RulesEngineTest, CaseUpdatedRulesSeeWhatChanged) {
  const Rule escalate = AddRule({.name = "Reopened cases go to the team", .trigger = "case.updated",
                                 .condition = R"(before.status == "solved" and after.status == "open")",
                                 .actions = json::array({{{"type", "assign"}, {"team_id", team_id_}}})});
  auto created = WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
    return cases::CreateCase(tx, {.customer_id = customer_id_, .subject = "Refund"}, kAudit);
  });
  ASSERT_TRUE(created.ok());
  for (cases::CaseStatus status : {cases::CaseStatus::kSolved, cases::CaseStatus::kOpen}) {
    ASSERT_TRUE(WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
                  return cases::UpdateCase(tx, created->id, {.status = status}, kAudit);
                }).ok());
  }
  Settle();
  EXPECT_EQ(Cases()[0].team_id, team_id_);
  const std::vector<Execution> executions = Executions(escalate.id);
  ASSERT_EQ(executions.size(), 1u);  // the assignment's own case.updated does not match (status unchanged)
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kSucceeded);
}

TEST_P(RulesEngineTest, AnInvalidConditionIsRefusedNamingThePosition) {
  auto rule = WriteResult<Rule>(store(), tenant_, [&](store::TenantTx& tx) {
    return CreateRule(tx, kAudit, {.name = "Broken", .trigger = "feedback.submitted", .condition = "score <= <= 6",
                                   .actions = FollowUpCase(team_id_)}, now_);
  });
  EXPECT_EQ(rule.status().field(), "condition");
  EXPECT_NE(rule.status().message().find("position 10"), std::string::npos) << rule.status().message();
}

TEST_P(RulesEngineTest, EventRulesRunOncePerMatchingEventOfABatch) {
  const Rule rule = AddRule({.name = "Buyers", .trigger = "events.ingested",
                             .condition = R"(event.name == "Order Completed" and customer.language == "cs")",
                             .actions = json::parse(R"([{"type":"set_trait","name":"last_event","value":"{{event.id}}"}])")});
  // The record ingestion publishes for one request (ingest/ingest.cc): several events, one change.
  ASSERT_TRUE(store()
                  .Write(tenant_,
                         [&](store::TenantTx& tx) {
                           return tx.Publish("events.ingested", "evt_1",
                                             json{{"events",
                                                   {{{"id", "evt_1"}, {"customer_id", customer_id_}, {"type", "page"}, {"event", ""}},
                                                    {{"id", "evt_2"}, {"customer_id", customer_id_}, {"type", "track"},
                                                     {"event", "Order Completed"}},
                                                    {{"id", "evt_3"}, {"customer_id", nullptr}, {"type", "track"},
                                                     {"event", "Order Completed"}}}},
                                                  {"profiles_created", 0},
                                                  {"merges", 0}}
                                                 .dump());
                         })
                  .ok());
  Settle();
  const std::vector<Execution> executions = Executions(rule.id);
  ASSERT_EQ(executions.size(), 1u);
  EXPECT_EQ(executions[0].item, 1);
  EXPECT_EQ(executions[0].outcome, ExecutionOutcome::kSucceeded);
  auto customer = ReadResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
    return profiles::GetCustomer(tx, customer_id_);
  });
  ASSERT_TRUE(customer.ok());
  EXPECT_EQ(json::parse(customer->traits_json)["last_event"], "evt_2");
}

TEST_P(RulesEngineTest, OnTheChangeFeedADetractorsCaseIsOpenedOnce) {
  const Rule rule = AddRule({.name = "Detractor follow-up", .trigger = "feedback.submitted", .condition = "score <= 6",
                             .actions = FollowUpCase(team_id_)});
  changes::Feed feed(store(), {.poll_interval = std::chrono::milliseconds(20), .min_interval = std::chrono::milliseconds(1)});
  feed.SubscribeDurable("rules", [this](store::SystemTx& tx, const std::vector<store::Change>& batch) {
    return RunRules(tx, batch, now_.load());
  });
  ASSERT_TRUE(feed.Start().ok());
  Submit(0, "Never again");
  Result<std::int64_t> head = feed.HeadSequence();
  ASSERT_TRUE(head.ok());
  ASSERT_TRUE(feed.WaitHandled(*head, std::chrono::seconds(30)));
  feed.Stop();
  Result<int> ran = runner_.RunDue();
  ASSERT_TRUE(ran.ok());
  EXPECT_EQ(*ran, 1);
  const std::vector<cases::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].customer_id, customer_id_);
  EXPECT_EQ(cases[0].team_id, team_id_);
  ASSERT_EQ(Executions(rule.id).size(), 1u);
  // A second feed on the same database resumes from the durable cursor: nothing is evaluated twice.
  changes::Feed restarted(store(), {.poll_interval = std::chrono::milliseconds(20), .min_interval = std::chrono::milliseconds(1)});
  restarted.SubscribeDurable("rules", [this](store::SystemTx& tx, const std::vector<store::Change>& batch) {
    return RunRules(tx, batch, now_.load());
  });
  ASSERT_TRUE(restarted.Start().ok());
  head = restarted.HeadSequence();
  ASSERT_TRUE(head.ok());
  ASSERT_TRUE(restarted.WaitHandled(*head, std::chrono::seconds(30)));
  restarted.Stop();
  EXPECT_EQ(Executions(rule.id).size(), 1u);
  EXPECT_EQ(Cases().size(), 1u);
}

TEST_P(RulesEngineTest, WebhookAndEmailActionsQueueOutboundDeliveries) {
  InitCrypto();
  const SecretBox secrets = SecretBox::WithRandomKey();
  auto webhook = WriteResult<outbound::CreatedWebhook>(store(), tenant_, [&](store::TenantTx& tx) {
    return outbound::CreateWebhook(tx, kAudit, {.url = "https://hooks.example.com/cx", .kinds = {"case.*"}}, secrets, now_);
  });
  ASSERT_TRUE(webhook.ok()) << webhook.status().ToString();
  const Rule rule = AddRule(
      {.name = "Tell everyone", .trigger = "feedback.submitted", .condition = "score <= 6",
       .actions = json::array({{{"type", "send_webhook"}, {"webhook_id", webhook->webhook.id}},
                               {{"type", "send_email"}, {"to", {"lead@example.com"}}, {"subject", "NPS {{score}}"},
                                {"text", "{{customer.name}} wrote: {{comment}}"}}})});
  Submit(4, "Slow");
  Settle();
  // This server has no SMTP server: the e-mail action fails, visibly, and the webhook call is queued.
  Execution execution = Executions(rule.id).at(0);
  EXPECT_EQ(execution.actions[0]["state"], "done");
  EXPECT_EQ(execution.actions[1]["state"], "retrying");
  EXPECT_NE(execution.error.value_or("").find("no SMTP server"), std::string::npos) << execution.error.value_or("");
  auto deliveries = ReadResult<Page<outbound::Delivery>>(store(), tenant_, [&](store::TenantTx& tx) {
    return outbound::ListDeliveries(tx, {}, PageRequest{});
  });
  ASSERT_TRUE(deliveries.ok());
  ASSERT_EQ(deliveries->items.size(), 1u);
  EXPECT_EQ(deliveries->items[0].channel, outbound::DeliveryChannel::kWebhook);
  EXPECT_EQ(deliveries->items[0].destination, "https://hooks.example.com/cx");
  EXPECT_EQ(deliveries->items[0].customer_id, customer_id_);
  EXPECT_EQ(execution.actions[0]["result"]["delivery_id"], deliveries->items[0].id);

  // With a sender configured the next attempt queues the e-mail.
  ActionRunner with_mail(store(), {.mail_from = "touchpoint@example.com", .public_url = "https://cx.example"}, [this] { return now_.load(); });
  jobs::Runner mail_runner(store(), {.owner = "mail", .now = [this] { return now_.load(); }});
  mail_runner.Handle(std::string(kActionJob), [&](const jobs::Job& job) { return with_mail.Run(job); });
  now_ += 24LL * 3600 * 1'000'000;
  ASSERT_TRUE(mail_runner.RunDue().ok());
  execution = Executions(rule.id).at(0);
  EXPECT_EQ(execution.outcome, ExecutionOutcome::kSucceeded);
  EXPECT_FALSE(execution.error);
  deliveries = ReadResult<Page<outbound::Delivery>>(store(), tenant_, [&](store::TenantTx& tx) {
    return outbound::ListDeliveries(tx, {.state = std::nullopt, .source = "rule:" + rule.id}, PageRequest{});
  });
  ASSERT_TRUE(deliveries.ok());
  ASSERT_EQ(deliveries->items.size(), 1u);
  EXPECT_EQ(deliveries->items[0].channel, outbound::DeliveryChannel::kEmail);
  EXPECT_EQ(deliveries->items[0].destination, "lead@example.com");
}

// The loop a CX team closes: a detractor's survey answer becomes a tagged follow-up case; when the case
// is solved the customer gets the same survey again, in their language, about that case.
TEST_P(RulesEngineTest, ASolvedFollowUpCaseIsTaggedAndTheCustomerSurveyedAgain) {
  InitCrypto();
  now_ = NowMicros();  // survey links are made on the real clock
  ActionRunner mailing(store(), {.mail_from = "cx@shop.example", .public_url = "https://cx.shop.example"},
                       [this] { return now_.load(); });
  jobs::Runner mail_runner(store(), {.owner = "mail", .now = [this] { return now_.load(); }});
  mail_runner.Handle(std::string(kActionJob), [&](const jobs::Job& job) { return mailing.Run(job); });
  auto settle = [&] {
    for (int round = 0; round < 10; ++round) {
      Deliver();
      Result<int> ran = mail_runner.RunDue();
      ASSERT_TRUE(ran.ok()) << ran.status().ToString();
      if (*ran == 0) return;
    }
  };
  auto petr = WriteResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
    return profiles::CreateCustomer(tx, {.name = "Petr Svoboda", .email = "petr@example.cz",
                                         .traits_json = R"({"language":"cs"})"}, kAudit);
  });
  ASSERT_TRUE(petr.ok());
  auto survey = WriteResult<surveys::Survey>(store(), tenant_, [&](store::TenantTx& tx) {
    return surveys::CreateSurvey(tx, {.name = "After delivery", .touchpoint = "delivery", .stage = "fulfilment",
                                      .definition = json::parse(R"({"pages": [{"elements": [
        {"type": "rating", "name": "recommend", "rateMin": 0, "rateMax": 10,
         "title": {"default": "Would you recommend us?", "cs": "Doporučili byste nás?"}},
        {"type": "comment", "name": "reason"}]}]})"),
                                      .metrics = json{{"nps", {{"question", "recommend"}, {"comment", "reason"}}}},
                                      .status = surveys::SurveyStatus::kLive}, kAudit);
  });
  ASSERT_TRUE(survey.ok()) << survey.status().ToString();
  AddRule({.name = "Detractor", .trigger = "feedback.submitted",
           .condition = R"(score <= 6 and survey_id != null and stage == "fulfilment" and answers.reason contains "late")",
           .actions = json::parse(R"([{"type": "create_case", "subject": "Call back: {{comment}}",
                                       "tags": ["Detractor", "nps"]}])")});
  const Rule resurvey = AddRule(
      {.name = "Ask again", .trigger = "case.updated",
       .condition = R"(after.status == "solved" and case.follow_up_of.metric == "nps")",
       .actions = json::parse(R"([{"type": "tag", "add": ["resurveyed"], "remove": ["nps"]},
                                  {"type": "send_survey", "survey_id": "{{case.follow_up_of.survey_id}}",
                                   "respect_contact_gap": false}])")});

  auto link = WriteResult<surveys::SurveyLink>(store(), tenant_, [&](store::TenantTx& tx) {
    return surveys::CreateLink(tx, {.survey_id = survey->id, .customer_id = petr->id}, kAudit);
  });
  ASSERT_TRUE(link.ok());
  ASSERT_TRUE(surveys::SubmitResponse(store(), link->token, {.data = {{"recommend", 3}, {"reason", "Came late"}}},
                                      now_).ok());
  settle();
  std::vector<cases::Case> cases = Cases();
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].tags, (std::vector<std::string>{"detractor", "nps"}));
  ASSERT_TRUE(cases[0].follow_up_of);

  ASSERT_TRUE(WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
                return cases::UpdateCase(tx, cases[0].id, {.status = cases::CaseStatus::kSolved}, kAudit);
              }).ok());
  settle();
  cases = Cases();
  EXPECT_EQ(cases[0].tags, (std::vector<std::string>{"detractor", "resurveyed"}));
  const Execution execution = Executions(resurvey.id).at(0);
  EXPECT_EQ(execution.outcome, ExecutionOutcome::kSucceeded) << execution.error.value_or("");
  EXPECT_EQ(execution.actions[1]["result"]["survey_id"], survey->id);
  auto links = ReadResult<Page<surveys::SurveyLink>>(store(), tenant_, [&](store::TenantTx& tx) {
    return surveys::ListLinks(tx, survey->id, PageRequest{});
  });
  ASSERT_TRUE(links.ok());
  ASSERT_EQ(links->items.size(), 2u);
  EXPECT_EQ(links->items[1].case_id, cases[0].id) << "the new survey is about the follow-up case";
  EXPECT_EQ(links->items[1].language, "cs");
  auto mail = ReadResult<Page<outbound::Delivery>>(store(), tenant_, [&](store::TenantTx& tx) {
    return outbound::ListDeliveries(tx, {.source = "survey:" + links->items[1].id}, PageRequest{});
  });
  ASSERT_TRUE(mail.ok());
  ASSERT_EQ(mail->items.size(), 1u);
  EXPECT_EQ(mail->items[0].destination, "petr@example.cz");
}

// "Order Completed" → NPS a week later, about that order, scheduled through the job queue.
TEST_P(RulesEngineTest, AnEventSchedulesASurveyForLaterAboutItsOrder) {
  InitCrypto();
  now_ = NowMicros();  // survey links are made on the real clock
  const std::string event_id = NewId("evt_");
  ActionRunner mailing(store(), {.mail_from = "cx@shop.example", .public_url = "https://cx.shop.example"},
                       [this] { return now_.load(); });
  jobs::Runner mail_runner(store(), {.owner = "mail", .now = [this] { return now_.load(); }});
  mail_runner.Handle(std::string(kActionJob), [&](const jobs::Job& job) { return mailing.Run(job); });
  auto customer = WriteResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
    return profiles::CreateCustomer(tx, {.name = "Eva", .email = "eva@example.cz"}, kAudit);
  });
  ASSERT_TRUE(customer.ok());
  auto survey = WriteResult<surveys::Survey>(store(), tenant_, [&](store::TenantTx& tx) {
    return surveys::CreateSurvey(tx, {.name = "After purchase", .touchpoint = "e-shop", .stage = "purchase",
                                      .definition = json::parse(R"({"pages": [{"elements": [
        {"type": "rating", "name": "recommend", "rateMin": 0, "rateMax": 10}]}]})"),
                                      .status = surveys::SurveyStatus::kLive}, kAudit);
  });
  ASSERT_TRUE(survey.ok()) << survey.status().ToString();
  const Rule rule = AddRule(
      {.name = "NPS after the order", .trigger = "events.ingested",
       .condition = R"(event.name == "Order Completed" and event.properties.total > 100)",
       .actions = json::array({{{"type", "send_survey"}, {"survey_id", survey->id}, {"delay_hours", 168}}})});
  ASSERT_TRUE(WriteResult<std::vector<std::string>>(store(), tenant_, [&](store::TenantTx& tx) {
                return events::InsertEvents(tx, {events::Event{.id = event_id, .message_id = "m1",
                                                               .customer_id = customer->id,
                                                               .name = "Order Completed",
                                                               .properties_json = R"({"order_id":"O-1001","total":250})",
                                                               .occurred_at = now_, .received_at = now_}});
              }).ok());
  // InsertEvents leaves publishing to ingestion; publish what it would.
  ASSERT_TRUE(store().Write(tenant_, [&](store::TenantTx& tx) {
                return tx.Publish("events.ingested", event_id,
                                  json{{"events", {{{"id", event_id}, {"customer_id", customer->id},
                                                    {"type", "track"}, {"event", "Order Completed"}}}}}.dump());
              }).ok());
  Deliver();
  ASSERT_TRUE(mail_runner.RunDue().ok());
  const Execution execution = Executions(rule.id).at(0);
  EXPECT_EQ(execution.outcome, ExecutionOutcome::kSucceeded) << execution.error.value_or("");
  EXPECT_EQ(execution.actions[0]["result"]["scheduled_for"], FormatTimestamp(now_ + 168LL * 3600 * 1'000'000));
  auto links = ReadResult<Page<surveys::SurveyLink>>(store(), tenant_, [&](store::TenantTx& tx) {
    return surveys::ListLinks(tx, survey->id, PageRequest{});
  });
  ASSERT_TRUE(links.ok());
  ASSERT_EQ(links->items.size(), 1u);
  EXPECT_EQ(links->items[0].order_id, "O-1001");
  auto invitations = ReadResult<Page<jobs::Job>>(store(), tenant_, [&](store::TenantTx& tx) {
    return jobs::ListJobs(tx, std::string(surveys::kInvitationJob), std::nullopt, {});
  });
  ASSERT_TRUE(invitations.ok());
  ASSERT_EQ(invitations->items.size(), 1u);
  EXPECT_EQ(invitations->items[0].run_at, now_ + 168LL * 3600 * 1'000'000);
}

INSTANTIATE_TEST_SUITE_P(Backends, RulesEngineTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::rules
