#include "surveys/definition.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace tp::surveys {
namespace {

// Containers and display-only elements: they hold no answer of their own.
bool IsContainer(std::string_view type) { return type == "panel"; }
bool IsDisplayOnly(std::string_view type) { return type == "html" || type == "image"; }
// SurveyJS puts the computed value of an expression question into the survey's data; it is derived
// from other answers, so the server accepts it and stores nothing of it.
bool IsComputed(std::string_view type) { return type == "expression"; }

std::optional<QuestionKind> KindOfType(std::string_view type) {
  if (type == "rating") return QuestionKind::kRating;
  if (type == "radiogroup" || type == "dropdown") return QuestionKind::kSingleChoice;
  if (type == "checkbox" || type == "tagbox") return QuestionKind::kMultipleChoice;
  if (type == "text") return QuestionKind::kText;
  if (type == "comment") return QuestionKind::kComment;
  if (type == "boolean") return QuestionKind::kBoolean;
  if (type == "matrix") return QuestionKind::kMatrix;
  return std::nullopt;
}

// Properties whose value may be a localised text ({"default": "...", "cs": "..."}).
constexpr std::string_view kLocalisedProperties[] = {
    "title", "description", "placeholder", "minRateDescription", "maxRateDescription", "labelTrue", "labelFalse",
    "otherText", "noneText", "commentText", "completedHtml", "requiredErrorText", "text"};

struct Walk {
  SurveyModel model;
  std::set<std::string> names;
  std::set<std::string> computed;
  std::set<std::string> languages;
};

Status Invalid(const std::string& message, const std::string& place) {
  return InvalidArgument(message + " (at " + place + ")", "definition");
}

// Collects the locales of one element's localised texts; a text that is neither a string nor an
// object of strings is refused, as survey-core would show it as "[object Object]".
Status CollectLanguages(const Json& element, const std::string& place, std::set<std::string>& languages) {
  for (std::string_view property : kLocalisedProperties) {
    auto found = element.find(std::string(property));
    if (found == element.end() || found->is_string()) continue;
    if (!found->is_object()) return Invalid(std::string(property) + " must be a text or an object of texts", place);
    for (const auto& [locale, text] : found->items()) {
      if (!text.is_string()) return Invalid(std::string(property) + "." + locale + " must be a text", place);
      languages.insert(locale);
    }
  }
  return Status::Ok();
}

// Choices, rows, columns and rate values: plain values or {"value", "text"} items.
Result<std::vector<Json>> ItemValues(const Json& items, std::string_view property, const std::string& place,
                                     std::set<std::string>& languages) {
  if (!items.is_array()) return Invalid(std::string(property) + " must be an array", place);
  if (items.size() > kMaxChoices) {
    return Invalid(std::string(property) + " has more than " + std::to_string(kMaxChoices) + " items", place);
  }
  std::vector<Json> values;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Json& item = items[i];
    const std::string item_place = place + "." + std::string(property) + "[" + std::to_string(i) + "]";
    Json value = item;
    if (item.is_object()) {
      if (!item.contains("value")) return Invalid("an item needs a value", item_place);
      value = item["value"];
      TP_RETURN_IF_ERROR(CollectLanguages(item, item_place, languages));
    }
    if (!value.is_string() && !value.is_number() && !value.is_boolean()) {
      return Invalid("an item's value must be a text, a number or true/false", item_place);
    }
    if (std::find(values.begin(), values.end(), value) != values.end()) {
      return Invalid("the value " + value.dump() + " appears twice", item_place);
    }
    values.push_back(std::move(value));
  }
  return values;
}

double NumberOr(const Json& element, const char* name, double fallback) {
  auto found = element.find(name);
  return found != element.end() && found->is_number() ? found->get<double>() : fallback;
}

