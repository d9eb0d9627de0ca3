#include "transfer/response_import.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "common/crypto.h"
#include "profiles/testing.h"
#include "store/testing.h"
#include "surveys/surveys.h"
#include "transfer/csv.h"

namespace tp::transfer {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

// An NPS survey with its reason and a matrix of attribute ratings, as issue 11 describes.
const json kDefinition = json::parse(R"({
  "pages": [{"elements": [
    {"type": "rating", "name": "recommend", "rateMin": 0, "rateMax": 10},
    {"type": "comment", "name": "reason"},
    {"type": "matrix", "name": "attributes", "columns": [1, 2, 3, 4, 5], "rows": ["ease", "speed", "staff"]},
    {"type": "radiogroup", "name": "visit", "choices": ["online", "store"]}
  ]}]
})");

class ResponseImportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<surveys::Survey> survey = profiles::WriteResult<surveys::Survey>(store(), tenant_, [](store::TenantTx& tx) {
      return surveys::CreateSurvey(tx,
                                   {.name = "After delivery", .touchpoint = "delivery", .stage = "fulfilment",
                                    .definition = kDefinition,
                                    .metrics = json{{"nps", {{"question", "recommend"}, {"comment", "reason"}}}},
                                    .status = surveys::SurveyStatus::kLive},
                                   identity::AuditContext::System());
    });
    ASSERT_TRUE(survey.ok()) << survey.status().ToString();
    survey_ = survey->id;
  }
  store::Store& store() { return db_->store(); }

  Result<ResponseImportSummary> Import(const std::string& csv, ResponseImportOptions options = {}) {
    std::istringstream in(csv);
    rejects_.str("");
    options.rejects = &rejects_;
    if (options.survey_id.empty()) options.survey_id = survey_;
    if (options.batch_size == kDefaultBatchSize) options.batch_size = 3;
    return ImportResponses(store(), tenant_, in, options, identity::AuditContext::System("test"));
  }

  std::int64_t Count(const std::string& sql) {
    std::int64_t count = -1;
    EXPECT_TRUE(store().Read(tenant_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne(sql));
      count = row ? row->Int(0) : -1;
      return Status::Ok();
    }).ok());
    return count;
  }
  std::int64_t Responses() { return Count("SELECT COUNT(*) FROM survey_responses WHERE tenant_id = $1"); }
  std::int64_t Feedback() { return Count("SELECT COUNT(*) FROM feedback_responses WHERE tenant_id = $1"); }
  std::int64_t Answers() { return Count("SELECT COUNT(*) FROM survey_answers WHERE tenant_id = $1"); }

  std::vector<CsvRecord> RejectRecords() {
    std::istringstream in(rejects_.str());
    CsvReader reader(in, {.max_record_bytes = 4 << 20});
    std::vector<CsvRecord> records;
    CsvRecord record;
    while (reader.Next(record)) records.push_back(record);
    return records;
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::string survey_;
  std::ostringstream rejects_;
};

TEST_P(ResponseImportTest, RowsLandAsSubmittedResponsesWithAnswersFeedbackAndTimeline) {
  const std::string csv =
      "Response ID,Email,NPS,rating.ease,rating.speed,rating.staff,answer.visit,Comment,Submitted At,Order ID,Channel\n"
      "r1,jana@example.cz,3,2,1,4,online,\"Late, and nobody called\",2024-03-01 10:00,ord-1,email\n"
      "r2,,10,5,5,5,store,,2024-03-02T09:30:00Z,,web\n"
      "r3,JANA@example.cz,9,,,,,Better now,1711929600,,\n";
  Result<ResponseImportSummary> summary = Import(csv);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->rows_read, 3);
  EXPECT_EQ(summary->loaded, 3);
  EXPECT_EQ(summary->rejected, 0) << rejects_.str();
  EXPECT_EQ(summary->anonymous, 1);
  EXPECT_EQ(summary->profiles_created, 1);  // one person, e-mail in two spellings
  EXPECT_EQ(Responses(), 3);
  EXPECT_EQ(Feedback(), 3);
  // r1: recommend, reason, 3 attributes, visit; r2: recommend, 3 attributes, visit; r3: recommend, reason.
  EXPECT_EQ(Answers(), 6 + 5 + 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_answers WHERE tenant_id = $1 AND question = 'attributes' AND "
                  "attribute = 'speed' AND number = 1"),
            1);

  std::string customer_id;
  ASSERT_TRUE(store().Read(tenant_, [&](store::TenantTx& tx) -> Status {
    TP_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT customer_id, channel, touchpoint, stage, order_id, status, "
                                              "submitted_at, data FROM survey_responses WHERE tenant_id = $1 AND "
                                              "order_id = 'ord-1'"));
    EXPECT_TRUE(row.has_value());
    if (!row) return Status::Ok();
    customer_id = row->Text(0);
    EXPECT_EQ(row->Text(1), "email");
    EXPECT_EQ(row->Text(2), "delivery");  // the survey's
    EXPECT_EQ(row->Text(3), "fulfilment");
    EXPECT_EQ(row->Text(5), "complete");
    EXPECT_EQ(row->Int(6), 1709287200LL * 1'000'000);
    EXPECT_EQ(json::parse(row->Text(7))["reason"], "Late, and nobody called");
    return Status::Ok();
  }).ok());
  ASSERT_FALSE(customer_id.empty());
  // The timeline and the profile read these tables (their tests, and api/response_import_routes_test.cc).
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_responses WHERE tenant_id = $1 AND customer_id = '" + customer_id +
                  "' AND comment = 'Late, and nobody called'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_responses WHERE tenant_id = $1 AND customer_id = '" + customer_id + "'"),
            2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1 AND action = 'responses.import'"), 1);
}

