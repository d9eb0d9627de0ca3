#include "surveys/definition.h"

#include <gtest/gtest.h>

namespace tp::surveys {
namespace {

// An NPS survey after delivery as a CX team writes it in SurveyJS's editor: the NPS question, a reason
// shown only to detractors, attribute ratings, a choice with "other" and an optional e-mail opt-in.
const Json kDeliverySurvey = Json::parse(R"({
  "locale": "cs",
  "title": {"default": "How was your delivery?", "cs": "Jak proběhlo doručení?"},
  "pages": [{
    "name": "score",
    "elements": [
      {"type": "rating", "name": "recommend", "isRequired": true, "rateMin": 0, "rateMax": 10,
       "title": {"default": "How likely are you to recommend us?", "cs": "Doporučili byste nás?"}},
      {"type": "comment", "name": "reason", "visibleIf": "{recommend} <= 6",
       "title": {"default": "What went wrong?", "cs": "Co se pokazilo?", "sk": "Čo sa pokazilo?"}},
      {"type": "panel", "name": "details", "elements": [
        {"type": "matrix", "name": "attributes", "title": "Rate us",
         "columns": [1, 2, 3, 4, 5],
         "rows": [{"value": "speed", "text": {"default": "Speed", "cs": "Rychlost"}}, "staff", "price"]},
        {"type": "radiogroup", "name": "carrier", "choices": ["ppl", "dpd", {"value": 3, "text": "Zásilkovna"}],
         "showOtherItem": true},
        {"type": "checkbox", "name": "issues", "choices": ["late", "damaged", "wrong"], "showNoneItem": true},
        {"type": "boolean", "name": "contact_me"},
        {"type": "html", "html": "<p>Thanks</p>"},
        {"type": "expression", "name": "total", "expression": "{recommend} * 2"}
      ]}
    ]
  }]
})");

TEST(ParseDefinition, FindsEveryQuestionWithItsScaleAndInfersTheNpsQuestion) {
  Result<SurveyModel> model = ParseDefinition(kDeliverySurvey, nullptr);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->metrics.size(), 1u);
  EXPECT_EQ(model->metrics[0].metric, feedback::Metric::kNps);
  EXPECT_EQ(model->metrics[0].question, "recommend");
  const Question* recommend = model->Find("recommend");
  ASSERT_NE(recommend, nullptr);
  EXPECT_EQ(recommend->values.size(), 11u);
  EXPECT_TRUE(recommend->required);
  EXPECT_TRUE(model->Find("reason")->conditional);
  const Question* attributes = model->Find("attributes");
  ASSERT_NE(attributes, nullptr);
  EXPECT_TRUE(attributes->numeric_columns);
  EXPECT_EQ(attributes->rows, (std::vector<std::string>{"speed", "staff", "price"}));
  EXPECT_TRUE(model->Find("carrier")->allows_other);
  EXPECT_TRUE(model->Find("issues")->allows_none);
  EXPECT_EQ(model->languages, (std::vector<std::string>{"default", "cs", "sk"}));
}

TEST(ParseDefinition, ExplicitMetricsNameTheirCommentAndMustBeOnTheMetricsScale) {
  Json survey = kDeliverySurvey;
  survey["pages"][0]["elements"].push_back({{"type", "rating"}, {"name", "effort"}, {"rateMin", 1}, {"rateMax", 7}});
  Result<SurveyModel> model =
      ParseDefinition(survey, Json::parse(R"({"nps": {"question": "recommend", "comment": "reason"}, "ces": "effort"})"));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->metrics.size(), 2u);  // in the order of their names
  EXPECT_EQ(model->metrics[0].metric, feedback::Metric::kCes);
  EXPECT_EQ(model->metrics[1].question, "recommend");
  EXPECT_EQ(model->metrics[1].comment_question, "reason");

  Result<SurveyModel> wrong_scale = ParseDefinition(survey, Json{{"csat", "effort"}});
  EXPECT_EQ(wrong_scale.status().field(), "metrics.csat");
  EXPECT_NE(wrong_scale.status().message().find("'effort' cannot be scored as csat"), std::string::npos);
  EXPECT_EQ(ParseDefinition(survey, Json{{"nps", "nothing"}}).status().field(), "metrics.nps");
  EXPECT_EQ(ParseDefinition(survey, Json{{"enps", "recommend"}}).status().field(), "metrics");
  EXPECT_EQ(ParseDefinition(survey, Json{{"nps", {{"question", "recommend"}, {"comment", "carrier"}}}}).status().field(),
            "metrics.nps");
}

