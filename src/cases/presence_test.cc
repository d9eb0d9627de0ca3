#include "cases/presence.h"

#include <gtest/gtest.h>

#include <memory>

#include "cases/cases.h"
#include "cases/test_support.h"
#include "common/crypto.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::cases {
namespace {

using profiles::WriteResult;

constexpr Micros kSecond = 1'000'000;

class PresenceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<Case> created = WriteResult<Case>(store(), tenant_, [&](store::TenantTx& tx) -> Result<Case> {
      TP_ASSIGN_OR_RETURN(profiles::Customer jana, profiles::CreateCustomer(tx, {.name = "Jana"}, kSystemActor));
      return CreateCase(tx, {.customer_id = jana.id, .subject = "Kde je balík?"}, kSystemActor);
    });
    ASSERT_TRUE(created.ok());
    case_id_ = created->id;
  }

  store::Store& store() { return db_->store(); }

  std::vector<Presence> Report(const std::string& user, Activity activity, Micros at) {
    auto others = WriteResult<std::vector<Presence>>(store(), tenant_, [&](store::TenantTx& tx) {
      return ReportPresence(tx, case_id_, user, activity, at);
    });
    EXPECT_TRUE(others.ok()) << others.status().ToString();
    return others.ok() ? *others : std::vector<Presence>{};
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_, case_id_;
};

TEST_P(PresenceTest, EachAgentSeesTheOthersUntilTheyLeaveOrGoQuiet) {
  const Micros t0 = NowMicros();
  EXPECT_TRUE(Report("usr_tereza", Activity::kViewing, t0).empty());
  const std::vector<Presence> seen_by_petr = Report("usr_petr", Activity::kReplying, t0 + kSecond);
  ASSERT_EQ(seen_by_petr.size(), 1u);
  EXPECT_EQ(seen_by_petr[0].user_id, "usr_tereza");
  EXPECT_EQ(seen_by_petr[0].activity, Activity::kViewing);

  const std::vector<Presence> seen_by_tereza = Report("usr_tereza", Activity::kViewing, t0 + 2 * kSecond);
  ASSERT_EQ(seen_by_tereza.size(), 1u);
  EXPECT_EQ(seen_by_tereza[0].user_id, "usr_petr");
  EXPECT_EQ(seen_by_tereza[0].activity, Activity::kReplying);

  // Petr stops reporting: after the timeout he is gone.
  EXPECT_TRUE(Report("usr_tereza", Activity::kViewing, t0 + kSecond + kPresenceTimeout + kSecond).empty());
  Report("usr_petr", Activity::kViewing, t0 + kPresenceTimeout + 3 * kSecond);
  ASSERT_TRUE(store().Write(tenant_, [&](store::TenantTx& tx) { return EndPresence(tx, case_id_, "usr_petr"); }).ok());
  EXPECT_TRUE(Report("usr_tereza", Activity::kViewing, t0 + kPresenceTimeout + 4 * kSecond).empty());

  EXPECT_EQ(ParseActivity("typing").status().field(), "activity");
  const Status missing = WriteResult<std::vector<Presence>>(store(), tenant_, [&](store::TenantTx& tx) {
                           return ReportPresence(tx, "cas_01JUNKJUNKJUNKJUNKJUNKJUNK", "usr_x", Activity::kViewing, t0);
                         }).status();
  EXPECT_EQ(missing.code(), ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, PresenceTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::cases
