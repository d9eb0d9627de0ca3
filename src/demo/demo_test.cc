#include "demo/demo.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <set>

#include "cases/cases.h"
#include "common/crypto.h"
#include "feedback/feedback.h"
#include "identity/sessions.h"
#include "identity/teams.h"
#include "rules/rules.h"
#include "surveys/surveys.h"
#include "identity/tenants.h"
#include "identity/users.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::demo {
namespace {

using profiles::ReadResult;

// Small counts keep the tests fast; DefaultOptionsLoadQuickly covers the real sizes.
DemoOptions SmallOptions(std::string slug = "demo", std::uint64_t seed = 42) {
  DemoOptions options;
  options.tenant_slug = std::move(slug);
  options.customers = 60;
  options.cases = 40;
  options.feedback = 150;
  options.seed = seed;
  options.password_limits = identity::PasswordHashLimits::Minimum();
  return options;
}

class DemoTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
  }

  store::Store& store() { return db_->store(); }

  DemoSummary MustCreate(const DemoOptions& options) {
    Result<DemoSummary> summary = CreateDemoData(store(), options);
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    return summary.ok() ? *summary : DemoSummary{};
  }

  template <typename T, typename List>
  std::vector<T> All(const std::string& tenant_id, List list) {
    std::vector<T> items;
    PageRequest request{.after_id = "", .limit = PageRequest::kMaxLimit};
    for (int page_idx = 0; page_idx < 1000; ++page_idx) {
      Result<Page<T>> page =
          ReadResult<Page<T>>(store(), tenant_id, [&](store::TenantTx& tx) { return list(tx, request); });
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      items.insert(items.end(), page->items.begin(), page->items.end());
      if (page->next_cursor.empty()) break;
      request = *PageRequest::Parse(page->next_cursor, std::to_string(PageRequest::kMaxLimit));
    }
    return items;
  }

  std::vector<profiles::Customer> Customers(const std::string& tenant_id) {
    return All<profiles::Customer>(tenant_id, [](store::TenantTx& tx, const PageRequest& page) {
      return profiles::ListCustomers(tx, {}, page);
    });
  }
  std::vector<cases::Case> Cases(const std::string& tenant_id) {
    return All<cases::Case>(tenant_id, [](store::TenantTx& tx, const PageRequest& page) {
      return cases::ListCases(tx, {}, page);
    });
  }
  std::vector<feedback::FeedbackResponse> Feedback(const std::string& tenant_id) {
    return All<feedback::FeedbackResponse>(tenant_id, [](store::TenantTx& tx, const PageRequest& page) {
      return feedback::ListFeedback(tx, {}, page);
    });
  }

  std::unique_ptr<store::TestDatabase> db_;
};

