#include "privacy/privacy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>

#include "cases/attachments.h"
#include "cases/cases.h"
#include "cases/conversation.h"
#include "feedback/feedback.h"
#include "feedback/reviews.h"
#include "ingest/ingest_test_support.h"
#include "ingest/merges.h"
#include "timeline/timeline.h"

namespace tp::privacy {
namespace {

using nlohmann::json;

class PrivacyTest : public ingest::IngestFixture {
 protected:
  // A person known from two devices (merged), with orders, a case, a survey comment, a public review
  // (matched by phone to the profile merged away) and a note.
  std::string CreatePerson() {
    const std::string phone_profile =
        Ingest({Msg({{"type", "identify"}, {"anonymousId", "device-2"}, {"traits", {{"phone", "+420 602 555 444"}}}}, 1)})
            .customer_ids[0];
    Result<feedback::NewReview> review = feedback::CleanReview(
        {.source = "google", .rating = 2, .title = "Zdenka's parcel", .text = "Never arrived. Zdenka Smazatelna",
         .reviewed_at = NowMicros() - 1'000'000, .author = "Zdenka Smazatelna", .url = "https://g.example/r/zdenka",
         .identifiers = {*profiles::NormaliseIdentifier(profiles::IdentifierKind::kPhone, "+420 602 555 444")}},
        NowMicros());
    EXPECT_TRUE(review.ok()) << review.status().ToString();
    EXPECT_EQ(profiles::WriteResult<feedback::ReviewCounts>(store(), tenant_, [&](store::TenantTx& tx) {
                return feedback::StoreReviews(tx, {*review}, NowMicros());
              })->matched,
              1);
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
    EXPECT_TRUE(profiles::WriteResult<cases::Message>(store(), tenant_, [&](store::TenantTx& tx) -> Result<cases::Message> {
                  const identity::AuditContext audit = identity::AuditContext::System();
                  TP_ASSIGN_OR_RETURN(cases::Case opened,
                                      cases::CreateCase(tx, {.customer_id = person, .subject = "Zdenka Smazatelna: parcel lost"},
                                                        audit));
                  // What the person wrote, and a file they sent (its content is kept base64: checked by count).
                  TP_ASSIGN_OR_RETURN(cases::Attachment label,
                                      cases::UploadAttachment(tx, opened.id, {.file_name = "smazatelna.txt",
                                                                             .content_type = "text/plain",
                                                                             .content = "Smazatelna 12, Brno"}));
                  return cases::AddMessage(tx, opened.id,
                                           {.kind = cases::MessageKind::kCustomer, .body = "Zdenka here, parcel lost",
                                            .attachment_ids = {label.id}},
                                           {}, audit);
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

  // What identifies the person CreatePerson() made, whose profiles are `person` and `merged`.
  static std::vector<std::string> PersonMarkers(const std::string& person, const std::string& merged) {
    return {"erase.me@example.cz", "Zdenka", "zdenka", "Smazatelna", "smazatelna", "602555444", "user-erase-me",
            "device-1", "device-2", "198.51.100.77", merged, person};
  }

  // The ids of the "customer.erase" audit entries of `person`.
  std::vector<std::string> ErasureRecordIds(const std::string& person) {
    Result<std::vector<std::string>> ids = profiles::ReadResult<std::vector<std::string>>(
        store(), tenant_, [&](store::TenantTx& tx) -> Result<std::vector<std::string>> {
          TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query("SELECT id FROM audit_log WHERE tenant_id = $1 AND action = $2 "
                                                         "AND target_id = $3",
                                                         {std::string("customer.erase"), person}));
          std::vector<std::string> found;
          for (const store::Row& row : rows) found.push_back(row.Text(0));
          return found;
        });
    EXPECT_TRUE(ids.ok()) << ids.status().ToString();
    return ids.ok() ? *ids : std::vector<std::string>{};
  }

  Result<ErasureReport> Erase(const std::string& customer_id) {
    return profiles::WriteResult<ErasureReport>(store(), tenant_, [&](store::TenantTx& tx) {
      return EraseCustomer(tx, customer_id, identity::AuditContext::System());
    });
  }

  // Every text cell of every table that mentions one of `needles`, as "table: cell", except in the one
  // audit entry `erasure_record_id`, which says that the person's profile was erased. The change feed
  // may name profile ids (that is how subscribers learn to forget them; it is pruned after its
  // retention), but nothing else of the person.
  std::vector<std::string> Leftovers(const std::vector<std::string>& needles, const std::string& erasure_record_id) {
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
          const auto is_erasure_record = [&] {
            for (std::size_t column = 0; column < row.size(); ++column) {
              if (row.Text(column) == erasure_record_id) return true;
            }
            return false;
          };
          if (name == "audit_log" && is_erasure_record()) continue;
          for (std::size_t column = 0; column < row.size(); ++column) {
            const std::string cell = row.Text(column);
            for (const std::string& needle : needles) {
              if (name == "change_feed" && needle.starts_with("cus_")) continue;
              if (cell.find(needle) != std::string::npos) found.push_back(name + ": " + cell);
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
  ASSERT_EQ((*exported)["customer_merges"].size(), 1u);
  EXPECT_EQ((*exported)["customer_merges"][0]["survivor_id"], person);
  EXPECT_EQ((*exported)["customer_merges"][0]["merged_id"], (*exported)["merged_profile_ids"][0]);
  EXPECT_EQ((*exported)["customer_merges"][0]["reason"], "manual");
  EXPECT_EQ((*exported)["events"].size(), 3u);
  EXPECT_EQ((*exported)["customer_identifiers"].size(), 5u);
  EXPECT_EQ((*exported)["cases"].size(), 1u);
  EXPECT_EQ((*exported)["feedback_responses"][0]["comment"], "Call me on +420602555444, Zdenka");
  EXPECT_EQ((*exported)["customer_notes"].size(), 1u);
  ASSERT_EQ((*exported)["reviews"].size(), 1u);  // it followed the merge
  EXPECT_EQ((*exported)["reviews"][0]["author"], "Zdenka Smazatelna");
  EXPECT_GE((*exported)["trait_history"].size(), 3u);
  EXPECT_EQ((*exported)["events"][2]["name"], "Order Completed");
  EXPECT_EQ((*exported)["events"][2]["properties"]["shipping_address"], "Smazatelna 12, Brno");
  EXPECT_EQ((*exported)["events"][2]["amount"], "99.00");
  EXPECT_EQ((*exported)["events"][2]["currency"], "EUR");
  // Every time in the document is RFC 3339, as everywhere else in the API.
  std::function<void(const json&, const std::string&)> expect_times = [&](const json& value, const std::string& key) {
    if (value.is_object()) {
      for (const auto& [name, child] : value.items()) expect_times(child, name);
    } else if (value.is_array()) {
      for (const json& child : value) expect_times(child, key);
    } else if (key.ends_with("_at") && !value.is_null()) {
      EXPECT_TRUE(value.is_string() && ParseTimestamp(value.get<std::string>()).has_value()) << key << ": " << value;
    }
  };
  expect_times(*exported, "");
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

  Result<ErasureReport> report = Erase((*ids)[1]);  // through the merged id
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->customer_id, person);
  EXPECT_EQ(report->profiles, 2);
  EXPECT_EQ(report->events, 3);
  EXPECT_EQ(report->cases, 1);
  EXPECT_EQ(report->feedback_responses, 1);
  for (const char* table : {"case_messages", "case_attachments", "case_changes", "attachment_contents"}) {
    const std::int64_t left = *profiles::ReadResult<std::int64_t>(store(), tenant_, [&](store::TenantTx& tx) -> Result<std::int64_t> {
      TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(std::string("SELECT COUNT(*) FROM ") + table + " WHERE tenant_id = $1"));
      return row->Int(0);
    });
    EXPECT_EQ(left, 0) << table;
  }

  // The erasure itself is on record, once, naming only the profile id; nothing else names the person.
  const std::vector<std::string> erasures = ErasureRecordIds(person);
  ASSERT_EQ(erasures.size(), 1u);
  EXPECT_THAT(Leftovers(PersonMarkers(person, (*ids)[1]), erasures[0]), ::testing::IsEmpty());
  EXPECT_EQ(Customer(bystander).email, "keep@example.cz");
  EXPECT_EQ(EventsOf(bystander), 1);
  // The review's rating stays, unlinked, so that a re-import of it is a duplicate, not the text again.
  const std::int64_t ratings = *profiles::ReadResult<std::int64_t>(store(), tenant_, [](store::TenantTx& tx) -> Result<std::int64_t> {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT COUNT(*) FROM reviews WHERE tenant_id = $1 AND rating = 2 AND "
                                              "customer_id IS NULL"));
    return row->Int(0);
  });
  EXPECT_EQ(ratings, 1);
  // Events from the erased person's devices start a new, empty profile rather than reviving the old one.
  EXPECT_NE(Ingest({Msg({{"type", "page"}, {"anonymousId", "device-1"}}, 9)}).customer_ids[0], person);
}

// Deleted rows must not linger in the database file's free pages either: the store runs SQLite with
// secure_delete, and a checkpoint (here: closing the store) moves every change out of the WAL.
TEST_P(PrivacyTest, ErasedDataIsNotInTheSqliteFilesAfterACheckpoint) {
  if (GetParam() != "sqlite") {
    GTEST_SKIP() << "PostgreSQL keeps deleted rows in its files until VACUUM reclaims them (docs/security.md)";
  }
  const std::string person = CreatePerson();
  Result<std::vector<std::string>> ids = profiles::ReadResult<std::vector<std::string>>(
      store(), tenant_, [&](store::TenantTx& tx) { return ingest::ProfileAndMergedIds(tx, person); });
  ASSERT_TRUE(ids.ok() && ids->size() == 2u);
  ASSERT_TRUE(Erase(person).ok());
  db_->Reopen();

  const std::string path = db_->url().substr(std::string_view("sqlite:").size());
  std::vector<std::string> found;
  for (const std::string& file : {path, path + "-wal"}) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (const std::string& marker : PersonMarkers(person, (*ids)[1])) {
      // Profile ids stay by design: in the erasure record, and in the change feed until it is pruned.
      if (!marker.starts_with("cus_") && bytes.find(marker) != std::string::npos) found.push_back(file + ": " + marker);
    }
  }
  EXPECT_THAT(found, ::testing::IsEmpty());
}

INSTANTIATE_TEST_SUITE_P(Backends, PrivacyTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::privacy
