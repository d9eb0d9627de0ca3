#include "profiles/identifiers.h"

#include <gtest/gtest.h>

#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::profiles {
namespace {

TEST(IdentifierTest, NormalisesPerKind) {
  EXPECT_EQ(NormaliseIdentifier(IdentifierKind::kEmail, " Jana@Example.CZ ")->value, "jana@example.cz");
  EXPECT_EQ(NormaliseIdentifier(IdentifierKind::kWhatsapp, "+420 (777) 123-456")->value, "+420777123456");
  EXPECT_EQ(NormaliseIdentifier(IdentifierKind::kUserId, "  u-1 ")->value, "u-1");
  EXPECT_EQ(NormaliseIdentifier(IdentifierKind::kEmail, "nope").status().field(), "email");
  EXPECT_EQ(NormaliseIdentifier(IdentifierKind::kPhone, "123", "traits.phone").status().field(), "traits.phone");
  EXPECT_FALSE(NormaliseIdentifier(IdentifierKind::kTelegram, "").ok());
  EXPECT_FALSE(NormaliseIdentifier(IdentifierKind::kUserId, std::string(kMaxIdentifierChars + 1, 'u')).ok());
  EXPECT_FALSE(ProfileMayHoldMany(IdentifierKind::kUserId));
  EXPECT_TRUE(ProfileMayHoldMany(IdentifierKind::kEmail));
  EXPECT_GT(IdentifierStrength(IdentifierKind::kUserId), IdentifierStrength(IdentifierKind::kEmail));
  for (IdentifierKind kind : AllIdentifierKinds()) EXPECT_EQ(*ParseIdentifierKind(IdentifierKindName(kind)), kind);
}

class IdentifiersTest : public ::testing::TestWithParam<std::string> {
 protected:
  store::TestDatabase db_{GetParam()};
};

TEST_P(IdentifiersTest, CustomersAreFoundByTheirContactDataAndIdentifiersAreExclusive) {
  const std::string tenant = CreateTestTenant(db_.store(), "acme");
  auto create = [&](const NewCustomer& input) {
    return WriteResult<Customer>(db_.store(), tenant, [&](store::TenantTx& tx) {
      return CreateCustomer(tx, input, identity::AuditContext::System());
    });
  };
  Result<Customer> jana = create({.name = "Jana", .email = "jana@example.cz", .phone = "+420777123456"});
  ASSERT_TRUE(jana.ok()) << jana.status().ToString();
  EXPECT_EQ(create({.name = "Jana 2", .email = "JANA@example.cz"}).status().code(), ErrorCode::kConflict);

  Result<std::optional<std::string>> owner = ReadResult<std::optional<std::string>>(
      db_.store(), tenant, [&](store::TenantTx& tx) {
        return FindCustomerByIdentifier(tx, {IdentifierKind::kPhone, "+420777123456"});
      });
  ASSERT_TRUE(owner.ok());
  EXPECT_EQ(*owner, jana->id);

  // A corrected e-mail replaces the old one.
  ASSERT_TRUE(WriteResult<Customer>(db_.store(), tenant, [&](store::TenantTx& tx) {
                return UpdateCustomer(tx, jana->id, {.email = std::optional<std::string>("jana@new.cz")},
                                      identity::AuditContext::System());
              }).ok());
  Result<std::vector<IdentifierLink>> links = ReadResult<std::vector<IdentifierLink>>(
      db_.store(), tenant, [&](store::TenantTx& tx) { return ListIdentifiers(tx, jana->id); });
  ASSERT_TRUE(links.ok());
  ASSERT_EQ(links->size(), 2u);
  EXPECT_EQ((*links)[0].identifier, (Identifier{IdentifierKind::kEmail, "jana@new.cz"}));
  EXPECT_TRUE(create({.name = "Someone", .email = "jana@example.cz"}).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentifiersTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::profiles
