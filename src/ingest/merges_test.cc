#include "ingest/merges.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cases/cases.h"
#include "feedback/feedback.h"
#include "ingest/ingest_test_support.h"

namespace tp::ingest {
namespace {

using nlohmann::json;

class MergesTest : public IngestFixture {
 protected:
  Result<Merge> MergeNow(const std::string& survivor, const std::string& merged) {
    return profiles::WriteResult<Merge>(store(), tenant_, [&](store::TenantTx& tx) {
      return MergeCustomers(tx, survivor, merged, "manual", identity::AuditContext::System());
    });
  }
  Result<Merge> Undo(const std::string& merge_id) {
    return profiles::WriteResult<Merge>(store(), tenant_, [&](store::TenantTx& tx) {
      return UndoMerge(tx, merge_id, identity::AuditContext::System());
    });
  }
  std::string OpenCase(const std::string& customer_id) {
    Result<cases::Case> created = profiles::WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
      return cases::CreateCase(tx, {.customer_id = customer_id, .subject = "Broken"}, identity::AuditContext::System());
    });
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->id : "";
  }
  std::int64_t CasesOf(const std::string& id) {
    return Count("SELECT COUNT(*) FROM cases WHERE tenant_id = $1 AND customer_id = $2", id);
  }
  std::int64_t IdentifiersOf(const std::string& id) {
    return Count("SELECT COUNT(*) FROM customer_identifiers WHERE tenant_id = $1 AND customer_id = $2", id);
  }
};

TEST_P(MergesTest, UnmergeGivesEachProfileItsOwnHistoryBack) {
  const std::string jana = Ingest({Msg({{"type", "identify"}, {"userId", "jana"}, {"traits", {{"plan", "pro"}}}}, 1),
                                   Msg({{"type", "track"}, {"userId", "jana"}, {"event", "Order Completed"},
                                        {"properties", {{"revenue", 100}}}}, 2)}).customer_ids[0];
  const std::string other = Ingest({Msg({{"type", "identify"}, {"anonymousId", "wrong"},
                                         {"traits", {{"email", "other@example.cz"}, {"city", "Ostrava"}}}}, 3),
                                    Msg({{"type", "page"}, {"anonymousId", "wrong"}}, 4),
                                    Msg({{"type", "page"}, {"anonymousId", "wrong"}}, 5)}).customer_ids[0];
  OpenCase(jana);
  OpenCase(other);
  OpenCase(other);

  Result<Merge> merge = MergeNow(jana, other);
  ASSERT_TRUE(merge.ok()) << merge.status().ToString();
  EXPECT_EQ(merge->survivor_id, jana);
  EXPECT_EQ(EventsOf(jana), 5);
  EXPECT_EQ(CasesOf(jana), 3);
  EXPECT_EQ(IdentifiersOf(jana), 3);  // user id, anonymous id, e-mail
  const profiles::Customer merged_view = Customer(jana);
  EXPECT_EQ(json::parse(merged_view.traits_json)["city"], "Ostrava");
  EXPECT_EQ(merged_view.email, "other@example.cz");
  EXPECT_EQ(merged_view.computed.orders_count, 1);
  // New rows after the merge belong to the survivor and stay there.
  Ingest({Msg({{"type", "page"}, {"userId", "jana"}}, 6)});

  ASSERT_TRUE(Undo(merge->id).ok());
  EXPECT_EQ(Live(other), other);
  EXPECT_EQ(EventsOf(jana), 3);
  EXPECT_EQ(EventsOf(other), 3);
  EXPECT_EQ(CasesOf(jana), 1);
  EXPECT_EQ(CasesOf(other), 2);
  EXPECT_EQ(IdentifiersOf(jana), 1);
  EXPECT_EQ(IdentifiersOf(other), 2);
  const profiles::Customer restored = Customer(jana);
  EXPECT_FALSE(json::parse(restored.traits_json).contains("city"));
  EXPECT_EQ(restored.email, std::nullopt);
  EXPECT_EQ(restored.computed.orders_count, 1);
  EXPECT_EQ(Customer(other).email, "other@example.cz");
  EXPECT_EQ(json::parse(Customer(other).traits_json)["city"], "Ostrava");

  // Events from the merged profile's identifiers go to it again.
  EXPECT_EQ(Ingest({Msg({{"type", "page"}, {"anonymousId", "wrong"}}, 7)}).customer_ids[0], other);
  EXPECT_EQ(Undo(merge->id).status().code(), ErrorCode::kConflict);
}

