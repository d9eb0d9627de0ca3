#include "privacy/privacy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cases/cases.h"
#include "feedback/feedback.h"
#include "ingest/ingest_test_support.h"
#include "ingest/merges.h"
#include "timeline/timeline.h"

namespace tp::privacy {
namespace {

using nlohmann::json;

class PrivacyTest : public ingest::IngestFixture {
 protected:
  // A person known from two devices (merged), with orders, a case, a survey comment and a note.
  std::string CreatePerson() {
    const std::string phone_profile =
        Ingest({Msg({{"type", "identify"}, {"anonymousId", "device-2"}, {"traits", {{"phone", "+420 602 555 444"}}}}, 1)})
            .customer_ids[0];
    const std::string person =
        Ingest({Msg({{"type", "identify"}, {"userId", "user-erase-me"}, {"anonymousId", "device-1"},
                     {"traits", {{"email", "erase.me@example.cz"}, {"name", "Zdenka Smazatelna"}}}}, 2),
                Msg({{"type", "track"}, {"userId", "user-erase-me"}, {"event", "Order Completed"},
                     {"properties", {{"revenue", 99}, {"shipping_address", "Smazatelna 12, Brno"}}},
                     {"context", {{"ip", "198.51.100.77"}}}}, 3)})
            .customer_ids[0];
    EXPECT_TRUE(profiles::WriteResult<ingest::Merge>(store(), tenant_, [&](store::TenantTx& tx) {
                  return ingest::MergeCustomers(tx, person, phone_profile, "manual", identity::AuditContext::System());
                }).ok());
    EXPECT_TRUE(profiles::WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
                  return cases::CreateCase(tx, {.customer_id = person, .subject = "Zdenka Smazatelna: parcel lost"},
                                           identity::AuditContext::System());
                }).ok());
    EXPECT_TRUE(profiles::WriteResult<feedback::FeedbackResponse>(store(), tenant_, [&](store::TenantTx& tx) {
                  return feedback::SubmitFeedback(tx, {.customer_id = person, .survey = "nps", .metric = feedback::Metric::kNps,
                                                       .score = 3, .comment = "Call me on +420602555444, Zdenka"},
                                                  identity::AuditContext::System());
                }).ok());
    EXPECT_TRUE(profiles::WriteResult<timeline::Note>(store(), tenant_, [&](store::TenantTx& tx) {
                  return timeline::AddNote(tx, person, "usr_agent", "Zdenka Smazatelna asked for a refund",
                                           identity::AuditContext::System());
                }).ok());
    return person;
  }

  // Every text cell of every table that mentions one of `needles`, as "table: cell".
  std::vector<std::string> Leftovers(const std::vector<std::string>& needles, const std::string& allowed_audit_id) {
    std::vector<std::string> found;
    const Status status = store().ReadSystem([&](store::SystemTx& tx) -> Status {
      const std::string list_tables =
          db_->url().rfind("sqlite:", 0) == 0
              ? "SELECT name FROM sqlite_master WHERE type = 'table'"
              : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()";
      TP_ASSIGN_OR_RETURN(store::Rows tables, tx.Query(list_tables));
      for (const store::Row& table : tables) {
        const std::string name = table.Text(0);
        TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT * FROM " + name));
        for (const store::Row& row : rows) {
          for (std::size_t column = 0; column < row.size(); ++column) {
            const std::string cell = row.Text(column);
            for (const std::string& needle : needles) {
              if (cell.find(needle) == std::string::npos) continue;
              if (name == "audit_log" && cell == allowed_audit_id) continue;  // the erasure record's target
              found.push_back(name + ": " + cell);
            }
          }
        }
      }
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return found;
  }
};

TEST_P(PrivacyTest, ExportHoldsEverythingAboutThePerson) {
  const std::string person = CreatePerson();
  Result<json> exported = profiles::WriteResult<json>(store(), tenant_, [&](store::TenantTx& tx) {
    return ExportCustomerData(tx, person, identity::AuditContext::System());
  });
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ((*exported)["profile"]["email"], "erase.me@example.cz");
  EXPECT_EQ((*exported)["profile"]["phone"], "+420602555444");
  EXPECT_EQ((*exported)["merged_profile_ids"].size(), 1u);
  EXPECT_EQ((*exported)["events"].size(), 3u);
  EXPECT_EQ((*exported)["customer_identifiers"].size(), 5u);
  EXPECT_EQ((*exported)["cases"].size(), 1u);
  EXPECT_EQ((*exported)["feedback_responses"][0]["comment"], "Call me on +420602555444, Zdenka");
  EXPECT_EQ((*exported)["customer_notes"].size(), 1u);
  EXPECT_GE((*exported)["trait_history"].size(), 3u);
  EXPECT_EQ((*exported)["events"][2]["name"], "Order Completed");
  EXPECT_EQ((*exported)["events"][2]["properties"]["shipping_address"], "Smazatelna 12, Brno");
}

TEST_P(PrivacyTest, ErasureLeavesNothingFindable) {
  const std::string person = CreatePerson();
  const std::string bystander =
      Ingest({Msg({{"type", "identify"}, {"userId", "someone-else"}, {"traits", {{"email", "keep@example.cz"}}}}, 5)})
          .customer_ids[0];
  Result<std::vector<std::string>> ids = profiles::ReadResult<std::vector<std::string>>(
      store(), tenant_, [&](store::TenantTx& tx) { return ingest::ProfileAndMergedIds(tx, person); });
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 2u);

  Result<ErasureReport> report = profiles::WriteResult<ErasureReport>(store(), tenant_, [&](store::TenantTx& tx) {
    return EraseCustomer(tx, (*ids)[1], identity::AuditContext::System());  // through the merged id
  });
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->customer_id, person);
  EXPECT_EQ(report->profiles, 2);
  EXPECT_EQ(report->events, 3);
  EXPECT_EQ(report->cases, 1);
  EXPECT_EQ(report->feedback_responses, 1);

  const std::vector<std::string> needles = {"erase.me@example.cz", "Zdenka", "Smazatelna", "602555444", "user-erase-me",
                                            "device-1", "device-2", "198.51.100.77", (*ids)[1], person};
  EXPECT_THAT(Leftovers(needles, person), ::testing::IsEmpty());
  // The erasure itself is on record, and nobody else was touched.
  Result<std::int64_t> erasures = profiles::ReadResult<std::int64_t>(store(), tenant_, [&](store::TenantTx& tx) -> Result<std::int64_t> {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND action = $2",
                                              {std::string("customer.erase")}));
    return row->Int(0);
  });
  EXPECT_EQ(*erasures, 1);
  EXPECT_EQ(Customer(bystander).email, "keep@example.cz");
  EXPECT_EQ(EventsOf(bystander), 1);
  // Events from the erased person's devices start a new, empty profile rather than reviving the old one.
  EXPECT_NE(Ingest({Msg({{"type", "page"}, {"anonymousId", "device-1"}}, 9)}).customer_ids[0], person);
}

INSTANTIATE_TEST_SUITE_P(Backends, PrivacyTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::privacy
