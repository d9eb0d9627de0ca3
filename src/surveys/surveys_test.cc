#include "surveys/surveys.h"

#include <gtest/gtest.h>

#include <memory>

#include "common/crypto.h"
#include "feedback/feedback.h"
#include "jobs/jobs.h"
#include "outbound/deliveries.h"
#include "surveys/invitations.h"
#include "profiles/customers.h"
#include "profiles/testing.h"
#include "store/testing.h"

namespace tp::surveys {
namespace {

using profiles::ReadResult;
using profiles::WriteResult;

const Json kNpsSurvey = Json::parse(R"({
  "pages": [{"elements": [
    {"type": "rating", "name": "recommend", "isRequired": true, "rateMin": 0, "rateMax": 10,
     "title": {"default": "Would you recommend us?", "cs": "Doporučili byste nás?"}},
    {"type": "comment", "name": "reason", "title": {"default": "Why?", "cs": "Proč?"}},
    {"type": "matrix", "name": "attributes", "columns": [1, 2, 3, 4, 5], "rows": ["speed", "staff"]}
  ]}]
})");

class SurveysTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    InitCrypto();
    db_ = std::make_unique<store::TestDatabase>(GetParam());
    tenant_ = profiles::CreateTestTenant(store(), "acme");
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(store(), tenant_, [](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Jana"}, identity::AuditContext::System());
    });
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    customer_ = customer->id;
  }

  store::Store& store() { return db_->store(); }

  Result<Survey> Create(const NewSurvey& input) {
    return WriteResult<Survey>(store(), tenant_, [&](store::TenantTx& tx) {
      return CreateSurvey(tx, input, identity::AuditContext::System());
    });
  }
  Result<Survey> Update(const std::string& id, const SurveyPatch& patch) {
    return WriteResult<Survey>(store(), tenant_, [&](store::TenantTx& tx) {
      return UpdateSurvey(tx, id, patch, identity::AuditContext::System());
    });
  }
  Survey LiveSurvey() {
    Result<Survey> survey = Create({.name = "After delivery", .touchpoint = "delivery", .stage = "fulfilment",
                                    .definition = kNpsSurvey, .metrics = Json{{"nps", {{"question", "recommend"},
                                                                                      {"comment", "reason"}}}},
                                    .status = SurveyStatus::kLive});
    EXPECT_TRUE(survey.ok()) << survey.status().ToString();
    return survey.ok() ? *survey : Survey{};
  }
  Result<SurveyLink> Link(const NewLink& input) {
    return WriteResult<SurveyLink>(store(), tenant_, [&](store::TenantTx& tx) {
      return CreateLink(tx, input, identity::AuditContext::System());
    });
  }
  std::string InvitationToken(const Survey& survey) {
    Result<SurveyLink> link = Link({.survey_id = survey.id, .customer_id = customer_, .language = "cs"});
    EXPECT_TRUE(link.ok()) << link.status().ToString();
    return link.ok() ? link->token : "";
  }

  std::unique_ptr<store::TestDatabase> db_;
  std::string tenant_;
  std::string customer_;
};

TEST_P(SurveysTest, EditingALiveSurveyMakesANewVersionAndADraftIsEditedInPlace) {
  Result<Survey> draft = Create({.name = "Draft", .touchpoint = "web", .stage = "purchase", .definition = kNpsSurvey});
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  EXPECT_EQ(draft->metrics, Json::parse(R"({"nps": {"question": "recommend"}})"));  // inferred
  Json edited = kNpsSurvey;
  edited["pages"][0]["elements"][1]["isRequired"] = true;
  Result<Survey> still_draft = Update(draft->id, {.definition = edited});
  ASSERT_TRUE(still_draft.ok()) << still_draft.status().ToString();
  EXPECT_EQ(still_draft->version, 1);

  Result<Survey> live = Update(draft->id, {.status = SurveyStatus::kLive});
  ASSERT_TRUE(live.ok());
  Result<Survey> second = Update(draft->id, {.definition = kNpsSurvey});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->version, 2);
  Result<Survey> first = ReadResult<Survey>(store(), tenant_, [&](store::TenantTx& tx) {
    return GetSurvey(tx, draft->id, 1);
  });
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->definition, edited);
  EXPECT_EQ(first->current_version, 2);
  EXPECT_EQ(Update(draft->id, {.status = SurveyStatus::kDraft}).status().code(), ErrorCode::kFailedPrecondition);
  Json broken = kNpsSurvey;
  broken["pages"][0]["elements"][0]["type"] = "signaturepad";
  Result<Survey> refused = Update(draft->id, {.definition = broken});
  EXPECT_EQ(refused.status().field(), "definition");
  EXPECT_NE(refused.status().message().find("'signaturepad' is not supported"), std::string::npos);
}