// A rating's scale as survey-core computes it: rateValues when given, else rateMin..rateMax in steps
// of rateStep (rateCount items from rateMin when rateMax is not set).
Result<std::vector<Json>> RatingValues(const Json& element, const std::string& place, std::set<std::string>& languages) {
  if (auto values = element.find("rateValues"); values != element.end() && values->is_array() && !values->empty()) {
    return ItemValues(*values, "rateValues", place, languages);
  }
  const double min = NumberOr(element, "rateMin", 1);
  const double step = NumberOr(element, "rateStep", 1);
  double max = NumberOr(element, "rateMax", 5);
  if (!element.contains("rateMax") && element.contains("rateCount")) {
    max = min + (NumberOr(element, "rateCount", 5) - 1) * step;
  }
  if (step <= 0 || max < min || (max - min) / step > 100) {
    return Invalid("a rating runs from rateMin to rateMax in at most 100 steps of a positive rateStep", place);
  }
  std::vector<Json> values;
  for (double value = min; value <= max + step / 1000; value += step) {
    const double rounded = std::round(value);
    if (std::abs(value - rounded) < 1e-9) {
      values.push_back(static_cast<std::int64_t>(rounded));
    } else {
      values.push_back(value);
    }
  }
  return values;
}

bool IsTrue(const Json& element, const char* name) {
  auto found = element.find(name);
  return found != element.end() && found->is_boolean() && found->get<bool>();
}

Status AddQuestion(Walk& walk, const Json& element, const std::string& type, const std::string& place,
                   bool conditional) {
  std::optional<QuestionKind> kind = KindOfType(type);
  if (!kind) {
    return Invalid("question type '" + type + "' is not supported; use rating, radiogroup, dropdown, checkbox, "
                   "tagbox, text, comment, boolean, matrix, expression, html, image or panel",
                   place);
  }
  Question question{.name = element["name"].get<std::string>(), .type = type, .kind = *kind};
  question.required = IsTrue(element, "isRequired");
  question.conditional = conditional || element.contains("visibleIf");
  question.has_comment = IsTrue(element, "showCommentArea") || IsTrue(element, "hasComment");
  switch (*kind) {
    case QuestionKind::kRating: {
      TP_ASSIGN_OR_RETURN(question.values, RatingValues(element, place, walk.languages));
      break;
    }
    case QuestionKind::kSingleChoice:
    case QuestionKind::kMultipleChoice: {
      if (element.contains("choicesByUrl") || element.contains("choicesFromQuestion")) {
        return Invalid("question '" + question.name +
                           "' takes its choices from elsewhere (choicesByUrl, choicesFromQuestion), so its answers "
                           "cannot be checked; list the choices",
                       place);
      }
      TP_ASSIGN_OR_RETURN(question.values,
                          ItemValues(element.value("choices", Json::array()), "choices", place, walk.languages));
      question.allows_other = IsTrue(element, "showOtherItem") || IsTrue(element, "hasOther");
      question.allows_none = IsTrue(element, "showNoneItem") || IsTrue(element, "hasNone");
      if (question.values.empty() && !question.allows_other) {
        return Invalid("question '" + question.name + "' has no choices", place);
      }
      break;
    }
    case QuestionKind::kBoolean:
      if (element.contains("valueTrue")) question.value_true = element["valueTrue"];
      if (element.contains("valueFalse")) question.value_false = element["valueFalse"];
      break;
    case QuestionKind::kMatrix: {
      TP_ASSIGN_OR_RETURN(std::vector<Json> rows,
                          ItemValues(element.value("rows", Json::array()), "rows", place, walk.languages));
      TP_ASSIGN_OR_RETURN(question.values,
                          ItemValues(element.value("columns", Json::array()), "columns", place, walk.languages));
      if (rows.empty() || question.values.empty()) {
        return Invalid("matrix '" + question.name + "' needs rows and columns", place);
      }
      for (const Json& row : rows) question.rows.push_back(row.is_string() ? row.get<std::string>() : row.dump());
      question.numeric_columns =
          std::all_of(question.values.begin(), question.values.end(), [](const Json& value) { return value.is_number(); });
      break;
    }
    case QuestionKind::kText:
    case QuestionKind::kComment:
      break;
  }
  walk.model.questions.push_back(std::move(question));
  return Status::Ok();
}

