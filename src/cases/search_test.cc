#include "cases/search.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "cases/conversation.h"
#include "cases/test_support.h"
#include "common/crypto.h"
#include "identity/teams.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::cases {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using profiles::ReadResult;
using profiles::WriteResult;


class CaseSearchTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    other_tenant_ = profiles::CreateTestTenant(store(), "globex");
    const Status status = store().Write(tenant_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(identity::Team returns, identity::CreateTeam(tx, kSystemActor, {.name = "Returns", .kind = "service"}));
      TP_ASSIGN_OR_RETURN(identity::Team sales, identity::CreateTeam(tx, kSystemActor, {.name = "Sales", .kind = "sales"}));
      TP_ASSIGN_OR_RETURN(profiles::Customer jana, profiles::CreateCustomer(tx, {.name = "Jana"}, kSystemActor));
      returns_ = returns.id;
      sales_ = sales.id;
      TP_ASSIGN_OR_RETURN(Case parcel, CreateCase(tx, {.customer_id = jana.id, .subject = "Zásilka dorazila poškozená",
                                                       .team_id = returns.id},
                                                  kSystemActor));
      TP_ASSIGN_OR_RETURN(Case invoice, CreateCase(tx, {.customer_id = jana.id, .subject = "Faktura za objednávku",
                                                        .team_id = sales.id},
                                                   kSystemActor));
      parcel_ = parcel.id;
      invoice_ = invoice.id;
      TP_RETURN_IF_ERROR(AddMessage(tx, invoice.id,
                                    {.kind = MessageKind::kCustomer,
                                     .body = "<p>Chybí <b>IČO</b> firmy a zásilka ještě nepřišla</p>",
                                     .format = richtext::BodyFormat::kHtml},
                                    {}, kSystemActor)
                             .status());
      return AddMessage(tx, parcel.id, {.kind = MessageKind::kNote, .body = "Reklamace u dopravce PPL"}, {}, kSystemActor)
          .status();
    });
    ASSERT_TRUE(status.ok()) << status.ToString();
    // Another tenant's case with the same words is never found.
    ASSERT_TRUE(store().Write(other_tenant_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(profiles::Customer petr, profiles::CreateCustomer(tx, {.name = "Petr"}, kSystemActor));
      return CreateCase(tx, {.customer_id = petr.id, .subject = "Zásilka poškozená"}, kSystemActor).status();
    }).ok());
  }

  store::Store& store() { return db_->store(); }

  std::vector<std::string> Found(const CaseSearch& search) {
    auto found = ReadResult<std::vector<Case>>(store(), tenant_,
                                               [&](store::TenantTx& tx) { return SearchCases(tx, search); });
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    std::vector<std::string> ids;
    if (found.ok()) {
      for (const Case& item : *found) ids.push_back(item.id);
    }
    return ids;
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_, other_tenant_, returns_, sales_, parcel_, invoice_;
};

TEST_P(CaseSearchTest, WordsMatchWithoutDiacriticsInSubjectsMessagesAndNotes) {
  EXPECT_THAT(Found({.text = "zasilka posk"}), ElementsAre(parcel_));
  EXPECT_THAT(Found({.text = "ZÁSILKA"}), ElementsAre(parcel_, invoice_));  // most recently updated first
  EXPECT_THAT(Found({.text = "ico"}), ElementsAre(invoice_));              // from the HTML message's text
  EXPECT_THAT(Found({.text = "dopravce ppl"}), ElementsAre(parcel_));      // an internal note
  EXPECT_THAT(Found({.text = "reklam"}), ElementsAre(parcel_));            // the last word as a prefix
  EXPECT_THAT(Found({.text = "zasilka faktura"}), ElementsAre(invoice_));  // the subject and a message
  EXPECT_THAT(Found({.text = "zasilka \"OR\" *"}), IsEmpty());             // operators are words too
  EXPECT_THAT(Found({.text = "b"}), IsEmpty());                            // no markup is indexed
}

TEST_P(CaseSearchTest, FiltersAndAgentsTeamsNarrowTheMatches) {
  EXPECT_THAT(Found({.text = "zasilka", .team_id = returns_}), ElementsAre(parcel_));
  EXPECT_THAT(Found({.text = "zasilka", .only_teams = std::vector{sales_}}), ElementsAre(invoice_));
  EXPECT_THAT(Found({.text = "zasilka", .only_teams = std::vector<std::string>{}}), IsEmpty());
  EXPECT_THAT(Found({.text = "zasilka", .status = CaseStatus::kSolved}), IsEmpty());
  EXPECT_THAT(Found({.text = "zasilka", .limit = 1}), ElementsAre(parcel_));

  auto error = [&](const std::string& text) {
    return ReadResult<std::vector<Case>>(store(), tenant_, [&](store::TenantTx& tx) {
             return SearchCases(tx, {.text = text});
           }).status();
  };
  EXPECT_EQ(error("  ;; -- ").field(), "q");
  EXPECT_EQ(error("a b c d e f g h i j k").field(), "q");
}

TEST_P(CaseSearchTest, ForgottenCasesAreNotFound) {
  ASSERT_TRUE(store().Write(tenant_, [&](store::TenantTx& tx) { return ForgetCaseText(tx, {parcel_}); }).ok());
  EXPECT_THAT(Found({.text = "zasilka"}), ElementsAre(invoice_));
  EXPECT_THAT(Found({.text = "dopravce"}), IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Backends, CaseSearchTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::cases