TEST(ParseDefinition, RatingScalesFollowSurveyCore) {
  auto values_of = [](Json question) {
    question["type"] = "rating";
    question["name"] = "q";
    Result<SurveyModel> model = ParseDefinition(Json{{"elements", Json::array({question})}}, nullptr);
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    return model.ok() ? model->Find("q")->values : std::vector<Json>{};
  };
  EXPECT_EQ(values_of(Json::object()), (std::vector<Json>{1, 2, 3, 4, 5}));
  EXPECT_EQ(values_of({{"rateCount", 7}}), (std::vector<Json>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(values_of({{"rateMin", 0}, {"rateMax", 10}, {"rateStep", 5}}), (std::vector<Json>{0, 5, 10}));
  EXPECT_EQ(values_of({{"rateValues", Json::parse(R"([{"value": "bad", "text": "Bad"}, "good"])")}}),
            (std::vector<Json>{"bad", "good"}));
}

TEST(ParseDefinition, RefusesWhatItCannotCheckNamingTheQuestion) {
  auto error_of = [](const std::string& definition) {
    return ParseDefinition(Json::parse(definition), nullptr).status().message();
  };
  EXPECT_NE(error_of(R"({"elements": [{"type": "file", "name": "upload"}]})").find("'file' is not supported"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"elements": [{"type": "text", "name": "a"}, {"type": "text", "name": "a"}]})")
                .find("two questions are named 'a'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"elements": [{"type": "dropdown", "name": "city", "choicesByUrl": {"url": "x"}}]})")
                .find("'city' takes its choices from elsewhere"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"pages": [{"elements": [{"type": "text"}]}]})").find("definition.pages[0].elements[0]"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"elements": [{"type": "text", "name": "a", "title": 5}]})").find("title"), std::string::npos);
  EXPECT_NE(error_of(R"({"elements": [{"type": "radiogroup", "name": "a", "choices": ["x", "x"]}]})").find("twice"),
            std::string::npos);
  EXPECT_EQ(ParseDefinition(Json::parse(R"({"title": "empty"})"), nullptr).status().field(), "definition");
  EXPECT_EQ(ParseDefinition(Json::array(), nullptr).status().field(), "definition");
}

TEST(CheckAnswers, FlattensEveryAnswerPerQuestionAndAttribute) {
  Result<SurveyModel> model = ParseDefinition(kDeliverySurvey, nullptr);
  ASSERT_TRUE(model.ok());
  Result<std::vector<Answer>> answers = CheckAnswers(*model, Json::parse(R"({
    "recommend": 3, "reason": "<script>alert(1)</script> late", "attributes": {"speed": 1, "staff": 4},
    "carrier": "other", "carrier-Comment": "GLS", "issues": ["late", "damaged"], "contact_me": true, "total": 6
  })"), Completeness::kFinal);
  ASSERT_TRUE(answers.ok()) << answers.status().ToString();
  ASSERT_EQ(answers->size(), 9u);
  auto find = [&](const std::string& question, const std::string& attribute) -> const Answer* {
    for (const Answer& answer : *answers) {
      if (answer.question == question && answer.attribute == attribute) return &answer;
    }
    return nullptr;
  };
  EXPECT_EQ(*find("recommend", "")->number, 3);
  EXPECT_EQ(find("reason", "")->text, "<script>alert(1)</script> late");  // stored as given
  EXPECT_EQ(*find("attributes", "speed")->number, 1);
  EXPECT_EQ(*find("attributes", "staff")->number, 4);
  EXPECT_EQ(find("carrier", "#comment")->text, "GLS");
  EXPECT_EQ(find("contact_me", "")->text, "true");
  EXPECT_EQ(find("total", ""), nullptr);  // computed, not stored
  EXPECT_EQ(MetricScore(model->metrics[0], Json{{"recommend", 3}}), 3);
  EXPECT_EQ(MetricScore(model->metrics[0], Json{{"recommend", "9"}}), 9);
  EXPECT_EQ(MetricScore(model->metrics[0], Json::object()), std::nullopt);
}

TEST(CheckAnswers, RefusesAnswersTheVersionCouldNotHaveAsked) {
  Result<SurveyModel> model = ParseDefinition(kDeliverySurvey, nullptr);
  ASSERT_TRUE(model.ok());
  auto field_of = [&](const std::string& data, Completeness completeness = Completeness::kFinal) {
    return CheckAnswers(*model, Json::parse(data), completeness).status().field();
  };
  EXPECT_EQ(field_of(R"({"recommend": 11})"), "answers.recommend");
  EXPECT_EQ(field_of(R"({"recommend": -1})"), "answers.recommend");
  EXPECT_EQ(field_of(R"({"recommend": 5, "unknown": 1})"), "answers.unknown");
  EXPECT_EQ(field_of(R"({"recommend": 5, "carrier": "ups"})"), "answers.carrier");
  EXPECT_EQ(field_of(R"({"recommend": 5, "issues": "late"})"), "answers.issues");
  EXPECT_EQ(field_of(R"({"recommend": 5, "attributes": {"speed": 6}})"), "answers.attributes");
  EXPECT_EQ(field_of(R"({"recommend": 5, "attributes": {"colour": 1}})"), "answers.attributes");
  EXPECT_EQ(field_of(R"({"recommend": 5, "contact_me": "maybe"})"), "answers.contact_me");
  EXPECT_EQ(field_of(R"({"recommend": 5, "recommend-Comment": "x"})"), "answers.recommend-Comment");
  EXPECT_EQ(field_of(R"({"reason": "x"})"), "answers.recommend");  // required, unconditional
  EXPECT_EQ(field_of(R"({"reason": "x"})", Completeness::kPartial), "");
  EXPECT_EQ(field_of(R"({"recommend": 5})"), "");  // the reason is shown only to detractors
  Json long_text = {{"recommend", 2}, {"reason", std::string(kMaxAnswerChars + 1, 'x')}};
  EXPECT_EQ(CheckAnswers(*model, long_text, Completeness::kFinal).status().field(), "answers.reason");
  EXPECT_EQ(CheckAnswers(*model, Json::array(), Completeness::kFinal).status().field(), "answers");
}

}  // namespace
}  // namespace tp::surveys
