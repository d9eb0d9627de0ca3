#include "analytics_source/source.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "analytics/query.h"
#include "feedback/feedback.h"
#include "events/events.h"
#include "ingest/ingest.h"
#include "ingest/merges.h"
#include "privacy/privacy.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::analytics_source {
namespace {

using nlohmann::json;
using profiles::WriteResult;

constexpr Micros kDay = 86'400'000'000;
constexpr Micros kJan1 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z
const identity::AuditContext kSystem = identity::AuditContext::System();

class AnalyticsSourceTest : public ::testing::TestWithParam<std::string> {
 protected:
  AnalyticsSourceTest() : tenant_id_(profiles::CreateTestTenant(db_.store(), "acme")) {}

  std::string Customer(const std::string& traits) {
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(db_.store(), tenant_id_, [&](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Customer", .traits_json = traits}, kSystem);
    });
    EXPECT_TRUE(customer.ok()) << customer.status().ToString();
    return customer.ok() ? customer->id : "";
  }

  // A survey response row (its channel, stage, language, team and agent) and one score of it.
  void Submit(const std::optional<std::string>& customer, feedback::Metric metric, int score, Micros at,
              const std::string& touchpoint, const std::string& channel = "", const std::string& team = "") {
    static int survey_responses = 0;
    const Status status = db_.store().Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      std::optional<std::string> survey_response_id;
      if (!channel.empty()) {
        survey_response_id = "srs_" + std::to_string(++survey_responses);
        TP_RETURN_IF_ERROR(tx.Execute("INSERT INTO survey_responses (tenant_id, id, survey_id, version, customer_id, channel, "
                                      "touchpoint, stage, language, team_id, agent_id, status, data, started_at, submitted_at) "
                                      "VALUES ($1, $2, 'svy_1', 1, $3, $4, $5, 'delivery', 'cs', $6, 'usr_1', 'completed', "
                                      "'{}', $7, $7)",
                                      {*survey_response_id, store::Nullable(customer), channel, touchpoint, team, at})
                               .status());
      }
      return feedback::SubmitFeedback(tx, {.customer_id = customer, .survey = "relationship", .metric = metric,
                                           .score = score, .touchpoint = touchpoint, .created_at = at,
                                           .survey_response_id = survey_response_id},
                                      kSystem)
          .status();
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  void Seed() {
    vip_ = Customer(R"({"segment": "vip", "country": "CZ", "email": "jana@example.cz", "phone_number": "+420777123456"})");
    basic_ = Customer(R"({"segment": "basic", "country": "SK", "age": 41})");
    const feedback::Metric nps = feedback::Metric::kNps;
    for (int index = 0; index < 40; ++index) {
      const std::string& customer = index % 3 == 0 ? basic_ : vip_;
      Submit(customer, nps, (index * 7) % 11, kJan1 + index * 3 * kDay, index % 2 == 0 ? "delivery" : "checkout",
             index % 4 == 0 ? "email" : (index % 4 == 1 ? "web" : ""), index % 5 == 0 ? "tea_1" : "tea_2");
      Submit(customer, feedback::Metric::kCsat, 1 + index % 5, kJan1 + index * 2 * kDay, "support", "email",
             index % 2 == 0 ? "tea_1" : "tea_2");
    }
    Submit(std::nullopt, nps, 10, kJan1 + 5 * kDay, "delivery");
  }

  analytics::QueryResult Ask(const std::string& body) {
    Result<analytics::Query> query = analytics::ParseQuery(json::parse(body), kJan1 + 400 * kDay);
    EXPECT_TRUE(query.ok()) << query.status().ToString();
    Result<analytics::QueryResult> result = analytics::RunQuery(engine_, tenant_id_, *query);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    return result.ok() ? *result : analytics::QueryResult{};
  }

  // Rows of (group key text, promoters/satisfied, detractors, n) from SQL.
  std::map<std::string, std::array<std::int64_t, 3>> SqlCounts(const std::string& sql) {
    std::map<std::string, std::array<std::int64_t, 3>> counts;
    const Status status = db_.store().Read(tenant_id_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql));
      for (const store::Row& row : rows) counts[row.Text(0)] = {row.Int(1), row.Int(2), row.Int(3)};
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return counts;
  }