Status WalkElements(Walk& walk, const Json& elements, const std::string& place, bool conditional, int depth) {
  if (!elements.is_array()) return Invalid("elements must be an array", place);
  if (depth > 10) return Invalid("panels are nested more than 10 deep", place);
  for (std::size_t i = 0; i < elements.size(); ++i) {
    const Json& element = elements[i];
    const std::string element_place = place + "[" + std::to_string(i) + "]";
    if (!element.is_object()) return Invalid("an element must be an object", element_place);
    auto type = element.find("type");
    if (type == element.end() || !type->is_string()) return Invalid("an element needs a type", element_place);
    TP_RETURN_IF_ERROR(CollectLanguages(element, element_place, walk.languages));
    const std::string type_name = type->get<std::string>();
    const bool element_conditional = conditional || element.contains("visibleIf");
    if (IsContainer(type_name)) {
      TP_RETURN_IF_ERROR(WalkElements(walk, element.value("elements", Json::array()), element_place + ".elements",
                                      element_conditional, depth + 1));
      continue;
    }
    if (IsDisplayOnly(type_name)) continue;
    auto name = element.find("name");
    if (name == element.end() || !name->is_string() || name->get<std::string>().empty()) {
      return Invalid("a question needs a name", element_place);
    }
    const std::string question_name = name->get<std::string>();
    if (question_name.size() > kMaxNameChars || question_name.ends_with("-Comment")) {
      return Invalid("question name '" + question_name.substr(0, kMaxNameChars) + "' is over " +
                         std::to_string(kMaxNameChars) + " characters or ends in -Comment",
                     element_place);
    }
    if (!walk.names.insert(question_name).second) {
      return Invalid("two questions are named '" + question_name + "'", element_place);
    }
    if (walk.names.size() > kMaxQuestions) {
      return Invalid("a survey has at most " + std::to_string(kMaxQuestions) + " questions", element_place);
    }
    if (IsComputed(type_name)) {
      walk.computed.insert(question_name);
      continue;
    }
    TP_RETURN_IF_ERROR(AddQuestion(walk, element, type_name, element_place, element_conditional));
  }
  return Status::Ok();
}

bool IsScaleOf(const Question& question, feedback::Metric metric) {
  if (question.kind != QuestionKind::kRating) return false;
  std::vector<Json> expected;
  for (int score = feedback::MinScore(metric); score <= feedback::MaxScore(metric); ++score) expected.push_back(score);
  return question.values == expected;
}

Status AddMetric(SurveyModel& model, feedback::Metric metric, const Json& spec) {
  const std::string field = "metrics." + std::string(feedback::MetricName(metric));
  MetricQuestion entry{.metric = metric};
  if (spec.is_string()) {
    entry.question = spec.get<std::string>();
  } else if (spec.is_object() && spec.contains("question") && spec["question"].is_string()) {
    entry.question = spec["question"].get<std::string>();
    if (auto comment = spec.find("comment"); comment != spec.end()) {
      if (!comment->is_string()) return InvalidArgument("comment must be a question name", field);
      entry.comment_question = comment->get<std::string>();
    }
  } else {
    return InvalidArgument("name the question: a text, or {\"question\", \"comment\"}", field);
  }
  const Question* question = model.Find(entry.question);
  if (!question) return InvalidArgument("the survey has no question '" + entry.question + "'", field);
  if (!IsScaleOf(*question, metric)) {
    return InvalidArgument("question '" + entry.question + "' cannot be scored as " +
                               std::string(feedback::MetricName(metric)) + ": it must be a rating from " +
                               std::to_string(feedback::MinScore(metric)) + " to " +
                               std::to_string(feedback::MaxScore(metric)),
                           field);
  }
  if (!entry.comment_question.empty()) {
    const Question* comment = model.Find(entry.comment_question);
    if (!comment || (comment->kind != QuestionKind::kComment && comment->kind != QuestionKind::kText)) {
      return InvalidArgument("the comment of " + std::string(feedback::MetricName(metric)) +
                                 " must be a text or comment question of the survey",
                             field);
    }
  }
  for (const MetricQuestion& other : model.metrics) {
    if (other.question == entry.question) {
      return InvalidArgument("question '" + entry.question + "' is already the survey's " +
                                 std::string(feedback::MetricName(other.metric)),
                             field);
    }
  }
  model.metrics.push_back(std::move(entry));
  return Status::Ok();
}