TEST_P(SurveysTest, AnInvitationSavesProgressAnswersOnceAndBecomesFeedback) {
  const Survey survey = LiveSurvey();
  const std::string token = InvitationToken(survey);
  Result<RespondentView> opened = OpenLink(store(), token, NowMicros());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->tenant_id, tenant_);
  EXPECT_EQ(opened->link.language, "cs");
  EXPECT_EQ(opened->saved, Json::object());

  Result<SurveyResponse> partial = SaveProgress(store(), token, {.data = {{"attributes", {{"speed", 2}}}}}, NowMicros());
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->status, ResponseStatus::kPartial);
  EXPECT_EQ(OpenLink(store(), token, NowMicros())->saved, Json::parse(R"({"attributes": {"speed": 2}})"));

  Result<SurveyResponse> incomplete = SubmitResponse(store(), token, {.data = {{"reason", "x"}}}, NowMicros());
  EXPECT_EQ(incomplete.status().field(), "answers.recommend");
  Result<SurveyResponse> done = SubmitResponse(
      store(), token,
      {.data = {{"recommend", 3}, {"reason", "Kurýr nepřišel"}, {"attributes", {{"speed", 1}, {"staff", 4}}}}},
      NowMicros());
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->id, partial->id);
  EXPECT_EQ(done->status, ResponseStatus::kComplete);
  EXPECT_EQ(done->customer_id, customer_);
  EXPECT_EQ(done->touchpoint, "delivery");
  EXPECT_EQ(done->language, "cs");
  ASSERT_EQ(done->feedback_ids.size(), 1u);

  Result<feedback::FeedbackResponse> score = ReadResult<feedback::FeedbackResponse>(
      store(), tenant_, [&](store::TenantTx& tx) { return feedback::GetFeedback(tx, done->feedback_ids[0]); });
  ASSERT_TRUE(score.ok());
  EXPECT_EQ(score->score, 3);
  EXPECT_EQ(score->comment, "Kurýr nepřišel");
  EXPECT_EQ(score->customer_id, customer_);
  EXPECT_EQ(score->survey_response_id, done->id);

  Result<SurveyResponse> twice = SubmitResponse(store(), token, {.data = {{"recommend", 9}}}, NowMicros());
  EXPECT_EQ(twice.status().code(), ErrorCode::kConflict);
  EXPECT_EQ(OpenLink(store(), token, NowMicros()).status().code(), ErrorCode::kConflict);
  Result<Page<SurveyResponse>> listed = ReadResult<Page<SurveyResponse>>(store(), tenant_, [&](store::TenantTx& tx) {
    return ListResponses(tx, {.survey_id = survey.id}, {});
  });
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].data["attributes"]["staff"], 4);
}