TEST_P(ResponseImportTest, ImportingTheSameFileAgainStoresNothingNew) {
  for (const std::string& csv : {std::string("response_id,user_id,nps,submitted_at\n"
                                            "a,u1,7,2024-01-01\nb,u2,8,2024-01-02\nc,,0,2024-01-03\nd,u1,6,2024-01-04\n"),
                                // without a response id, the row's content is the id
                                std::string("user_id,nps,submitted_at\nu3,7,2024-02-01\nu3,7,2024-02-02\n")}) {
    const std::int64_t before = Responses();
    Result<ResponseImportSummary> first = Import(csv);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    const std::int64_t rows = first->rows_read;
    EXPECT_EQ(first->loaded, rows);
    const std::int64_t customers = Count("SELECT COUNT(*) FROM customers WHERE tenant_id = $1");
    const std::int64_t events = Count("SELECT COUNT(*) FROM events WHERE tenant_id = $1");
    Result<ResponseImportSummary> second = Import(csv);
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    EXPECT_EQ(second->loaded, 0);
    EXPECT_EQ(second->duplicates, rows);
    EXPECT_EQ(second->rejected, 0);
    EXPECT_EQ(Responses(), before + rows);
    EXPECT_EQ(Feedback(), before + rows);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM customers WHERE tenant_id = $1"), customers);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE tenant_id = $1"), events);
  }
}

TEST_P(ResponseImportTest, BadRowsAreRejectedWithLineAndFieldAndTheRestLoads) {
  const std::string long_comment(1 << 20, 'x');
  const std::string csv = "survey_id,response_id,score,comment,submitted_at,case_id\n"       // line 1
                          "," + survey_ + ",ok1,9,,2024-01-01,\n"                               // line 2: bad (7 fields)
                          + survey_ + ",ok2,11,,2024-01-01,\n"                                  // line 3: score 11
                          "svy_00000000000000000000000000,x,5,,2024-01-01,\n"                   // line 4: unknown survey
                          + survey_ + ",ok3,5,,yesterday,\n"                                    // line 5: bad time
                          + survey_ + ",ok4,5,\"" + long_comment + "\",2024-01-01,\n"           // line 6: 1 MB comment
                          + survey_ + ",ok5,5,fine,2024-01-01,\n"                               // line 7: good
                          + survey_ + ",ok5,6,again,2024-01-02,\n"                              // line 8: same response
                          + survey_ + ",ok6,-1,,2024-01-01,\n"                                  // line 9: negative
                          + survey_ + ",ok7,4,,2024-01-01,cas_00000000000000000000000000\n"    // line 10: no such case
                          + survey_ + ",ok8,8,,2099-01-01,\n"                                   // line 11: future
                          + survey_ + ",ok9,10,,2024-01-05,\n";                                 // line 12: good
  Result<ResponseImportSummary> summary = Import(csv, {.max_record_bytes = 2 << 20});
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->rows_read, 11);
  EXPECT_EQ(summary->loaded, 2);
  EXPECT_EQ(summary->rejected, 9);
  EXPECT_EQ(Responses(), 2);
  EXPECT_EQ(Feedback(), 2);
  const std::vector<CsvRecord> records = RejectRecords();
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records[0].fields[0], "reject_line");
  EXPECT_EQ(records[0].fields[3], "survey_id");  // then the file's header
  std::vector<std::pair<std::string, std::string>> got;
  for (std::size_t index = 1; index < records.size(); ++index) got.emplace_back(records[index].fields[0], records[index].fields[1]);
  // A row the store refuses (the case) is rejected when its chunk loads, after later rows' checks.
  std::sort(got.begin(), got.end(), [](const auto& a, const auto& b) { return std::stoi(a.first) < std::stoi(b.first); });
  const std::vector<std::pair<std::string, std::string>> want = {
      {"2", "row"},     {"3", "score"},        {"4", "survey_id"}, {"5", "submitted_at"}, {"6", "comment"},
      {"8", "response_id"}, {"9", "score"},    {"10", "case_id"},  {"11", "submitted_at"}};
  EXPECT_EQ(got, want);
  EXPECT_THAT(records[2].fields[2], HasSubstr("from 0 to 10"));
  EXPECT_THAT(records[6].fields[2], HasSubstr("line 7"));
}

