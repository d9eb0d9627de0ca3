#include "analytics/engine.h"

#include <gtest/gtest.h>

#include <thread>

#include "analytics/query.h"

namespace tp::analytics {
namespace {

constexpr Micros kJan1 = 1'767'225'600'000'000;  // 2026-01-01T00:00:00Z

AddResponse Nps(int score, const std::string& customer, const std::string& touchpoint, Micros at = kJan1) {
  return AddResponse{.metric = feedback::Metric::kNps, .score = score, .created_at = at, .customer_id = customer,
                     .touchpoint = touchpoint, .survey = "relationship"};
}

std::int64_t CountOf(const Engine& engine, const std::string& customer) {
  Query query{.metric = QueryMetric::kResponseCount};
  query.filters.push_back({.kind = Filter::Kind::kCustomer, .values = {customer}});
  Result<QueryResult> result = RunQuery(engine, "ten_a", query);
  EXPECT_TRUE(result.ok()) << result.status().message();
  return result.ok() ? result->total.count : -1;
}

TEST(EngineLayout, HoldsAResponseInAtMost32Bytes) {
  TenantData data;
  for (int row = 0; row < 200'000; ++row) {
    ASSERT_TRUE(ApplyOperation(data, Nps(row % 11, "cus_" + std::to_string(row % 1000), "delivery", kJan1 + row)).ok());
  }
  const TenantData::Memory memory = data.MeasureMemory();
  EXPECT_EQ(memory.rows, 200'000u);
  // Four full chunks' worth of columns for 3.05 chunks of rows: the bound holds with the slack of the last.
  EXPECT_LE(static_cast<double>(memory.response_bytes) / (4 * kChunkRows), 32.0);
  EXPECT_EQ(sizeof(std::uint8_t) + kRowDimensions * sizeof(std::uint16_t) + sizeof(std::int32_t) + sizeof(std::uint32_t),
            23u);
}

TEST(EngineTime, KeepsWholeSecondsAroundTheEpoch) {
  EXPECT_EQ(ToEngineSeconds(kTimeEpoch), 0);
  EXPECT_EQ(ToEngineSeconds(kTimeEpoch - 1), -1);
  EXPECT_EQ(FromEngineSeconds(ToEngineSeconds(kJan1 + 5'000'000)), kJan1 + 5'000'000);
}

TEST(EngineDictionary, GivesCodeZeroToTheEmptyValueAndSharesTheLastCodeBeyondTheLimit) {
  Dictionary dictionary;
  EXPECT_EQ(dictionary.Encode(""), kEmptyCode);
  EXPECT_EQ(dictionary.Encode("a", 4), 1u);
  EXPECT_EQ(dictionary.Encode("b", 4), 2u);
  EXPECT_EQ(dictionary.Encode("c", 4), 3u);
  EXPECT_EQ(dictionary.Encode("d", 4), 3u);
  EXPECT_EQ(dictionary.Value(3), kOverflowValue);
  EXPECT_EQ(dictionary.Encode("a", 4), 1u);
  EXPECT_FALSE(dictionary.Find("c").has_value());
}

TEST(EngineApply, RefusesAScoreOutsideTheScale) {
  Engine engine;
  Status status = engine.Apply("ten_a", {Nps(11, "cus_1", "web")});
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "score");
}

TEST(EngineApply, MergeMovesRowsAndUnmergeMovesTheMatchingOnesBack) {
  Engine engine;
  ASSERT_TRUE(engine.Apply("ten_a", {Nps(9, "cus_1", "web"), Nps(3, "cus_2", "web"), Nps(3, "cus_2", "store")}).ok());
  ASSERT_TRUE(engine.Apply("ten_a", {MergeCustomers{.survivor_id = "cus_1", .merged_id = "cus_2"}}).ok());
  EXPECT_EQ(CountOf(engine, "cus_1"), 3);
  EXPECT_EQ(CountOf(engine, "cus_2"), 0);
  ASSERT_TRUE(engine
                  .Apply("ten_a", {MoveResponses{.from_customer_id = "cus_1", .to_customer_id = "cus_2",
                                                 .responses = {Nps(3, "cus_2", "web"), Nps(3, "cus_2", "store")}}})
                  .ok());
  EXPECT_EQ(CountOf(engine, "cus_1"), 1);
  EXPECT_EQ(CountOf(engine, "cus_2"), 2);
}

TEST(EngineApply, ErasureUnlinksRowsAndForgetsTraits) {
  Engine engine;
  ASSERT_TRUE(engine.Apply("ten_a", {UpsertCustomer{.customer_id = "cus_1", .traits = {{"segment", "vip"}}},
                                     Nps(9, "cus_1", "web"), Nps(10, "cus_1", "web")}).ok());
  ASSERT_TRUE(engine.Apply("ten_a", {EraseCustomers{.profile_ids = {"cus_1"}}}).ok());
  EXPECT_EQ(CountOf(engine, "cus_1"), 0);
  Query query{.metric = QueryMetric::kNps};
  query.group_by.push_back(*ParseDimension("segment", "group_by[0]"));
  Result<QueryResult> result = RunQuery(engine, "ten_a", query);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->groups.size(), 1u);
  EXPECT_EQ(result->groups[0].keys[0], "");  // the scores stay, attributed to nobody
  EXPECT_EQ(result->groups[0].summary.count, 2);
}

TEST(EngineRead, NeverSeesHalfABatch) {
  Engine engine;
  std::atomic<bool> done = false;
  std::thread writer([&] {
    for (int batch = 0; batch < 300; ++batch) {
      // Every batch adds one promoter and one detractor: a reader must always see as many of each.
      ASSERT_TRUE(engine.Apply("ten_a", {Nps(10, "cus_1", "web", kJan1 + batch), Nps(0, "cus_2", "web", kJan1 + batch)}).ok());
    }
    done = true;
  });
  int reads = 0;
  while (!done || reads == 0) {
    Result<QueryResult> result = RunQuery(engine, "ten_a", Query{.metric = QueryMetric::kNps});
    ASSERT_TRUE(result.ok());
    ASSERT_EQ(result->total.count % 2, 0);
    if (result->total.count > 0) {
      EXPECT_EQ(result->total.nps.value_or(1), 0.0);
    }
    ++reads;
  }
  writer.join();
}

TEST(EngineRead, AnUnknownTenantIsEmpty) {
  Engine engine;
  Result<QueryResult> result = RunQuery(engine, "ten_none", Query{.metric = QueryMetric::kNps});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->total.count, 0);
  EXPECT_FALSE(result->total.nps.has_value());
  EXPECT_TRUE(result->groups.empty());
}

TEST(EngineApply, ReplaceTenantSwapsInNewData) {
  Engine engine;
  ASSERT_TRUE(engine.Apply("ten_a", {Nps(9, "cus_1", "web")}, 5).ok());
  EXPECT_EQ(engine.AppliedSequence("ten_a"), 5);
  auto data = std::make_unique<TenantData>();
  ASSERT_TRUE(ApplyOperation(*data, Nps(1, "cus_1", "web")).ok());
  ASSERT_TRUE(ApplyOperation(*data, Nps(2, "cus_1", "web", kJan1 + kMicrosPerDay)).ok());
  data->applied_sequence = 9;
  engine.ReplaceTenant("ten_a", std::move(data));
  EXPECT_EQ(CountOf(engine, "cus_1"), 2);
  EXPECT_EQ(engine.AppliedSequence("ten_a"), 9);
}

}  // namespace
}  // namespace tp::analytics
