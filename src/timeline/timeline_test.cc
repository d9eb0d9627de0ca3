#include "timeline/timeline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cases/cases.h"
#include "feedback/feedback.h"
#include "ingest/ingest_test_support.h"
#include "surveys/surveys.h"

namespace tp::timeline {
namespace {

using Json = nlohmann::json;

class TimelineTest : public ingest::IngestFixture {
 protected:
  std::vector<TimelineEntry> All(const TimelineQuery& query, int limit) {
    std::vector<TimelineEntry> all;
    PageRequest page{.limit = limit};
    for (int guard = 0; guard < 100; ++guard) {
      Result<Page<TimelineEntry>> listed = profiles::ReadResult<Page<TimelineEntry>>(
          store(), tenant_, [&](store::TenantTx& tx) { return CustomerTimeline(tx, query, page); });
      EXPECT_TRUE(listed.ok()) << listed.status().ToString();
      if (!listed.ok()) break;
      all.insert(all.end(), listed->items.begin(), listed->items.end());
      if (listed->next_cursor.empty()) break;
      page = *PageRequest::Parse(listed->next_cursor, std::to_string(limit));
    }
    return all;
  }
};

TEST_P(TimelineTest, MergesEveryKindNewestFirstAcrossPages) {
  std::vector<events::Message> messages;
  for (int i = 0; i < 25; ++i) messages.push_back(Msg({{"type", "page"}, {"userId", "tl"}, {"name", "P" + std::to_string(i)}}, i));
  const std::string customer = Ingest(messages).customer_ids[0];
  ASSERT_TRUE(profiles::WriteResult<cases::Case>(store(), tenant_, [&](store::TenantTx& tx) {
                return cases::CreateCase(tx, {.customer_id = customer, .subject = "Late parcel"},
                                         identity::AuditContext::System());
              }).ok());
  ASSERT_TRUE(profiles::WriteResult<feedback::FeedbackResponse>(store(), tenant_, [&](store::TenantTx& tx) {
                return feedback::SubmitFeedback(tx, {.customer_id = customer, .survey = "post-purchase",
                                                     .metric = feedback::Metric::kNps, .score = 9},
                                               identity::AuditContext::System());
              }).ok());
  Result<Note> note = profiles::WriteResult<Note>(store(), tenant_, [&](store::TenantTx& tx) {
    return AddNote(tx, customer, "usr_x", "Prefers phone calls.\nVIP.", identity::AuditContext::System());
  });
  ASSERT_TRUE(note.ok()) << note.status().ToString();

  const std::vector<TimelineEntry> all = All({.customer_id = customer}, 7);
  ASSERT_EQ(all.size(), 28u);
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_TRUE(all[i - 1].at > all[i].at || (all[i - 1].at == all[i].at && all[i - 1].id > all[i].id)) << i;
  }
  // The case, response and note were made now, after every (earlier) page view.
  EXPECT_EQ(all[3].kind, TimelineKind::kEvent);
  EXPECT_EQ(all[3].title, "P24");
  EXPECT_EQ(all.back().title, "P0");

  const std::vector<TimelineEntry> notes = All({.customer_id = customer, .kinds = {TimelineKind::kNote}}, 5);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].title, "Prefers phone calls.");
  EXPECT_EQ(All({.customer_id = customer, .kinds = {TimelineKind::kCase, TimelineKind::kFeedback}}, 5).size(), 2u);
  EXPECT_TRUE(All({.customer_id = customer, .only_case_teams = std::vector<std::string>{}}, 50).size() == 27u);

  Result<ProfileSummary> summary = profiles::ReadResult<ProfileSummary>(
      store(), tenant_, [&](store::TenantTx& tx) { return SummariseProfile(tx, customer); });
  ASSERT_TRUE(summary.ok());
  ASSERT_TRUE(summary->last_nps.has_value());
  EXPECT_EQ(summary->last_nps->score, 9);
  EXPECT_FALSE(summary->last_csat.has_value());
  EXPECT_EQ(summary->open_cases, 1);
}