Status ParseMetrics(SurveyModel& model, const Json& metrics) {
  if (metrics.is_null() || (metrics.is_object() && metrics.empty())) {
    const Question* nps = nullptr;
    for (const Question& question : model.questions) {
      if (!IsScaleOf(question, feedback::Metric::kNps)) continue;
      if (nps) return Status::Ok();  // two candidates: only an explicit mapping can tell
      nps = &question;
    }
    if (nps) model.metrics.push_back({.metric = feedback::Metric::kNps, .question = nps->name});
    return Status::Ok();
  }
  if (!metrics.is_object()) return InvalidArgument("metrics must be an object", "metrics");
  for (const auto& [name, spec] : metrics.items()) {
    Result<feedback::Metric> metric = feedback::ParseMetric(name);
    if (!metric.ok()) return InvalidArgument("metrics has nps, csat and ces; not '" + name + "'", "metrics");
    TP_RETURN_IF_ERROR(AddMetric(model, *metric, spec));
  }
  return Status::Ok();
}

bool SameValue(const Json& a, const Json& b) {
  if (a == b) return true;
  // survey-core keeps numeric choice values as numbers but a value typed into a URL or CSV is text.
  auto text = [](const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); };
  return text(a) == text(b);
}

bool IsOneOf(const Json& value, const std::vector<Json>& values) {
  return std::any_of(values.begin(), values.end(), [&](const Json& known) { return SameValue(value, known); });
}