TEST_P(SurveysTest, TokensThatAreUnknownExpiredOrOfAClosedSurveyAreRefused) {
  const Survey survey = LiveSurvey();
  EXPECT_EQ(OpenLink(store(), "no-such-token", NowMicros()).status().code(), ErrorCode::kNotFound);
  const std::string token = InvitationToken(survey);
  const Micros after_expiry = NowMicros() + kDefaultInvitationLifetime + 1;
  EXPECT_EQ(OpenLink(store(), token, after_expiry).status().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(SubmitResponse(store(), token, {.data = {{"recommend", 9}}}, after_expiry).status().code(),
            ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(Update(survey.id, {.status = SurveyStatus::kClosed}).ok());
  EXPECT_EQ(SubmitResponse(store(), token, {.data = {{"recommend", 9}}}, NowMicros()).status().code(),
            ErrorCode::kFailedPrecondition);
}

TEST_P(SurveysTest, PublicLinksTakeManyAnonymousResponsesAndKeepTheirVersion) {
  const Survey survey = LiveSurvey();
  Result<SurveyLink> link = Link({.survey_id = survey.id, .kind = LinkKind::kKiosk, .channel = Channel::kOther});
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_FALSE(link->expires_at);
  for (int score : {10, 2}) {
    Result<SurveyResponse> response = SubmitResponse(store(), link->token, {.data = {{"recommend", score}}}, NowMicros());
    ASSERT_TRUE(response.ok()) << response.status().ToString();
    EXPECT_FALSE(response->customer_id);
    EXPECT_EQ(response->version, 1);
  }
  EXPECT_EQ(SaveProgress(store(), link->token, {.data = {{"recommend", 1}}}, NowMicros()).status().code(),
            ErrorCode::kFailedPrecondition);
  // A page opened before the survey changed still answers the version it showed.
  ASSERT_TRUE(Update(survey.id, {.name = "Renamed", .definition = kNpsSurvey}).ok());
  Result<SurveyResponse> old_page =
      SubmitResponse(store(), link->token, {.data = {{"recommend", 7}}, .version = 1}, NowMicros());
  ASSERT_TRUE(old_page.ok()) << old_page.status().ToString();
  EXPECT_EQ(old_page->version, 1);
  EXPECT_EQ(SubmitResponse(store(), link->token, {.data = {{"recommend", 7}}, .version = 9}, NowMicros())
                .status()
                .field(),
            "version");
  EXPECT_EQ(Link({.survey_id = survey.id, .kind = LinkKind::kPublic, .customer_id = customer_}).status().field(),
            "customer_id");
  EXPECT_EQ(Link({.survey_id = survey.id}).status().field(), "customer_id");
  EXPECT_EQ(Link({.survey_id = survey.id, .customer_id = customer_, .language = "de"}).status().field(), "language");
}

TEST_P(SurveysTest, AnotherTenantSeesNoneOfIt) {
  const Survey survey = LiveSurvey();
  const std::string other = profiles::CreateTestTenant(store(), "globex");
  Result<Survey> foreign = ReadResult<Survey>(store(), other, [&](store::TenantTx& tx) {
    return GetSurvey(tx, survey.id);
  });
  EXPECT_EQ(foreign.status().code(), ErrorCode::kNotFound);
  Result<SurveyLink> link = WriteResult<SurveyLink>(store(), other, [&](store::TenantTx& tx) {
    return CreateLink(tx, {.survey_id = survey.id, .kind = LinkKind::kPublic}, identity::AuditContext::System());
  });
  EXPECT_EQ(link.status().field(), "survey_id");
}

TEST_P(SurveysTest, InvitationsFollowTheContactRulesAndRemindOnlyThoseWhoDidNotAnswer) {
  const Survey survey = LiveSurvey();
  auto new_customer = [&](const std::string& name, std::optional<std::string> email) {
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = name, .email = email}, identity::AuditContext::System());
    });
    EXPECT_TRUE(customer.ok()) << customer.status().ToString();
    return customer.ok() ? customer->id : "";
  };
  const std::string answers = new_customer("Eva", "eva@example.cz");
  const std::string ignores = new_customer("Petr", "petr@example.cz");
  const std::string no_email = new_customer("Anonym", std::nullopt);
  const Micros now = NowMicros();
  auto invite = [&](std::vector<std::string> customers, Micros at) {
    return WriteResult<std::vector<InvitationOutcome>>(store(), tenant_, [&](store::TenantTx& tx) {
      return InviteByEmail(tx,
                           {.survey_id = survey.id, .customer_ids = customers, .language = "cs",
                            .from = {"Shop", "cx@shop.example"}, .base_url = "https://cx.shop.example"},
                           identity::AuditContext::System(), at);
    });
  };
  Result<std::vector<InvitationOutcome>> sent = invite({answers, ignores, no_email}, now);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  ASSERT_EQ(sent->size(), 3u);
  EXPECT_EQ((*sent)[0].skipped, "");
  EXPECT_TRUE((*sent)[0].delivery_id);
  EXPECT_EQ((*sent)[2].skipped, "no_email");
  Result<std::vector<InvitationOutcome>> again = invite({answers}, now + 1'000'000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].skipped, "contacted_recently");

  // Both reminders come due after Eva answered.
  Result<Page<jobs::Job>> reminders = ReadResult<Page<jobs::Job>>(store(), tenant_, [&](store::TenantTx& tx) {
    return jobs::ListJobs(tx, std::string(kReminderJob), std::nullopt, {});
  });
  ASSERT_TRUE(reminders.ok());
  ASSERT_EQ(reminders->items.size(), 2u);
  EXPECT_EQ(reminders->items[0].payload.find("eva@"), std::string::npos) << "no address in the job";
  // Eva answers through the link of her e-mail (which her reminder would repeat).
  const std::string eva_link = (*sent)[0].link_id.value_or("");
  for (const jobs::Job& job : reminders->items) {
    const Json payload = Json::parse(job.payload);
    if (payload["link_id"] != eva_link) continue;
    const std::string url = payload["url"];
    ASSERT_TRUE(url.starts_with("https://cx.shop.example/s/")) << url;
    Result<SurveyResponse> answered =
        SubmitResponse(store(), url.substr(url.rfind('/') + 1), {.data = {{"recommend", 9}}}, now);
    ASSERT_TRUE(answered.ok()) << answered.status().ToString();
  }
  for (const jobs::Job& job : reminders->items) {
    EXPECT_TRUE(SendScheduledMail(store(), job, now + kDefaultReminderDelay).status.ok());
  }
  Result<Page<outbound::Delivery>> mail = ReadResult<Page<outbound::Delivery>>(store(), tenant_, [&](store::TenantTx& tx) {
    return outbound::ListDeliveries(tx, {.source = "survey-reminder:" + (*sent)[1].link_id.value_or("")}, {});
  });
  ASSERT_TRUE(mail.ok());
  ASSERT_EQ(mail->items.size(), 1u) << "Petr, who did not answer, is reminded";
  EXPECT_EQ(mail->items[0].destination, "petr@example.cz");
  Result<Page<outbound::Delivery>> none = ReadResult<Page<outbound::Delivery>>(store(), tenant_, [&](store::TenantTx& tx) {
    return outbound::ListDeliveries(tx, {.source = "survey-reminder:" + eva_link}, {});
  });
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty()) << "Eva, who answered, is not";
}