TEST_P(ResponseImportTest, HeaderAndMappingErrorsLoadNothing) {
  const auto field_of = [&](const std::string& csv, ResponseImportOptions options = {}) {
    Result<ResponseImportSummary> summary = Import(csv, std::move(options));
    return summary.ok() ? std::string("ok") : summary.status().field();
  };
  EXPECT_EQ(field_of(""), "header");
  EXPECT_EQ(field_of("user_id,submitted_at\nu1,2024-01-01\n"), "score");
  EXPECT_EQ(field_of("user_id,nps\nu1,9\n"), "submitted_at");
  EXPECT_EQ(field_of("nps,submitted_at,Duration\n9,2024-01-01,12\n"), "Duration");
  EXPECT_EQ(field_of("nps,submitted_at,NPS Score\n9,2024-01-01,12\n", {.mapping = {{"NPS Score", "nps"}}}), "NPS Score");
  EXPECT_EQ(field_of("Q1,submitted_at\n9,2024-01-01\n", {.mapping = {{"Q1", "netpromoter"}}}), "map");
  EXPECT_EQ(field_of("Q1,submitted_at\n9,2024-01-01\n", {.mapping = {{"Q9", "nps"}}}), "map");
  EXPECT_EQ(field_of("Q1,submitted_at,Duration\n9,2024-01-01,4\n", {.ignore_unknown = true, .mapping = {{"Q1", "nps"}}}),
            "ok");
  EXPECT_EQ(Responses(), 1);
}

// A Qualtrics CSV export as Data & Analysis downloads it with recode values: three header rows (the
// column ids, the question texts, the import ids), metadata columns, NPS recoded 1-11, a matrix as
// Q2_1..Q2_3, the reason as text, dates in the account's zone without an offset.
TEST_P(ResponseImportTest, QualtricsExportWithRecodeValuesOneToEleven) {
  const std::string csv =
      "StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,"
      "RecipientLastName,RecipientFirstName,RecipientEmail,ExternalReference,LocationLatitude,LocationLongitude,"
      "DistributionChannel,UserLanguage,Q1,Q1_NPS_GROUP,Q2_1,Q2_2,Q2_3,Q3\n"
      "Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,Recorded Date,Response ID,"
      "Recipient Last Name,Recipient First Name,Recipient Email,External Data Reference,Location Latitude,"
      "Location Longitude,Distribution Channel,User Language,How likely are you to recommend us to a friend?,"
      "How likely are you to recommend us to a friend? - Group,Rate us - Ease,Rate us - Speed,Rate us - Staff,"
      "Why did you give that score?\n"
      "\"{\"\"ImportId\"\":\"\"startDate\"\",\"\"timeZone\"\":\"\"Europe/Prague\"\"}\",\"{\"\"ImportId\"\":\"\"endDate\"\"}\","
      "\"{\"\"ImportId\"\":\"\"status\"\"}\",\"{\"\"ImportId\"\":\"\"ipAddress\"\"}\",\"{\"\"ImportId\"\":\"\"progress\"\"}\","
      "\"{\"\"ImportId\"\":\"\"duration\"\"}\",\"{\"\"ImportId\"\":\"\"finished\"\"}\",\"{\"\"ImportId\"\":\"\"recordedDate\"\"}\","
      "\"{\"\"ImportId\"\":\"\"_recordId\"\"}\",\"{\"\"ImportId\"\":\"\"recipientLastName\"\"}\","
      "\"{\"\"ImportId\"\":\"\"recipientFirstName\"\"}\",\"{\"\"ImportId\"\":\"\"recipientEmail\"\"}\","
      "\"{\"\"ImportId\"\":\"\"externalDataReference\"\"}\",\"{\"\"ImportId\"\":\"\"locationLatitude\"\"}\","
      "\"{\"\"ImportId\"\":\"\"locationLongitude\"\"}\",\"{\"\"ImportId\"\":\"\"distributionChannel\"\"}\","
      "\"{\"\"ImportId\"\":\"\"userLanguage\"\"}\",\"{\"\"ImportId\"\":\"\"QID1\"\"}\",\"{\"\"ImportId\"\":\"\"QID1_NPS_GROUP\"\"}\","
      "\"{\"\"ImportId\"\":\"\"QID2_1\"\"}\",\"{\"\"ImportId\"\":\"\"QID2_2\"\"}\",\"{\"\"ImportId\"\":\"\"QID2_3\"\"}\","
      "\"{\"\"ImportId\"\":\"\"QID3_TEXT\"\"}\"\n"
      "2024-03-01 09:58:01,2024-03-01 10:00:12,0,,100,131,1,2024-03-01 10:00:13,R_1dEqXkGq2bMmYr1,Nováková,Jana,"
      "jana@example.cz,cust-17,50.08,14.42,email,CS,1,1,2,1,3,\"Kurýr nedorazil, nikdo nevolal\"\n"
      "2024-03-02 12:00:00,2024-03-02 12:01:40,0,,100,100,1,2024-03-02 12:01:41,R_2aBcD3eFgHiJkLm,Svoboda,Petr,"
      "petr@example.cz,cust-18,50.08,14.42,email,EN,11,3,5,5,5,Great\n"
      "2024-03-03 08:00:00,2024-03-03 08:00:30,0,,100,30,1,2024-03-03 08:00:31,R_3xYz,,,,,,,anonymous,EN,8,2,4,,,\n"
      "2024-03-04 08:00:00,2024-03-04 08:00:30,0,,100,30,1,2024-03-04 08:00:31,R_4bad,,,,,,,anonymous,EN,0,1,,,,\n";
  const ResponseImportOptions options{
      .nps_scale = NpsScale::kOneToEleven,
      .header_rows = 3,
      .ignore_unknown = true,
      .mapping = {{"RecordedDate", "submitted_at"}, {"StartDate", "started_at"}, {"ResponseId", "response_id"},
                  {"RecipientEmail", "email"}, {"ExternalReference", "user_id"}, {"UserLanguage", "language"},
                  {"Q1", "nps"}, {"Q2_1", "rating.ease"}, {"Q2_2", "rating.speed"}, {"Q2_3", "rating.staff"},
                  {"Q3", "comment"}}};
  Result<ResponseImportSummary> summary = Import(csv, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->rows_read, 4);
  EXPECT_EQ(summary->loaded, 3) << rejects_.str();
  ASSERT_EQ(summary->rejects.size(), 1u);
  EXPECT_EQ(summary->rejects[0].line, 7);  // recode 0 is off the 1-11 scale
  EXPECT_EQ(summary->rejects[0].field, "Q1");
  // Recode 1 is NPS 0, 11 is 10, 8 is 7.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM feedback_responses WHERE tenant_id = $1 AND metric = 'nps' AND score IN (0, 10, 7)"),
            3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_responses WHERE tenant_id = $1 AND language = 'CS' AND customer_id IS NOT NULL"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_answers WHERE tenant_id = $1 AND question = 'attributes'"), 7);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM customer_identifiers WHERE tenant_id = $1 AND kind = 'user_id' AND value = 'cust-17'"),
            1);
}