  std::string TraitSql(const std::string& name) const {
    return GetParam() == "postgres" ? "COALESCE((c.traits::json)->>'" + name + "', '')"
                                    : "COALESCE(json_extract(c.traits, '$." + name + "'), '')";
  }

  void Load() {
    Result<std::unique_ptr<analytics::TenantData>> data = LoadTenant(db_.store(), tenant_id_);
    ASSERT_TRUE(data.ok()) << data.status().ToString();
    engine_.ReplaceTenant(tenant_id_, std::move(*data));
  }

  std::int64_t CountOf(const std::string& customer_id) {
    return Ask(R"({"metric": "response_count", "filters": [{"field": "customer_id", "equals": ")" + customer_id + R"("}]})")
        .total.count;
  }

  store::TestDatabase db_{GetParam()};
  std::string tenant_id_;
  std::string vip_;
  std::string basic_;
  analytics::Engine engine_;
};

// The golden questions: the engine's answer and the same question in SQL on this store agree.
TEST_P(AnalyticsSourceTest, AnswersAsSqlDoes) {
  Seed();
  Load();
  const std::string nps_counts =
      "SUM(CASE WHEN f.score >= 9 THEN 1 ELSE 0 END), SUM(CASE WHEN f.score <= 6 THEN 1 ELSE 0 END), COUNT(*) "
      "FROM feedback_responses f LEFT JOIN survey_responses r ON r.tenant_id = f.tenant_id AND r.id = f.survey_response_id "
      "LEFT JOIN customers c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id ";
  struct Golden {
    std::string engine_query;
    std::string sql;
    bool nps = true;
    std::size_t groups = 1;  // how many groups SQL finds: the data was seeded to have them
  };
  const std::vector<Golden> goldens = {
      {R"({"metric": "nps"})", "SELECT '' AS k, " + nps_counts + "WHERE f.tenant_id = $1 AND f.metric = 'nps'"},
      {R"({"metric": "nps", "group_by": ["touchpoint"]})",
       "SELECT f.touchpoint, " + nps_counts + "WHERE f.tenant_id = $1 AND f.metric = 'nps' GROUP BY f.touchpoint", true, 2},
      {R"({"metric": "nps", "group_by": ["segment", "channel"], "time": {"since": "2026-02-01T00:00:00Z", "until": "2026-04-01T00:00:00Z"}})",
       "SELECT " + TraitSql("segment") + " || '|' || COALESCE(r.channel, ''), " + nps_counts +
           "WHERE f.tenant_id = $1 AND f.metric = 'nps' AND f.created_at >= " + std::to_string(kJan1 + 31 * kDay) +
           " AND f.created_at < " + std::to_string(kJan1 + 90 * kDay) + " GROUP BY 1", true, 6},
      {R"({"metric": "csat", "group_by": ["team"], "filters": [{"field": "country", "in": ["CZ"]}]})",
       "SELECT COALESCE(r.team_id, ''), SUM(CASE WHEN f.score >= 4 THEN 1 ELSE 0 END), 0, COUNT(*) FROM feedback_responses f "
       "LEFT JOIN survey_responses r ON r.tenant_id = f.tenant_id AND r.id = f.survey_response_id "
       "LEFT JOIN customers c ON c.tenant_id = f.tenant_id AND c.id = f.customer_id "
       "WHERE f.tenant_id = $1 AND f.metric = 'csat' AND " + TraitSql("country") + " = 'CZ' GROUP BY 1",
       false, 2},
  };
  for (const Golden& golden : goldens) {
    SCOPED_TRACE(golden.engine_query);
    const analytics::QueryResult result = Ask(golden.engine_query);
    const auto expected = SqlCounts(golden.sql);
    EXPECT_EQ(expected.size(), golden.groups);
    std::map<std::string, std::array<std::int64_t, 3>> actual;
    for (const analytics::GroupValue& group : result.groups) {
      std::string key;
      for (std::size_t part = 0; part < group.keys.size(); ++part) key += (part == 0 ? "" : "|") + group.keys[part];
      const feedback::MetricSummary& summary = group.summary;
      const auto share = [&](const std::optional<double>& pct) {
        return static_cast<std::int64_t>(std::llround(pct.value_or(0) * summary.count / 100.0));
      };
      actual[key] = golden.nps ? std::array<std::int64_t, 3>{share(summary.promoters_pct), share(summary.detractors_pct), summary.count}
                               : std::array<std::int64_t, 3>{share(summary.satisfied_pct), 0, summary.count};
    }
    if (result.columns.empty()) {
      const feedback::MetricSummary& total = result.total;
      actual = {{"", {std::llround(total.promoters_pct.value_or(0) * total.count / 100.0),
                      std::llround(total.detractors_pct.value_or(0) * total.count / 100.0), total.count}}};
    }
    EXPECT_EQ(actual, expected);
  }
}

TEST_P(AnalyticsSourceTest, LeavesContactDataOutOfTheTraits) {
  Seed();
  Load();
  const Status status = engine_.Read(tenant_id_, [](const analytics::TenantData& data) -> Status {
    EXPECT_NE(data.customers.Trait("segment"), nullptr);
    EXPECT_NE(data.customers.Trait("age"), nullptr);
    EXPECT_EQ(data.customers.Trait("email"), nullptr);
    EXPECT_EQ(data.customers.Trait("phone_number"), nullptr);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok());
}

TEST_P(AnalyticsSourceTest, AnEmptyTenantLoadsEmpty) {
  Load();
  const analytics::QueryResult result = Ask(R"({"metric": "nps", "group_by": ["touchpoint"], "bucket": "month"})");
  EXPECT_EQ(result.total.count, 0);
  EXPECT_TRUE(result.groups.empty());
}

TEST_P(AnalyticsSourceTest, FollowsTheChangeFeed) {
  Seed();
  changes::Feed feed(db_.store(), {.poll_interval = std::chrono::milliseconds(20), .min_interval = std::chrono::milliseconds(1)});
  Follower follower(db_.store(), engine_);
  follower.Subscribe(feed);
  ASSERT_TRUE(feed.Start().ok());
  // Committed after the feed started but before the load: delivered while loading, held, applied once.
  Submit(vip_, feedback::Metric::kCes, 2, kJan1 + 3 * kDay, "support");
  ASSERT_TRUE(follower.CatchUp(feed).ok());
  EXPECT_TRUE(engine_.loaded());
  EXPECT_EQ(Ask(R"({"metric": "ces"})").total.count, 1);
  const auto settle = [&] {
    Result<std::int64_t> head = feed.HeadSequence();
    ASSERT_TRUE(head.ok());
    ASSERT_TRUE(feed.WaitHandled(*head, std::chrono::seconds(30)));
  };
  const std::int64_t before = Ask(R"({"metric": "response_count"})").total.count;
  const std::int64_t vip_rows = CountOf(vip_);
  const std::int64_t basic_rows = CountOf(basic_);

  // A new response is visible, with its customer's traits.
  const std::string newcomer = Customer(R"({"segment": "new"})");
  Submit(newcomer, feedback::Metric::kNps, 10, kJan1 + 200 * kDay, "store", "web", "tea_3");
  Submit(newcomer, feedback::Metric::kCes, 5, kJan1 + 4 * kDay, "support");
  settle();
  EXPECT_EQ(Ask(R"({"metric": "response_count"})").total.count, before + 2);
  EXPECT_EQ(Ask(R"({"metric": "ces"})").total.count, 2);
  EXPECT_EQ(Ask(R"({"metric": "nps", "filters": [{"field": "segment", "equals": "new"}, {"field": "team", "equals": "tea_3"}]})")
                .total.count,
            1);

  // Many responses in one commit arrive in one batch and are read in a few statements.
  const Status many = db_.store().Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
    for (int index = 0; index < 700; ++index) {
      TP_RETURN_IF_ERROR(feedback::SubmitFeedback(tx, {.customer_id = index % 2 == 0 ? std::optional<std::string>(newcomer) : std::nullopt,
                                                       .survey = "bulk", .metric = feedback::Metric::kCsat, .score = 1 + index % 5,
                                                       .touchpoint = "bulk", .created_at = kJan1 + index * 1'000'000LL},
                                                  kSystem)
                             .status());
    }
    return Status::Ok();
  });
  ASSERT_TRUE(many.ok()) << many.ToString();
  settle();
  EXPECT_EQ(Ask(R"({"metric": "csat", "filters": [{"field": "touchpoint", "equals": "bulk"}]})").total.count, 700);
  EXPECT_EQ(Ask(R"({"metric": "csat", "filters": [{"field": "touchpoint", "equals": "bulk"}, {"field": "segment", "equals": "new"}]})")
                .total.count,
            350);