TEST_P(TimelineTest, ASurveyResponseIsOneEntryCarryingItsScores) {
  const std::string customer = Ingest({Msg({{"type", "identify"}, {"userId", "sv"}}, 0)}).customer_ids[0];
  const Json definition = Json::parse(R"({"pages": [{"elements": [
    {"type": "rating", "name": "recommend", "rateMin": 0, "rateMax": 10},
    {"type": "rating", "name": "satisfied", "rateMin": 1, "rateMax": 5},
    {"type": "comment", "name": "reason"}]}]})");
  Result<surveys::SurveyLink> link = profiles::WriteResult<surveys::SurveyLink>(store(), tenant_, [&](store::TenantTx& tx)
                                                                                    -> Result<surveys::SurveyLink> {
    TP_ASSIGN_OR_RETURN(surveys::Survey survey,
                        surveys::CreateSurvey(tx, {.name = "After delivery", .touchpoint = "delivery", .stage = "fulfilment",
                                                   .definition = definition,
                                                   .metrics = Json{{"nps", {{"question", "recommend"}, {"comment", "reason"}}},
                                                                   {"csat", {{"question", "satisfied"}}}},
                                                   .status = surveys::SurveyStatus::kLive},
                                              identity::AuditContext::System()));
    return surveys::CreateLink(tx, {.survey_id = survey.id, .customer_id = customer}, identity::AuditContext::System());
  });
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  Result<surveys::SurveyResponse> response = surveys::SubmitResponse(
      store(), link->token, {.data = {{"recommend", 3}, {"satisfied", 2}, {"reason", "Late twice"}}}, NowMicros());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  ASSERT_TRUE(profiles::WriteResult<feedback::FeedbackResponse>(store(), tenant_, [&](store::TenantTx& tx) {
                return feedback::SubmitFeedback(tx, {.customer_id = customer, .survey = "kiosk",
                                                     .metric = feedback::Metric::kCes, .score = 6},
                                               identity::AuditContext::System());
              }).ok());

  const std::vector<TimelineEntry> scored =
      All({.customer_id = customer, .kinds = {TimelineKind::kSurveyResponse, TimelineKind::kFeedback}}, 1);
  ASSERT_EQ(scored.size(), 2u);
  const TimelineEntry& survey_entry = scored[0].kind == TimelineKind::kSurveyResponse ? scored[0] : scored[1];
  const TimelineEntry& feedback_entry = scored[0].kind == TimelineKind::kFeedback ? scored[0] : scored[1];
  EXPECT_EQ(survey_entry.id, response->id);
  EXPECT_EQ(survey_entry.title, "Survey response: delivery — CSAT 2, NPS 3");
  EXPECT_EQ(survey_entry.detail["scores"],
            Json::parse(R"([{"metric": "csat", "score": 2, "comment": ""},
                            {"metric": "nps", "score": 3, "comment": "Late twice"}])")) << survey_entry.detail.dump();
  EXPECT_EQ(feedback_entry.title, "CES 6");
}

TEST_P(TimelineTest, RejectsBadInput) {
  EXPECT_EQ(ParseTimelineKind("email").status().field(), "kind");
  Result<Page<TimelineEntry>> bad = profiles::ReadResult<Page<TimelineEntry>>(store(), tenant_, [&](store::TenantTx& tx) {
    return CustomerTimeline(tx, {.customer_id = "cus_x"}, {.after_id = "garbage", .limit = 5});
  });
  EXPECT_EQ(bad.status().field(), "cursor");
  EXPECT_EQ(profiles::WriteResult<Note>(store(), tenant_, [&](store::TenantTx& tx) {
              return AddNote(tx, "cus_x", "usr_x", "  \n", identity::AuditContext::System());
            }).status().field(), "body");
}

INSTANTIATE_TEST_SUITE_P(Backends, TimelineTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::timeline