TEST_P(DemoTest, CreatesTheTenantUsersTeamsAndTheRequestedCounts) {
  const DemoSummary summary = MustCreate(SmallOptions());
  EXPECT_EQ(summary.tenant_slug, "demo");
  EXPECT_EQ(summary.customers, 60);
  EXPECT_EQ(summary.cases, 40);
  EXPECT_EQ(summary.feedback, 150);
  EXPECT_EQ(Customers(summary.tenant_id).size(), 60u);
  EXPECT_EQ(Cases(summary.tenant_id).size(), 40u);
  EXPECT_EQ(Feedback(summary.tenant_id).size(), 150u);

  Result<identity::Tenant> tenant = ReadResult<identity::Tenant>(
      store(), summary.tenant_id, [](store::TenantTx& tx) { return identity::GetTenant(tx); });
  ASSERT_TRUE(tenant.ok());
  EXPECT_EQ(tenant->name, "Demo Retail s.r.o.");

  ASSERT_EQ(summary.users.size(), 5u);
  EXPECT_EQ(summary.users[0].email, "admin@demo.touchpoint.local");
  EXPECT_EQ(summary.users[0].role, identity::Role::kAdmin);
  std::set<std::string> passwords;
  std::set<identity::Role> roles;
  for (const DemoUser& user : summary.users) {
    EXPECT_THAT(user.email, ::testing::EndsWith("@demo.touchpoint.local"));
    EXPECT_GE(user.password.size(), 20u);
    passwords.insert(user.password);
    roles.insert(user.role);
  }
  EXPECT_EQ(passwords.size(), 5u);
  EXPECT_EQ(roles.size(), 5u);

  identity::LoginPolicy policy;
  policy.password_limits = identity::PasswordHashLimits::Minimum();
  Result<identity::NewSession> session = identity::Login(
      store(), {.tenant_slug = "demo", .email = summary.users[0].email, .password = summary.users[0].password},
      policy, NowMicros());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ(session->user.role, identity::Role::kAdmin);

  Result<Page<identity::User>> users = ReadResult<Page<identity::User>>(
      store(), summary.tenant_id, [](store::TenantTx& tx) { return identity::ListUsers(tx, PageRequest{}); });
  ASSERT_TRUE(users.ok());
  std::string agent_id;
  for (const identity::User& user : users->items) {
    if (user.role == identity::Role::kAgent) agent_id = user.id;
  }
  Result<Page<identity::Team>> teams = ReadResult<Page<identity::Team>>(
      store(), summary.tenant_id, [](store::TenantTx& tx) { return identity::ListTeams(tx, PageRequest{}); });
  ASSERT_TRUE(teams.ok());
  std::set<std::string> kinds;
  std::string service_id;
  for (const identity::Team& team : teams->items) {
    kinds.insert(team.kind);
    if (team.kind == "service") {
      service_id = team.id;
      EXPECT_THAT(team.member_ids, ::testing::ElementsAre(agent_id));
    } else {
      EXPECT_THAT(team.member_ids, ::testing::IsEmpty());
    }
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"marketing", "sales", "service", "it"}));

  int service_cases = 0;
  for (const cases::Case& item : Cases(summary.tenant_id)) {
    ASSERT_TRUE(item.team_id);
    if (*item.team_id == service_id) ++service_cases;
  }
  EXPECT_GT(service_cases, 40 / 2) << "most cases belong to the service team";
}

TEST_P(DemoTest, ShipsTheTwoStarterRulesForTheOwningTeams) {
  const DemoSummary summary = MustCreate(SmallOptions());
  Result<std::vector<rules::Rule>> rules = ReadResult<std::vector<rules::Rule>>(
      store(), summary.tenant_id, [](store::TenantTx& tx) { return rules::ListRules(tx); });
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(rules->size(), 4u);  // and the two survey rules (SendsTheStarterSurveysOnlyOnceMailIsSetUp)
  std::erase_if(*rules, [](const rules::Rule& rule) { return rule.trigger != "feedback.submitted"; });
  ASSERT_EQ(rules->size(), 2u);
  Result<Page<identity::Team>> teams = ReadResult<Page<identity::Team>>(
      store(), summary.tenant_id, [](store::TenantTx& tx) { return identity::ListTeams(tx, PageRequest{}); });
  ASSERT_TRUE(teams.ok());
  std::string service_team;
  std::string it_team;
  for (const identity::Team& team : teams->items) {
    if (team.kind == "service") service_team = team.id;
    if (team.kind == "it") it_team = team.id;
  }
  EXPECT_EQ((*rules)[0].actions[0]["team_by_touchpoint"]["website checkout"], it_team);
  const nlohmann::json detractor = {{"metric", "nps"}, {"score", 4}, {"customer_id", "cus_1"}};
  const nlohmann::json unhappy = {{"metric", "csat"}, {"score", 2}, {"touchpoint", "call centre"}, {"customer_id", "cus_1"}};
  const nlohmann::json content = {{"metric", "csat"}, {"score", 4}, {"touchpoint", "call centre"}, {"customer_id", "cus_1"}};
  int matched = 0;
  for (const rules::Rule& rule : *rules) {
    EXPECT_TRUE(rule.enabled) << rule.name;
    EXPECT_EQ(rule.trigger, "feedback.submitted");
    EXPECT_EQ(rule.actions[0]["type"], "create_case");
    EXPECT_EQ(rule.actions[0]["team_id"], service_team);
    for (const nlohmann::json& payload : {detractor, unhappy, content}) {
      Result<rules::DryRun> dry_run = rules::DryRunRule(rule.trigger, rule.condition, rule.actions, payload);
      ASSERT_TRUE(dry_run.ok()) << dry_run.status().ToString();
      if (dry_run->matched) ++matched;
    }
  }
  EXPECT_EQ(matched, 2);  // the detractor by the first rule, the unhappy CSAT by the second
}