  // A trait change moves the customer's rows to the new segment.
  ASSERT_TRUE(WriteResult<profiles::Customer>(db_.store(), tenant_id_, [&](store::TenantTx& tx) {
                return profiles::UpdateCustomer(tx, newcomer, {.traits_json = R"({"segment": "vip"})"}, kSystem);
              }).ok());
  settle();
  EXPECT_EQ(Ask(R"({"metric": "nps", "filters": [{"field": "segment", "equals": "new"}]})").total.count, 0);

  // An identify call changes traits through events.ingested (no customer.updated).
  const auto identify = [&](const std::string& segment, int index) -> Result<ingest::IngestSummary> {
    std::optional<ingest::IngestSummary> summary;
    const Status status = db_.store().Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(events::Message message,
                          events::ParseSegmentMessage(json{{"type", "identify"}, {"userId", "u-identified"},
                                                           {"messageId", "m-" + std::to_string(index)},
                                                           {"traits", {{"segment", segment}}}},
                                                      {.received_at = NowMicros()}));
      TP_ASSIGN_OR_RETURN(summary, ingest::IngestMessages(tx, {message}, kSystem));
      return Status::Ok();
    });
    if (!status.ok()) return status;
    return *summary;
  };
  Result<ingest::IngestSummary> identified = identify("gold", 1);
  ASSERT_TRUE(identified.ok()) << identified.status().ToString();
  const std::string identified_id = identified->customer_ids.at(0);
  Submit(identified_id, feedback::Metric::kNps, 9, kJan1 + 201 * kDay, "web");
  settle();
  EXPECT_EQ(Ask(R"({"metric": "nps", "filters": [{"field": "segment", "equals": "gold"}]})").total.count, 1);
  ASSERT_TRUE(identify("silver", 2).ok());
  settle();
  EXPECT_EQ(Ask(R"({"metric": "nps", "filters": [{"field": "segment", "equals": "gold"}]})").total.count, 0);
  EXPECT_EQ(Ask(R"({"metric": "nps", "filters": [{"field": "segment", "equals": "silver"}]})").total.count, 1);

  // A merge moves the merged profile's rows to the survivor; undoing it moves them back.
  Result<ingest::Merge> merge = WriteResult<ingest::Merge>(db_.store(), tenant_id_, [&](store::TenantTx& tx) {
    return ingest::MergeCustomers(tx, vip_, basic_, "manual", kSystem);
  });
  ASSERT_TRUE(merge.ok()) << merge.status().ToString();
  settle();
  EXPECT_EQ(CountOf(vip_), vip_rows + basic_rows);
  EXPECT_EQ(CountOf(basic_), 0);
  ASSERT_TRUE(WriteResult<ingest::Merge>(db_.store(), tenant_id_, [&](store::TenantTx& tx) {
                return ingest::UndoMerge(tx, merge->id, kSystem);
              }).ok());
  settle();
  EXPECT_EQ(CountOf(vip_), vip_rows);
  EXPECT_EQ(CountOf(basic_), basic_rows);

  // An erasure unlinks the person's rows (the store keeps the scores unlinked too).
  ASSERT_TRUE(WriteResult<privacy::ErasureReport>(db_.store(), tenant_id_, [&](store::TenantTx& tx) {
                return privacy::EraseCustomer(tx, vip_, kSystem);
              }).ok());
  settle();
  EXPECT_EQ(CountOf(vip_), 0);
  EXPECT_EQ(Ask(R"({"metric": "response_count"})").total.count, before + 703);
  EXPECT_EQ(Ask(R"({"metric": "response_count", "filters": [{"field": "country", "equals": "CZ"}]})").total.count, 0);
  feed.Stop();

  // The engine and a fresh load from the store agree after all of it.
  const analytics::QueryResult followed = Ask(R"({"metric": "nps", "group_by": ["segment", "touchpoint"]})");
  Load();
  const analytics::QueryResult reloaded = Ask(R"({"metric": "nps", "group_by": ["segment", "touchpoint"]})");
  EXPECT_EQ(analytics::QueryResultJson(followed), analytics::QueryResultJson(reloaded));
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsSourceTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::analytics_source