TEST_P(SurveysTest, AScheduledInvitationGoesWhenDueUnlessTheCustomerOptedOutMeanwhile) {
  const Survey survey = LiveSurvey();
  std::vector<std::string> customers;
  for (const char* email : {"jana@example.cz", "karel@example.cz"}) {
    Result<profiles::Customer> customer = WriteResult<profiles::Customer>(store(), tenant_, [&](store::TenantTx& tx) {
      return profiles::CreateCustomer(tx, {.name = "Zákazník", .email = std::string(email)},
                                      identity::AuditContext::System());
    });
    ASSERT_TRUE(customer.ok()) << customer.status().ToString();
    customers.push_back(customer->id);
  }
  const Micros now = NowMicros();
  const Micros week = 7LL * 24 * 3600 * 1'000'000;
  Result<std::vector<InvitationOutcome>> scheduled =
      WriteResult<std::vector<InvitationOutcome>>(store(), tenant_, [&](store::TenantTx& tx) {
        return InviteByEmail(tx,
                             {.survey_id = survey.id, .customer_ids = customers, .from = {"Shop", "cx@shop.example"},
                              .base_url = "https://cx.shop.example", .send_at = now + week},
                             identity::AuditContext::System(), now);
      });
  ASSERT_TRUE(scheduled.ok()) << scheduled.status().ToString();
  ASSERT_EQ(scheduled->size(), 2u);
  EXPECT_FALSE((*scheduled)[0].delivery_id) << "nothing goes before it is due";
  EXPECT_EQ((*scheduled)[0].scheduled_for, now + week);
  auto deliveries = [&](const std::string& source) {
    Result<Page<outbound::Delivery>> found = ReadResult<Page<outbound::Delivery>>(store(), tenant_, [&](store::TenantTx& tx) {
      return outbound::ListDeliveries(tx, {.source = source}, {});
    });
    EXPECT_TRUE(found.ok());
    return found.ok() ? found->items.size() : 0u;
  };
  EXPECT_EQ(deliveries("survey:" + (*scheduled)[0].link_id.value_or("")), 0u);
  Result<Page<jobs::Job>> jobs = ReadResult<Page<jobs::Job>>(store(), tenant_, [&](store::TenantTx& tx) {
    return jobs::ListJobs(tx, std::string(kInvitationJob), std::nullopt, {});
  });
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->items.size(), 2u);
  EXPECT_EQ(jobs->items[0].run_at, now + week);
  EXPECT_EQ(jobs->items[0].payload.find("@example.cz"), std::string::npos) << "no address in the job";

  // Karel opts out through the link before it is due (an earlier e-mail's footer, say).
  const std::string karel_link = (*scheduled)[1].link_id.value_or("");
  Result<std::string> karel_token = ReadResult<std::string>(store(), tenant_, [&](store::TenantTx&) -> Result<std::string> {
    for (const jobs::Job& job : jobs->items) {
      const Json payload = Json::parse(job.payload);
      if (payload["link_id"] == karel_link) {
        const std::string url = payload["url"];
        return url.substr(url.rfind('/') + 1);
      }
    }
    return NotFound("no job for Karel");
  });
  ASSERT_TRUE(karel_token.ok());
  ASSERT_TRUE(OptOut(store(), *karel_token, now + 1).ok());
  for (const jobs::Job& job : jobs->items) EXPECT_TRUE(SendScheduledMail(store(), job, now + week).status.ok());
  EXPECT_EQ(deliveries("survey:" + (*scheduled)[0].link_id.value_or("")), 1u) << "Jana's invitation went";
  EXPECT_EQ(deliveries("survey:" + karel_link), 0u) << "Karel, who opted out, got nothing";
  Result<Page<jobs::Job>> reminders = ReadResult<Page<jobs::Job>>(store(), tenant_, [&](store::TenantTx& tx) {
    return jobs::ListJobs(tx, std::string(kReminderJob), std::nullopt, {});
  });
  ASSERT_TRUE(reminders.ok());
  ASSERT_EQ(reminders->items.size(), 1u) << "only the invitation that went has a reminder";
  EXPECT_EQ(reminders->items[0].run_at, now + week + kDefaultReminderDelay);
}

INSTANTIATE_TEST_SUITE_P(Backends, SurveysTest, ::testing::ValuesIn(store::TestBackends()));

}  // namespace
}  // namespace tp::surveys