TEST_P(DemoTest, SendsTheStarterSurveysOnlyOnceMailIsSetUp) {
  const DemoSummary summary = MustCreate(SmallOptions());
  Result<Page<surveys::Survey>> live = ReadResult<Page<surveys::Survey>>(
      store(), summary.tenant_id, [](store::TenantTx& tx) { return surveys::ListSurveys(tx, {}, PageRequest{}); });
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  ASSERT_EQ(live->items.size(), 2u);
  std::set<std::string> metrics;
  for (const surveys::Survey& listed : live->items) {
    Result<surveys::Survey> whole = ReadResult<surveys::Survey>(
        store(), summary.tenant_id, [&](store::TenantTx& tx) { return surveys::GetSurvey(tx, listed.id, std::nullopt); });
    ASSERT_TRUE(whole.ok()) << whole.status().ToString();
    const surveys::Survey& survey = *whole;
    EXPECT_EQ(survey.status, surveys::SurveyStatus::kLive) << survey.name;
    for (const auto& [metric, question] : survey.metrics.items()) metrics.insert(metric);
    EXPECT_EQ(survey.languages, (std::vector<std::string>{"default", "cs", "pl", "sk", "sl"})) << survey.name;
  }
  EXPECT_EQ(metrics, (std::set<std::string>{"csat", "nps"}));

  ASSERT_EQ(summary.survey_path.rfind("/s/", 0), 0u);
  Result<surveys::RespondentView> opened = surveys::OpenLink(store(), summary.survey_path.substr(3), NowMicros());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->survey.name, "After delivery");
  Result<surveys::SurveyResponse> answered = surveys::SubmitResponse(
      store(), summary.survey_path.substr(3),
      {.data = {{"recommend", 9}, {"attributes", {{"speed", 5}, {"packaging", 4}}}}, .language = "cs"}, NowMicros());
  ASSERT_TRUE(answered.ok()) << answered.status().ToString();

  Result<std::vector<rules::Rule>> rules = ReadResult<std::vector<rules::Rule>>(
      store(), summary.tenant_id, [](store::TenantTx& tx) { return rules::ListRules(tx); });
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 4u);
  const auto with_trigger = [&](std::string_view trigger) {
    return *std::find_if(rules->begin(), rules->end(), [&](const rules::Rule& rule) { return rule.trigger == trigger; });
  };
  const rules::Rule csat_rule = with_trigger("case.updated");
  const rules::Rule nps_rule = with_trigger("events.ingested");
  EXPECT_FALSE(csat_rule.enabled);
  EXPECT_FALSE(nps_rule.enabled);
  EXPECT_EQ(csat_rule.actions[0]["type"], "send_survey");
  Result<rules::DryRun> solved = rules::DryRunRule(csat_rule.trigger, csat_rule.condition, csat_rule.actions,
                                                   {{"after", {{"status", "solved"}}}, {"customer_id", "cus_1"}});
  ASSERT_TRUE(solved.ok()) << solved.status().ToString();
  EXPECT_TRUE(solved->matched);
  Result<rules::DryRun> ordered = rules::DryRunRule(nps_rule.trigger, nps_rule.condition, nps_rule.actions,
                                                    {{"event", {{"name", "Order Completed"}}}, {"customer_id", "cus_1"}});
  ASSERT_TRUE(ordered.ok()) << ordered.status().ToString();
  EXPECT_TRUE(ordered->matched);
}

TEST_P(DemoTest, DataLooksLikeACentralEuropeanRetailer) {
  const DemoSummary summary = MustCreate(SmallOptions());
  const Micros now = NowMicros();
  const Micros period_start = now - 181LL * 24 * 3600 * 1'000'000;
  for (const profiles::Customer& customer : Customers(summary.tenant_id)) {
    EXPECT_FALSE(customer.name.empty());
    EXPECT_TRUE(customer.email || customer.phone) << customer.name;
    if (customer.phone) {
      EXPECT_THAT(*customer.phone, ::testing::AnyOf(::testing::StartsWith("+420"), ::testing::StartsWith("+421"),
                                                    ::testing::StartsWith("+48"), ::testing::StartsWith("+386"),
                                                    ::testing::StartsWith("+44")));
    }
    EXPECT_THAT(customer.traits_json, ::testing::HasSubstr("\"lifetime_value\""));
    EXPECT_THAT(customer.traits_json, ::testing::HasSubstr("\"city\""));
    EXPECT_GE(customer.created_at, period_start);
    EXPECT_LE(customer.created_at, now);
  }
  std::set<Channel> channels;
  for (const cases::Case& item : Cases(summary.tenant_id)) {
    channels.insert(item.channel);
    EXPECT_GE(item.created_at, period_start);
  }
  EXPECT_GE(channels.size(), 3u);
  std::set<std::string> touchpoints;
  int commented = 0;
  for (const feedback::FeedbackResponse& response : Feedback(summary.tenant_id)) {
    touchpoints.insert(response.touchpoint);
    if (!response.comment.empty()) ++commented;
  }
  EXPECT_EQ(touchpoints, (std::set<std::string>{"website checkout", "delivery", "call centre", "store", "mobile app",
                                                "returns"}));
  EXPECT_GT(commented, 0);
}