// An undone merge means "different people": the event that tied them before does not merge them
// again, in either order of its identifiers, but an agent may still merge them by hand.
TEST_P(MergesTest, AnUndoneMergeIsNotRedoneByTheNextEventThatLinksTheProfiles) {
  const std::string anonymous = Ingest({Msg({{"type", "page"}, {"anonymousId", "shared-laptop"}}, 1)}).customer_ids[0];
  const std::string petr = Ingest({Msg({{"type", "identify"}, {"userId", "petr"}}, 2)}).customer_ids[0];
  const IngestSummary linked = Ingest({Msg({{"type", "identify"}, {"userId", "petr"}, {"anonymousId", "shared-laptop"}}, 3)});
  ASSERT_EQ(linked.merges, 1);
  const Result<Page<Merge>> merges = profiles::ReadResult<Page<Merge>>(store(), tenant_, [&](store::TenantTx& tx) {
    return ListMerges(tx, petr, PageRequest{});
  });
  ASSERT_TRUE(merges.ok() && merges->items.size() == 1) << merges.status().ToString();
  ASSERT_TRUE(Undo(merges->items[0].id).ok());

  const IngestSummary again =
      Ingest({Msg({{"type", "track"}, {"userId", "petr"}, {"anonymousId", "shared-laptop"}, {"event", "Login"}}, 4),
              Msg({{"type", "page"}, {"anonymousId", "shared-laptop"}, {"userId", "petr"}}, 5)});
  EXPECT_EQ(again.merges, 0);
  EXPECT_EQ(again.customer_ids[0], petr);  // the user id's profile is the stronger one
  EXPECT_EQ(Live(anonymous), anonymous);
  EXPECT_EQ(Ingest({Msg({{"type", "page"}, {"anonymousId", "shared-laptop"}}, 6)}).customer_ids[0], anonymous);

  const Result<Merge> manual = MergeNow(petr, anonymous);
  ASSERT_TRUE(manual.ok()) << manual.status().ToString();
  EXPECT_EQ(Live(anonymous), petr);
}

TEST_P(MergesTest, UnmergeOfAnEarlierMergeInAChainMovesTheWholeBranch) {
  const std::string a = Ingest({Msg({{"type", "page"}, {"anonymousId", "a"}}, 1)}).customer_ids[0];
  const std::string b = Ingest({Msg({{"type", "page"}, {"anonymousId", "b"}}, 2)}).customer_ids[0];
  const std::string c = Ingest({Msg({{"type", "page"}, {"anonymousId", "c"}}, 3)}).customer_ids[0];
  const std::string d = Ingest({Msg({{"type", "page"}, {"anonymousId", "d"}}, 4)}).customer_ids[0];
  Result<Merge> c_into_b = MergeNow(b, c);
  Result<Merge> b_into_a = MergeNow(a, b);
  Result<Merge> a_into_d = MergeNow(d, a);
  ASSERT_TRUE(c_into_b.ok() && b_into_a.ok() && a_into_d.ok());
  EXPECT_EQ(Live(c), d);
  EXPECT_EQ(EventsOf(d), 4);

  // Undoing b→a takes b and c (merged into b earlier) out of d, where a's rows now live.
  ASSERT_TRUE(Undo(b_into_a->id).ok());
  EXPECT_EQ(Live(b), b);
  EXPECT_EQ(Live(c), b);
  EXPECT_EQ(EventsOf(b), 2);
  EXPECT_EQ(EventsOf(d), 2);
}

TEST_P(MergesTest, RefusesImpossibleMerges) {
  const std::string one = Ingest({Msg({{"type", "identify"}, {"userId", "one"}}, 1)}).customer_ids[0];
  const std::string two = Ingest({Msg({{"type", "identify"}, {"userId", "two"}}, 2)}).customer_ids[0];
  EXPECT_EQ(MergeNow(one, two).status().code(), ErrorCode::kConflict);
  EXPECT_EQ(MergeNow(one, one).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(MergeNow(one, "cus_01ABCDEFGHJKMNPQRSTVWXYZ01").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Undo("mrg_01ABCDEFGHJKMNPQRSTVWXYZ01").status().code(), ErrorCode::kNotFound);
}

TEST_P(MergesTest, MergedProfilesLeaveListsAndSearchAndAreListedAsMerges) {
  const std::string keep = Ingest({Msg({{"type", "identify"}, {"anonymousId", "k"}, {"traits", {{"name", "Karel Keep"}}}}, 1)})
                               .customer_ids[0];
  const std::string gone = Ingest({Msg({{"type", "identify"}, {"anonymousId", "g"}, {"traits", {{"name", "Gustav Gone"}}}}, 2)})
                               .customer_ids[0];
  Result<Merge> merge = MergeNow(keep, gone);
  ASSERT_TRUE(merge.ok());
  Result<Page<profiles::Customer>> listed = profiles::ReadResult<Page<profiles::Customer>>(
      store(), tenant_, [&](store::TenantTx& tx) { return profiles::ListCustomers(tx, {}, {}); });
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].id, keep);
  Result<Page<profiles::Customer>> search = profiles::ReadResult<Page<profiles::Customer>>(
      store(), tenant_, [&](store::TenantTx& tx) { return profiles::ListCustomers(tx, {.search = "gustav"}, {}); });
  ASSERT_TRUE(search.ok());
  EXPECT_TRUE(search->items.empty());
  Result<Page<Merge>> merges = profiles::ReadResult<Page<Merge>>(
      store(), tenant_, [&](store::TenantTx& tx) { return ListMerges(tx, gone, {}); });
  ASSERT_TRUE(merges.ok());
  ASSERT_EQ(merges->items.size(), 1u);
  EXPECT_EQ(merges->items[0].reason, "manual");
}

INSTANTIATE_TEST_SUITE_P(Backends, MergesTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::ingest
