// What the server understands of a SurveyJS survey definition (https://surveyjs.io/form-library/documentation/design-survey/create-a-simple-survey):
// which questions it has, what each accepts as an answer, which one is the survey's NPS, CSAT or CES,
// and which matrices hold attribute ratings. The browser renders the definition with survey-core;
// the server validates what it stores and every answer it receives against the same definition, so a
// response can never hold a score the survey could not have asked for.
//
//   TP_ASSIGN_OR_RETURN(SurveyModel model, ParseDefinition(definition_json, metrics_json));
//   TP_ASSIGN_OR_RETURN(std::vector<Answer> answers, CheckAnswers(model, submitted_json, Completeness::kFinal));
//
// Pure: no store, no HTTP. Errors are kInvalidArgument whose field names the question ("definition"
// plus the question's place for definitions, "answers.<question>" for answers).
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "feedback/feedback.h"

namespace tp::surveys {

using Json = nlohmann::json;

inline constexpr std::size_t kMaxQuestions = 500;
inline constexpr std::size_t kMaxChoices = 1000;
inline constexpr std::size_t kMaxAnswerChars = 10000;  // one free-text answer
inline constexpr std::size_t kMaxNameChars = 200;      // a question's name

enum class QuestionKind {
  kRating,          // "rating": one value of a scale (rateMin..rateMax, rateCount or rateValues)
  kSingleChoice,    // "radiogroup", "dropdown"
  kMultipleChoice,  // "checkbox", "tagbox": a list of choices
  kText,            // "text": one line
  kComment,         // "comment": free text
  kBoolean,         // "boolean": true/false (or its valueTrue/valueFalse)
  kMatrix,          // "matrix": one column value per row; numeric columns are attribute ratings
};

struct Question {
  std::string name;
  std::string type;  // the SurveyJS type, as written
  QuestionKind kind = QuestionKind::kText;
  bool required = false;
  // Shown only under a condition (visibleIf on the question or a panel or page around it): the server
  // cannot know whether the respondent saw it, so it does not insist on an answer.
  bool conditional = false;
  // Rating, choices and matrix columns: the values an answer may take, as JSON (numbers or strings).
  std::vector<Json> values;
  bool allows_other = false;  // choices: "other" with a free-text comment
  bool allows_none = false;   // choices: "none"
  bool has_comment = false;   // showCommentArea: a "<name>-Comment" text
  Json value_true = true;     // boolean
  Json value_false = false;
  std::vector<std::string> rows;  // matrix rows (attributes)
  bool numeric_columns = false;   // matrix whose columns are all numbers: attribute ratings
};

// The survey's headline metric questions: which question is its NPS, CSAT or CES, and which free-text
// question holds the reason the customer gives for that score (optional).
struct MetricQuestion {
  feedback::Metric metric = feedback::Metric::kNps;
  std::string question;
  std::string comment_question;
};

struct SurveyModel {
  std::vector<Question> questions;
  std::vector<MetricQuestion> metrics;
  std::vector<std::string> languages;  // the locales its texts are given in, "default" first
  const Question* Find(std::string_view name) const;
};

// Validates a SurveyJS definition and works out its model. `metrics` is an object mapping "nps",
// "csat", "ces" to a question name or to {"question", "comment"}; null or {} infers the NPS question
// when exactly one rating question runs 0–10. A metric question must be a rating of that metric's scale
// (NPS 0–10, CSAT 1–5, CES 1–7). Supported types: those of QuestionKind plus "panel" (a container) and
// the display-only "html", "image" and "expression"; any other type is refused naming the question.
Result<SurveyModel> ParseDefinition(const Json& definition, const Json& metrics);

// One stored answer: a value of one question, or of one row of a matrix (`attribute`). Numbers are set
// for numeric values (ratings, numeric choices, matrix ratings); `text` holds the value as written
// (strings as they are, other JSON as JSON).
struct Answer {
  std::string question;
  std::string attribute;  // a matrix row; "" otherwise
  std::optional<double> number;
  std::string text;
};

enum class Completeness {
  kPartial,  // answers saved as the respondent goes: required questions may still be missing
  kFinal,    // a completed survey: every unconditionally required question is answered
};

// Checks SurveyJS answer data (an object keyed by question name, with "<name>-Comment" keys for
// comments and "other" texts) against the model and flattens it into answers. An answer to a question
// the survey does not have, a value outside the question's choices or scale, a text over
// kMaxAnswerChars or, when final, a missing required answer is kInvalidArgument with field
// "answers.<question>".
Result<std::vector<Answer>> CheckAnswers(const SurveyModel& model, const Json& data, Completeness completeness);

// The score a metric question received, when answered.
std::optional<int> MetricScore(const MetricQuestion& metric, const Json& data);

}  // namespace tp::surveys