std::string TextOf(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

Answer ValueAnswer(const std::string& question, std::string attribute, const Json& value) {
  Answer answer{.question = question, .attribute = std::move(attribute), .text = TextOf(value)};
  if (value.is_number()) answer.number = value.get<double>();
  return answer;
}

Status CheckText(const Json& value, const std::string& field) {
  if (!value.is_string() && !value.is_number()) return InvalidArgument("the answer must be a text", field);
  if (value.is_string() && value.get<std::string>().size() > kMaxAnswerChars) {
    return InvalidArgument("the answer is over " + std::to_string(kMaxAnswerChars) + " bytes", field);
  }
  return Status::Ok();
}

Status CheckChoice(const Question& question, const Json& value, const std::string& field) {
  if (IsOneOf(value, question.values)) return Status::Ok();
  if (question.allows_other && SameValue(value, "other")) return Status::Ok();
  if (question.allows_none && SameValue(value, "none")) return Status::Ok();
  return InvalidArgument(value.dump().substr(0, 100) + " is not one of the choices of '" + question.name + "'", field);
}

Status CheckAnswer(const Question& question, const Json& value, std::vector<Answer>& answers) {
  const std::string field = "answers." + question.name;
  switch (question.kind) {
    case QuestionKind::kRating:
      if (!IsOneOf(value, question.values)) {
        return InvalidArgument(value.dump().substr(0, 100) + " is not on the scale of '" + question.name + "'", field);
      }
      answers.push_back(ValueAnswer(question.name, "", value));
      return Status::Ok();
    case QuestionKind::kSingleChoice:
      TP_RETURN_IF_ERROR(CheckChoice(question, value, field));
      answers.push_back(ValueAnswer(question.name, "", value));
      return Status::Ok();
    case QuestionKind::kMultipleChoice:
      if (!value.is_array()) return InvalidArgument("the answer must be a list of choices", field);
      for (const Json& choice : value) {
        TP_RETURN_IF_ERROR(CheckChoice(question, choice, field));
        answers.push_back(ValueAnswer(question.name, "", choice));
      }
      return Status::Ok();
    case QuestionKind::kText:
    case QuestionKind::kComment:
      TP_RETURN_IF_ERROR(CheckText(value, field));
      answers.push_back(ValueAnswer(question.name, "", value));
      return Status::Ok();
    case QuestionKind::kBoolean:
      if (!SameValue(value, question.value_true) && !SameValue(value, question.value_false)) {
        return InvalidArgument("the answer must be " + question.value_true.dump() + " or " +
                                   question.value_false.dump(),
                               field);
      }
      answers.push_back(ValueAnswer(question.name, "", value));
      return Status::Ok();
    case QuestionKind::kMatrix:
      if (!value.is_object()) return InvalidArgument("the answer must be an object of rows", field);
      for (const auto& [row, column] : value.items()) {
        if (std::find(question.rows.begin(), question.rows.end(), row) == question.rows.end()) {
          return InvalidArgument("'" + question.name + "' has no row '" + row.substr(0, 100) + "'", field);
        }
        if (!IsOneOf(column, question.values)) {
          return InvalidArgument(column.dump().substr(0, 100) + " is not a column of '" + question.name + "'", field);
        }
        answers.push_back(ValueAnswer(question.name, row, column));
      }
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

const Question* SurveyModel::Find(std::string_view name) const {
  for (const Question& question : questions) {
    if (question.name == name) return &question;
  }
  return nullptr;
}

Result<SurveyModel> ParseDefinition(const Json& definition, const Json& metrics) {
  if (!definition.is_object()) return InvalidArgument("definition must be a SurveyJS survey object", "definition");
  Walk walk;
  TP_RETURN_IF_ERROR(CollectLanguages(definition, "definition", walk.languages));
  if (auto pages = definition.find("pages"); pages != definition.end()) {
    if (!pages->is_array()) return Invalid("pages must be an array", "definition.pages");
    for (std::size_t i = 0; i < pages->size(); ++i) {
      const Json& page = (*pages)[i];
      const std::string place = "definition.pages[" + std::to_string(i) + "]";
      if (!page.is_object()) return Invalid("a page must be an object", place);
      TP_RETURN_IF_ERROR(CollectLanguages(page, place, walk.languages));
      const char* key = page.contains("elements") ? "elements" : "questions";
      TP_RETURN_IF_ERROR(WalkElements(walk, page.value(key, Json::array()), place + "." + key,
                                      page.contains("visibleIf"), 0));
    }
  }
  for (const char* key : {"elements", "questions"}) {
    if (definition.contains(key)) {
      TP_RETURN_IF_ERROR(WalkElements(walk, definition[key], std::string("definition.") + key, false, 0));
    }
  }
  if (walk.model.questions.empty()) return InvalidArgument("the survey has no questions", "definition");
  TP_RETURN_IF_ERROR(ParseMetrics(walk.model, metrics));
  walk.model.languages.push_back("default");
  for (const std::string& language : walk.languages) {
    if (language != "default") walk.model.languages.push_back(language);
  }
  // Remembered so CheckAnswers accepts the computed values survey-core sends along.
  for (const std::string& name : walk.computed) {
    walk.model.questions.push_back({.name = name, .type = "expression", .kind = QuestionKind::kText, .conditional = true});
  }
  return std::move(walk.model);
}

Result<std::vector<Answer>> CheckAnswers(const SurveyModel& model, const Json& data, Completeness completeness) {
  if (!data.is_object()) return InvalidArgument("answers must be an object keyed by question name", "answers");
  std::vector<Answer> answers;
  for (const auto& [key, value] : data.items()) {
    if (value.is_null()) continue;
    if (key.ends_with("-Comment")) {
      const std::string name = key.substr(0, key.size() - std::string_view("-Comment").size());
      const Question* question = model.Find(name);
      if (!question || (!question->has_comment && !question->allows_other)) {
        return InvalidArgument("the survey has no comment for '" + name.substr(0, 100) + "'",
                               "answers." + key.substr(0, 200));
      }
      TP_RETURN_IF_ERROR(CheckText(value, "answers." + key));
      answers.push_back(ValueAnswer(name, "#comment", value));
      continue;
    }
    const Question* question = model.Find(key);
    if (!question) {
      return InvalidArgument("the survey has no question '" + key.substr(0, 100) + "'", "answers." + key.substr(0, 200));
    }
    if (question->type == "expression") continue;
    TP_RETURN_IF_ERROR(CheckAnswer(*question, value, answers));
  }
  if (completeness == Completeness::kFinal) {
    for (const Question& question : model.questions) {
      if (!question.required || question.conditional) continue;
      auto found = data.find(question.name);
      if (found == data.end() || found->is_null() || (found->is_string() && found->get<std::string>().empty()) ||
          (found->is_array() && found->empty())) {
        return InvalidArgument("'" + question.name + "' is required", "answers." + question.name);
      }
    }
  }
  return answers;
}

std::optional<int> MetricScore(const MetricQuestion& metric, const Json& data) {
  auto found = data.find(metric.question);
  if (found == data.end()) return std::nullopt;
  if (found->is_number()) return static_cast<int>(std::lround(found->get<double>()));
  // A scale value sent as text ("9"), which CheckAnswers accepts as the same value.
  int score = 0;
  if (!found->is_string()) return std::nullopt;
  const std::string& text = found->get_ref<const std::string&>();
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), score);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return score;
}

}  // namespace tp::surveys