// Formbricks' "Download as CSV": No., Response ID, Timestamp, Finished, Survey ID (Formbricks' own),
// contact ids, tags, meta columns, then one column per question headed "N. <headline>".
TEST_P(ResponseImportTest, FormbricksExport) {
  const std::string csv =
      "No.,Response ID,Timestamp,Finished,Survey ID,Formbricks ID (internal),User ID,Tags,url,"
      "userAgent - browser,userAgent - os,userAgent - device,"
      "1. How likely are you to recommend us?,2. What is the main reason for your score?,3. How did you buy?\n"
      "1,clx0a1b2c0001,2024-06-15 10:00:00,Yes,clsurvey01,clcontact1,user-1,\"important, vip\","
      "https://shop.example.cz/thanks,Chrome,Windows,desktop,6,Delivery took a week,online\n"
      "2,clx0a1b2c0002,2024-06-15 11:00:00,No,clsurvey01,,,,https://shop.example.cz/thanks,Safari,iOS,phone,9,,\n"
      "3,clx0a1b2c0003,2024-06-16 08:15:00,Yes,clsurvey01,,,,https://shop.example.cz/thanks,Firefox,Linux,desktop,10,"
      "Fast,store\n";
  const ResponseImportOptions options{
      .ignore_unknown = true,
      .mapping = {{"Survey ID", "ignore"}, {"1. How likely are you to recommend us?", "nps"},
                  {"2. What is the main reason for your score?", "comment"}, {"3. How did you buy?", "answer.visit"}}};
  Result<ResponseImportSummary> summary = Import(csv, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->loaded, 2) << rejects_.str();
  ASSERT_EQ(summary->rejects.size(), 1u);
  EXPECT_EQ(summary->rejects[0].line, 3);
  EXPECT_EQ(summary->rejects[0].field, "Finished");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_answers WHERE tenant_id = $1 AND question = 'visit' AND text = 'store'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_responses WHERE tenant_id = $1 AND customer_id IS NULL"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ResponseImportTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::transfer