TEST_P(DemoTest, TheSameSeedGivesTheSameData) {
  const DemoSummary first = MustCreate(SmallOptions("demo-a", 7));
  const DemoSummary second = MustCreate(SmallOptions("demo-b", 7));
  const DemoSummary other = MustCreate(SmallOptions("demo-c", 8));
  auto names = [&](const std::string& tenant_id) {
    // Sorted: rows written within the same millisecond get ids in random order (common/ids.h).
    std::vector<std::string> names;
    for (const profiles::Customer& customer : Customers(tenant_id)) {
      names.push_back(customer.name + " " + customer.email.value_or("") + " " + customer.traits_json);
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  EXPECT_EQ(names(first.tenant_id), names(second.tenant_id));
  EXPECT_NE(names(first.tenant_id), names(other.tenant_id));
  EXPECT_NE(first.users[0].password, second.users[0].password);
}

TEST_P(DemoTest, ASecondRunOnTheSameSlugIsRefused) {
  Result<bool> before = TenantHasData(store(), "demo");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_FALSE(*before);
  MustCreate(SmallOptions());
  Result<bool> after = TenantHasData(store(), "demo");
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(*after);

  Result<DemoSummary> again = CreateDemoData(store(), SmallOptions());
  EXPECT_EQ(again.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(again.status().field(), "slug");

  profiles::CreateTestTenant(store(), "empty");
  EXPECT_FALSE(*TenantHasData(store(), "empty"));
}

TEST_P(DemoTest, InvalidOptionsNameTheirField) {
  DemoOptions options = SmallOptions();
  options.customers = -1;
  EXPECT_EQ(CreateDemoData(store(), options).status().field(), "customers");
  options = SmallOptions();
  options.customers = 0;
  EXPECT_EQ(CreateDemoData(store(), options).status().field(), "customers");
  options = SmallOptions();
  options.feedback = kMaxDemoRows + 1;
  EXPECT_EQ(CreateDemoData(store(), options).status().field(), "feedback");
  options = SmallOptions();
  options.tenant_slug = "Not A Slug";
  EXPECT_EQ(CreateDemoData(store(), options).status().field(), "slug");
  EXPECT_FALSE(*TenantHasData(store(), "demo"));
}

TEST_P(DemoTest, DefaultSizesLoadQuicklyAndDeliveryScoresWorseThanCheckout) {
  DemoOptions options;
  options.password_limits = identity::PasswordHashLimits::Minimum();
  const auto started = std::chrono::steady_clock::now();
  const DemoSummary summary = MustCreate(options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  std::cout << "demo data (500 customers, 300 cases, 1500 responses) on " << GetParam() << ": "
            << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
  EXPECT_EQ(Customers(summary.tenant_id).size(), 500u);
  EXPECT_EQ(Cases(summary.tenant_id).size(), 300u);
  EXPECT_EQ(Feedback(summary.tenant_id).size(), 1500u);

  auto nps_of = [&](const std::string& touchpoint) {
    Result<feedback::MetricSummary> nps = ReadResult<feedback::MetricSummary>(
        store(), summary.tenant_id, [&](store::TenantTx& tx) {
          return feedback::SummariseMetric(tx, feedback::Metric::kNps, {.touchpoint = touchpoint});
        });
    EXPECT_TRUE(nps.ok() && nps->nps) << nps.status().ToString();
    return nps.ok() && nps->nps ? *nps->nps : 0.0;
  };
  EXPECT_LT(nps_of("delivery") + 20, nps_of("website checkout"));
  EXPECT_LT(nps_of("returns"), nps_of("store"));
}

INSTANTIATE_TEST_SUITE_P(Backends, DemoTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::demo
