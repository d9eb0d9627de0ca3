#include "transfer/response_import.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <span>
#include <unordered_map>

#include "common/channels.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "ingest/ingest.h"
#include "profiles/identifiers.h"
#include "profiles/text.h"
#include "surveys/surveys.h"
#include "transfer/csv.h"

namespace tp::transfer {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using profiles::IdentifierKind;

constexpr std::size_t kMaxLabelChars = 100;      // touchpoint, stage (as surveys keep them)
constexpr std::size_t kMaxLanguageChars = 20;
constexpr std::size_t kMaxSourceIdChars = 200;   // response_id, order_id
constexpr std::string_view kRatingPrefix = "rating.";
constexpr std::string_view kAnswerPrefix = "answer.";

enum class ResponseColumn {
  kIgnored,
  kSurveyId,
  kResponseId,
  kScore,        // of the row's metric
  kMetric,
  kMetricScore,  // metric holds which
  kRating,       // key: the matrix row
  kAnswer,       // key: the question
  kComment,
  kSubmittedAt,
  kStartedAt,
  kFinished,
  kTouchpoint,
  kStage,
  kChannel,
  kLanguage,
  kIdentifier,   // identifier holds which
  kOrderId,
  kCaseId,
};

struct Column {
  ResponseColumn role = ResponseColumn::kIgnored;
  std::string name;  // as in the header, trimmed
  std::string key;
  feedback::Metric metric = feedback::Metric::kNps;
  IdentifierKind identifier = IdentifierKind::kUserId;
};

struct NamedRole {
  std::string_view name;
  ResponseColumn role;
};
constexpr NamedRole kColumns[] = {
    {"survey_id", ResponseColumn::kSurveyId},     {"response_id", ResponseColumn::kResponseId}, {"score", ResponseColumn::kScore},
    {"metric", ResponseColumn::kMetric},          {"comment", ResponseColumn::kComment},        {"submitted_at", ResponseColumn::kSubmittedAt},
    {"time", ResponseColumn::kSubmittedAt},       {"timestamp", ResponseColumn::kSubmittedAt},  {"date", ResponseColumn::kSubmittedAt},
    {"started_at", ResponseColumn::kStartedAt},   {"finished", ResponseColumn::kFinished},      {"touchpoint", ResponseColumn::kTouchpoint},
    {"stage", ResponseColumn::kStage},            {"channel", ResponseColumn::kChannel},        {"language", ResponseColumn::kLanguage},
    {"order_id", ResponseColumn::kOrderId},       {"case_id", ResponseColumn::kCaseId},
};
constexpr std::pair<std::string_view, IdentifierKind> kIdentifierColumns[] = {
    {"user_id", IdentifierKind::kUserId},
    {"email", IdentifierKind::kEmail},
    {"phone", IdentifierKind::kPhone},
    {"anonymous_id", IdentifierKind::kAnonymousId},
};

// The documented column `written` names ("Response ID", "responseId", "rating.ease"), if any.
std::optional<Column> DocumentedColumn(std::string_view written) {
  const std::string text(Trim(written));
  const std::string lower = Lower(text);
  for (const auto& [prefix, role] : {std::pair{kRatingPrefix, ResponseColumn::kRating}, std::pair{kAnswerPrefix, ResponseColumn::kAnswer}}) {
    if (!lower.starts_with(prefix)) continue;
    const std::string key(Trim(std::string_view(text).substr(prefix.size())));
    if (key.empty()) return std::nullopt;
    return Column{.role = role, .name = text, .key = key};
  }
  const std::string snake = SnakeCase(text);
  if (snake == kIgnoreTarget) return Column{.role = ResponseColumn::kIgnored, .name = text};
  for (const NamedRole& column : kColumns) {
    if (column.name == snake) return Column{.role = column.role, .name = text};
  }
  for (const auto& [name, kind] : kIdentifierColumns) {
    if (name == snake) return Column{.role = ResponseColumn::kIdentifier, .name = text, .identifier = kind};
  }
  if (Result<feedback::Metric> metric = feedback::ParseMetric(snake); metric.ok()) {
    return Column{.role = ResponseColumn::kMetricScore, .name = text, .metric = *metric};
  }
  return std::nullopt;
}

// What identifies a column's value for the duplicate-column check.
std::string ValueKey(const Column& column) {
  switch (column.role) {
    case ResponseColumn::kRating:
    case ResponseColumn::kAnswer: return std::to_string(static_cast<int>(column.role)) + ":" + column.key;
    case ResponseColumn::kMetricScore: return "metric:" + std::string(feedback::MetricName(column.metric));
    case ResponseColumn::kIdentifier: return "id:" + std::string(profiles::IdentifierKindName(column.identifier));
    default: return std::to_string(static_cast<int>(column.role));
  }
}

std::optional<std::int64_t> WholeNumber(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::size_t start = text.front() == '-' ? 1 : 0;
  if (start == text.size()) return std::nullopt;
  std::int64_t value = 0;
  for (std::size_t i = start; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return start == 1 ? -value : value;
}

// A JSON number for a cell that holds one ("4", "4.5"), else nullopt.
std::optional<json> NumberOf(std::string_view text) {
  if (const auto whole = WholeNumber(text)) return json(*whole);
  if (text.empty() || text.size() > 30) return std::nullopt;
  const json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_number()) return std::nullopt;
  return parsed;
}

bool AllNumbers(const std::vector<json>& values) {
  return !values.empty() && std::all_of(values.begin(), values.end(), [](const json& value) { return value.is_number(); });
}

json ChoiceValue(const surveys::Question& question, std::string_view text) {
  if (AllNumbers(question.values)) {
    if (std::optional<json> number = NumberOf(text)) return *number;
  }
  return json(std::string(text));
}

// A cell as the SurveyJS answer of `question`: numbers for ratings and numeric choices, a list for
// several choices (comma-separated), the question's true/false values for booleans.
Result<json> AnswerValue(const surveys::Question& question, std::string_view text, const std::string& column) {
  switch (question.kind) {
    case surveys::QuestionKind::kRating: {
      std::optional<json> number = NumberOf(text);
      if (!number) return InvalidArgument(column + " must be a number on the question's scale", column);
      return *number;
    }
    case surveys::QuestionKind::kSingleChoice: return ChoiceValue(question, text);
    case surveys::QuestionKind::kMultipleChoice: {
      json values = json::array();
      std::size_t start = 0;
      while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view part = Trim(text.substr(start, comma - start));
        if (!part.empty()) values.push_back(ChoiceValue(question, part));
        start = comma + 1;
      }
      return values;
    }
    case surveys::QuestionKind::kBoolean: {
      const std::string lower = Lower(text);
      if (lower == "true" || lower == "yes" || lower == "1") return question.value_true;
      if (lower == "false" || lower == "no" || lower == "0") return question.value_false;
      return InvalidArgument(column + " must be yes or no", column);
    }
    case surveys::QuestionKind::kMatrix:
      return InvalidArgument(column + ": " + question.name + " is a matrix; give each row as rating." + "<row>", column);
    case surveys::QuestionKind::kText:
    case surveys::QuestionKind::kComment: return json(std::string(text));
  }
  return json(std::string(text));
}

bool IsNo(std::string_view text) {
  const std::string lower = Lower(text);
  return lower == "no" || lower == "0" || lower == "false";
}

struct LoadedSurvey {
  surveys::Survey survey;
  surveys::SurveyModel model;
};

// One converted row waiting for its chunk.
struct PendingResponse {
  std::int64_t line = 0;
  std::vector<std::string> fields;
  const LoadedSurvey* survey = nullptr;
  std::vector<profiles::Identifier> identifiers;  // sorted
  surveys::ImportedResponse imported;
};

using IdentifierSet = std::vector<profiles::Identifier>;

struct ChunkCounts {
  std::int64_t stored = 0;
  std::int64_t duplicates = 0;
  std::int64_t profiles_created = 0;
  std::int64_t anonymous = 0;
  std::map<IdentifierSet, std::string> resolved;  // the customer of each set the chunk resolved
};

// Respondents resolved earlier in the import, kept while there are at most this many: a file answers
// the same people again and again, and resolving a known set again only re-saves an unchanged profile.
constexpr std::size_t kMaxResolvedSets = 200'000;

class ResponseImporter {
 public:
  ResponseImporter(store::Store& store, const std::string& tenant_id, const ResponseImportOptions& options,
                   const identity::AuditContext& audit)
      : store_(store),
        tenant_id_(tenant_id),
        options_(options),
        audit_(audit),
        now_(options.now != 0 ? options.now : NowMicros()),
        batch_(std::clamp(options.batch_size, 1, kMaxBatchSize)),
        started_(Clock::now()) {}

  Result<ResponseImportSummary> Run(std::istream& in) {
    CsvReader reader(in, {.max_record_bytes = options_.max_record_bytes});
    reader_ = &reader;
    CsvRecord record;
    if (!reader.Next(record)) {
      WriteRejectsHeader(options_.rejects, {});
      if (reader.io_error()) return Unavailable("the file could not be read");
      return InvalidArgument("the file is empty: the first line must be the header", "header");
    }
    WriteRejectsHeader(options_.rejects, record.fields);
    if (!record.error.empty()) {
      return InvalidArgument("the header on line " + std::to_string(record.line) + " is malformed: " + record.error,
                             "header");
    }
    TP_RETURN_IF_ERROR(ReadHeader(record.fields));
    if (!options_.survey_id.empty()) {
      TP_ASSIGN_OR_RETURN(const LoadedSurvey* survey, FindSurvey(options_.survey_id));
      if (survey == nullptr) return Status(ErrorCode::kNotFound, "no such survey: " + options_.survey_id, "survey_id");
    }
    // Exports that describe each column in more header rows (Qualtrics: the question text, then its
    // import id) have them skipped.
    for (int extra = 1; extra < options_.header_rows; ++extra) {
      if (!reader.Next(record)) break;
    }
    while (reader.Next(record)) {
      ++summary_.rows_read;
      if (!record.error.empty()) {
        const bool known = record.error_column >= 0 && record.error_column < static_cast<int>(columns_.size());
        RejectRow(record.line, known ? columns_[static_cast<std::size_t>(record.error_column)].name : "row",
                  record.error, record.fields);
        continue;
      }
      Result<PendingResponse> row = Convert(record);
      if (!row.ok()) {
        RejectRow(record.line, row.status().field().empty() ? "row" : row.status().field(), row.status().message(),
                  record.fields);
        continue;
      }
      pending_.push_back(std::move(row).value());
      if (static_cast<int>(pending_.size()) >= batch_) TP_RETURN_IF_ERROR(Flush());
    }
    if (reader.io_error()) return Unavailable("reading the file failed after " + std::to_string(summary_.rows_read) + " rows");
    TP_RETURN_IF_ERROR(Flush());
    if (options_.rejects) options_.rejects->flush();
    Report();
    TP_RETURN_IF_ERROR(store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      const json after{{"rows_read", summary_.rows_read}, {"loaded", summary_.loaded},
                       {"duplicates", summary_.duplicates}, {"rejected", summary_.rejected},
                       {"profiles_created", summary_.profiles_created}};
      return identity::RecordAudit(tx, audit_, "responses.import", "import", "responses", std::nullopt, after.dump());
    }));
    return std::move(summary_);
  }

 private:
  Status ReadHeader(const std::vector<std::string>& header) {
    std::set<std::string> names;
    for (const std::string& written : header) names.insert(Lower(Trim(written)));
    std::map<std::string, Column> mapped;
    std::vector<std::string> unknown_targets, missing_columns;
    for (const auto& [column, target] : options_.mapping) {
      const std::string name(Trim(column));
      std::optional<Column> documented = DocumentedColumn(target);
      if (!documented) unknown_targets.emplace_back(Trim(target));
      if (!names.contains(Lower(name))) missing_columns.push_back(name);
      if (documented && !mapped.emplace(Lower(name), *std::move(documented)).second) {
        return InvalidArgument("the mapping maps column " + name + " twice", "map");
      }
    }
    if (!unknown_targets.empty()) {
      return InvalidArgument("the mapping names " + unknown_targets.front() +
                                 ", which is not a column of response files (docs/import-export.md, Survey responses)",
                             "map");
    }
    if (!missing_columns.empty()) {
      return InvalidArgument("the mapping names column " + missing_columns.front() + ", which the header does not have",
                             "map");
    }
    std::map<std::string, std::string> holders;  // ValueKey → column name
    std::set<std::string> seen;
    for (std::size_t index = 0; index < header.size(); ++index) {
      const std::string name(Trim(header[index]));
      if (name.empty() && !options_.ignore_unknown) {
        return InvalidArgument("column " + std::to_string(index + 1) + " of the header has no name", "header");
      }
      if (!name.empty() && !seen.insert(Lower(name)).second) {
        return InvalidArgument("the header names " + name + " twice", name);
      }
      std::optional<Column> column;
      if (const auto found = mapped.find(Lower(name)); found != mapped.end()) {
        column = found->second;
      } else {
        column = DocumentedColumn(name);
      }
      if (!column) {
        if (!options_.ignore_unknown) {
          return InvalidArgument("unknown column " + name + " (map it to a column of response files, or to ignore; "
                                 "see docs/import-export.md)",
                                 name);
        }
        column = Column{};
      }
      column->name = name;
      if (column->role != ResponseColumn::kIgnored) {
        if (const auto [holder, added] = holders.emplace(ValueKey(*column), name); !added) {
          return InvalidArgument("the header has two columns for the same value (" + holder->second + " and " + name + ")",
                                 name);
        }
      }
      columns_.push_back(std::move(*column));
    }
    const auto has = [&](ResponseColumn role) {
      return std::any_of(columns_.begin(), columns_.end(), [role](const Column& column) { return column.role == role; });
    };
    if (!has(ResponseColumn::kScore) && !has(ResponseColumn::kMetricScore) && !has(ResponseColumn::kRating) && !has(ResponseColumn::kAnswer)) {
      return InvalidArgument("the header needs a score column: score, nps, csat or ces (or rating.<row>, "
                             "answer.<question>; or map one of the file's columns to it, e.g. Q1=nps)",
                             "score");
    }
    if (!has(ResponseColumn::kSubmittedAt)) {
      return InvalidArgument("the header needs a submitted_at column (or map one to it, e.g. RecordedDate=submitted_at)",
                             "submitted_at");
    }
    if (!has(ResponseColumn::kSurveyId) && options_.survey_id.empty()) {
      return InvalidArgument("name the survey: a survey_id column or the survey option", "survey_id");
    }
    return Status::Ok();
  }

  // The survey with that id, loaded once per import; nullptr when the tenant has none.
  Result<const LoadedSurvey*> FindSurvey(const std::string& survey_id) {
    if (const auto cached = surveys_.find(survey_id); cached != surveys_.end()) {
      return cached->second ? &*cached->second : nullptr;
    }
    std::optional<LoadedSurvey> loaded;
    if (LooksLikeId(survey_id, "svy_")) {
      TP_RETURN_IF_ERROR(store_.Read(tenant_id_, [&](store::TenantTx& tx) -> Status {
        Result<surveys::Survey> survey = surveys::GetSurvey(tx, survey_id);
        if (!survey.ok()) return survey.status().code() == ErrorCode::kNotFound ? Status::Ok() : survey.status();
        TP_ASSIGN_OR_RETURN(surveys::SurveyModel model, surveys::ParseDefinition(survey->definition, survey->metrics));
        loaded = LoadedSurvey{std::move(survey).value(), std::move(model)};
        return Status::Ok();
      }));
    }
    const auto inserted = surveys_.emplace(survey_id, std::move(loaded)).first;
    return inserted->second ? &*inserted->second : nullptr;
  }

  Result<PendingResponse> Convert(const CsvRecord& record) {
    const std::vector<std::string>& fields = record.fields;
    if (fields.size() != columns_.size()) {
      return InvalidArgument("the row has " + std::to_string(fields.size()) + " fields, the header " +
                                 std::to_string(columns_.size()),
                             "row");
    }
    PendingResponse row{.line = record.line, .fields = fields};
    // The survey first: every other column is read against it.
    std::string survey_id = options_.survey_id;
    std::string survey_column = "survey_id";
    std::optional<feedback::Metric> metric = options_.metric;
    for (std::size_t index = 0; index < columns_.size(); ++index) {
      const std::string_view value = Trim(fields[index]);
      if (value.empty()) continue;
      if (columns_[index].role == ResponseColumn::kSurveyId) {
        survey_id = value;
        survey_column = columns_[index].name;
      } else if (columns_[index].role == ResponseColumn::kMetric) {
        Result<feedback::Metric> parsed = feedback::ParseMetric(Lower(value));
        if (!parsed.ok()) return InvalidArgument("metric must be nps, csat or ces", columns_[index].name);
        metric = *parsed;
      } else if (columns_[index].role == ResponseColumn::kFinished && IsNo(value)) {
        return InvalidArgument("the response was not finished: only finished responses are imported",
                               columns_[index].name);
      }
    }
    if (survey_id.empty()) return InvalidArgument("the row names no survey", survey_column);
    TP_ASSIGN_OR_RETURN(row.survey, FindSurvey(survey_id));
    if (row.survey == nullptr) return Status(ErrorCode::kNotFound, "no such survey: " + survey_id, survey_column);
    const surveys::Survey& survey = row.survey->survey;
    const surveys::SurveyModel& model = row.survey->model;
    if (!metric && !model.metrics.empty()) {
      const auto nps = std::find_if(model.metrics.begin(), model.metrics.end(),
                                    [](const surveys::MetricQuestion& m) { return m.metric == feedback::Metric::kNps; });
      metric = nps != model.metrics.end() ? nps->metric : model.metrics.front().metric;
    }

    surveys::SurveyResponse& response = row.imported.response;
    response.survey_id = survey.id;
    response.version = survey.version;
    response.touchpoint = survey.touchpoint;
    response.stage = survey.stage;
    response.channel = Channel::kOther;
    response.data = json::object();
    std::map<std::string, std::string> column_of_question;  // for CheckAnswers' errors
    std::optional<feedback::Metric> first_scored;
    std::string comment, comment_column, source_id;
    std::optional<Micros> submitted_at, started_at;
    for (std::size_t index = 0; index < columns_.size(); ++index) {
      const Column& column = columns_[index];
      const std::string_view value = Trim(fields[index]);
      if (value.empty() && column.role != ResponseColumn::kComment) continue;
      switch (column.role) {
        case ResponseColumn::kScore:
        case ResponseColumn::kMetricScore: {
          const feedback::Metric scored = column.role == ResponseColumn::kScore ? metric.value_or(feedback::Metric::kNps) : column.metric;
          if (column.role == ResponseColumn::kScore && !metric) {
            return InvalidArgument("the survey has no NPS, CSAT or CES question: name the metric", column.name);
          }
          TP_ASSIGN_OR_RETURN(const int score, Score(scored, value, column.name));
          const auto question = std::find_if(model.metrics.begin(), model.metrics.end(),
                                             [scored](const surveys::MetricQuestion& m) { return m.metric == scored; });
          if (question == model.metrics.end()) {
            return InvalidArgument("survey " + survey.id + " has no " + std::string(feedback::MetricName(scored)) +
                                       " question",
                                   column.name);
          }
          response.data[question->question] = score;
          column_of_question[question->question] = column.name;
          if (!first_scored) first_scored = scored;
          break;
        }
        case ResponseColumn::kRating: {
          const auto matrix = std::find_if(model.questions.begin(), model.questions.end(), [&](const surveys::Question& q) {
            return q.kind == surveys::QuestionKind::kMatrix && q.numeric_columns &&
                   std::find(q.rows.begin(), q.rows.end(), column.key) != q.rows.end();
          });
          if (matrix == model.questions.end()) {
            return InvalidArgument("survey " + survey.id + " has no rating matrix with the row " + column.key, column.name);
          }
          std::optional<json> number = NumberOf(value);
          if (!number) return InvalidArgument(column.name + " must be a number", column.name);
          response.data[matrix->name][column.key] = *number;
          column_of_question[matrix->name] = column.name;
          break;
        }
        case ResponseColumn::kAnswer: {
          const surveys::Question* question = model.Find(column.key);
          if (question == nullptr) {
            return InvalidArgument("survey " + survey.id + " has no question " + column.key, column.name);
          }
          TP_ASSIGN_OR_RETURN(response.data[question->name], AnswerValue(*question, value, column.name));
          column_of_question[question->name] = column.name;
          break;
        }
        case ResponseColumn::kComment:
          comment = fields[index];  // free text keeps its spaces
          comment_column = column.name;
          break;
        case ResponseColumn::kSubmittedAt:
        case ResponseColumn::kStartedAt: {
          const std::optional<Micros> at = ParseImportTime(value);
          if (!at) return InvalidArgument(column.name + " is not a time (docs/import-export.md, CSV files)", column.name);
          TP_RETURN_IF_ERROR(profiles::CheckClientTimestamp(*at, now_, column.name));
          (column.role == ResponseColumn::kSubmittedAt ? submitted_at : started_at) = *at;
          break;
        }
        case ResponseColumn::kTouchpoint: {
          TP_ASSIGN_OR_RETURN(response.touchpoint, profiles::CleanLine(value, column.name, kMaxLabelChars, true));
          break;
        }
        case ResponseColumn::kStage: {
          TP_ASSIGN_OR_RETURN(response.stage, profiles::CleanLine(value, column.name, kMaxLabelChars, true));
          break;
        }
        case ResponseColumn::kChannel: {
          TP_ASSIGN_OR_RETURN(response.channel, ParseChannel(value, column.name));
          break;
        }
        case ResponseColumn::kLanguage: {
          TP_ASSIGN_OR_RETURN(response.language, profiles::CleanLine(value, column.name, kMaxLanguageChars, true));
          break;
        }
        case ResponseColumn::kIdentifier: {
          TP_ASSIGN_OR_RETURN(profiles::Identifier identifier,
                              profiles::NormaliseIdentifier(column.identifier, value, column.name));
          row.identifiers.push_back(std::move(identifier));
          break;
        }
        case ResponseColumn::kOrderId: {
          TP_ASSIGN_OR_RETURN(std::string order_id, profiles::CleanLine(value, column.name, kMaxSourceIdChars, true));
          response.order_id = std::move(order_id);
          break;
        }
        case ResponseColumn::kCaseId: {
          if (!LooksLikeId(value, "cas_")) return Status(ErrorCode::kNotFound, "no such case", column.name);
          response.case_id = std::string(value);
          break;
        }
        case ResponseColumn::kResponseId: {
          TP_ASSIGN_OR_RETURN(source_id, profiles::CleanLine(value, column.name, kMaxSourceIdChars, true));
          break;
        }
        case ResponseColumn::kIgnored:
        case ResponseColumn::kSurveyId:
        case ResponseColumn::kMetric:
        case ResponseColumn::kFinished: break;
      }
    }
    if (response.data.empty()) return InvalidArgument("the row has no score and no answer", "score");
    if (!submitted_at) return InvalidArgument("the row has no submitted_at", "submitted_at");
    response.submitted_at = *submitted_at;
    response.started_at = std::min(started_at.value_or(*submitted_at), *submitted_at);
    if (!Trim(comment).empty()) {
      TP_RETURN_IF_ERROR(profiles::CheckFreeText(comment, comment_column, feedback::kMaxCommentChars));
      const surveys::MetricQuestion* scored = nullptr;
      for (const surveys::MetricQuestion& candidate : model.metrics) {
        if (first_scored && candidate.metric == *first_scored) scored = &candidate;
      }
      if (scored == nullptr || scored->comment_question.empty()) {
        return InvalidArgument("survey " + survey.id + " names no comment question for the row's score (metrics." +
                                   (scored ? std::string(feedback::MetricName(scored->metric)) : "nps") +
                                   ".comment); or map the column to answer.<question>",
                               comment_column);
      }
      response.data[scored->comment_question] = comment;
      column_of_question[scored->comment_question] = comment_column;
      row.imported.comment = comment;
    }
    Result<std::vector<surveys::Answer>> answers = surveys::CheckAnswers(model, response.data, surveys::Completeness::kPartial);
    if (!answers.ok()) {
      std::string field = answers.status().field();
      if (field.starts_with("answers.")) {
        const auto column = column_of_question.find(field.substr(8));
        if (column != column_of_question.end()) field = column->second;
      }
      return InvalidArgument(answers.status().message(), field);
    }
    row.imported.answers = std::move(answers).value();
    std::sort(row.identifiers.begin(), row.identifiers.end());
    row.identifiers.erase(std::unique(row.identifiers.begin(), row.identifiers.end()), row.identifiers.end());
    // The id: the source's response id within the survey, or the row's content, so a re-import finds
    // it; its time part is the answer's, so a file in time order appends to the indexes.
    // A repeated source id is the same response even when its time differs.
    const std::string identity = survey.id + "\n" + (source_id.empty() ? ContentOf(fields) : "id:" + source_id);
    response.id = DerivedId("rsp_", *submitted_at, identity);
    const std::string duplicate_column = source_id.empty() ? "row" : ColumnOf(ResponseColumn::kResponseId);
    const auto [earlier, added] = seen_ids_.emplace(std::hash<std::string>{}(identity), record.line);
    if (!added) {
      return Status(ErrorCode::kConflict, "the same response as line " + std::to_string(earlier->second),
                    duplicate_column);
    }
    return row;
  }

  Result<int> Score(feedback::Metric metric, std::string_view value, const std::string& column) const {
    const bool shifted = metric == feedback::Metric::kNps && options_.nps_scale == NpsScale::kOneToEleven;
    const int low = feedback::MinScore(metric) + (shifted ? 1 : 0);
    const int high = feedback::MaxScore(metric) + (shifted ? 1 : 0);
    const std::optional<std::int64_t> number = WholeNumber(value);
    if (!number || *number < low || *number > high) {
      return InvalidArgument(column + " must be a whole number from " + std::to_string(low) + " to " +
                                 std::to_string(high) + " for " + std::string(feedback::MetricName(metric)) +
                                 (shifted ? " (recode values 1-11)" : ""),
                             column);
    }
    return static_cast<int>(*number) - (shifted ? 1 : 0);
  }

  std::string ColumnOf(ResponseColumn role) const {
    for (const Column& column : columns_) {
      if (column.role == role) return column.name;
    }
    return "row";
  }

  // The row's values by column name, in a canonical order (as transfer/rows.h ContentId).
  std::string ContentOf(const std::vector<std::string>& fields) const {
    std::vector<std::pair<std::string_view, std::string_view>> pairs;
    for (std::size_t index = 0; index < columns_.size(); ++index) {
      if (columns_[index].role == ResponseColumn::kIgnored) continue;
      const std::string_view value = Trim(fields[index]);
      if (!value.empty()) pairs.emplace_back(columns_[index].name, value);
    }
    std::sort(pairs.begin(), pairs.end());
    std::string canonical;
    for (const auto& [name, value] : pairs) {
      canonical += std::to_string(name.size()) + ":" + std::string(name) + "=" + std::to_string(value.size()) + ":";
      canonical += value;
      canonical += '\n';
    }
    return canonical;
  }

  // One identify message per distinct set of identifiers in `rows`, resolved as a customers import
  // resolves them (the message id comes from the identifiers, so a re-import stores no new event);
  // then the responses, run by run of one survey.
  Status LoadRows(store::TenantTx& tx, std::span<PendingResponse> rows, ChunkCounts& counts) {
    std::map<IdentifierSet, std::size_t> message_of;
    std::vector<events::Message> messages;
    for (const PendingResponse& row : rows) {
      if (row.identifiers.empty() || message_of.contains(row.identifiers) || resolved_.contains(row.identifiers)) continue;
      message_of.emplace(row.identifiers, messages.size());
      events::Message& message = messages.emplace_back();
      message.type = events::EventType::kIdentify;
      std::string canonical;
      json traits = json::object();
      for (const profiles::Identifier& identifier : row.identifiers) {
        canonical += std::string(profiles::IdentifierKindName(identifier.kind)) + "=" + identifier.value + "\n";
        if (identifier.kind == IdentifierKind::kUserId) message.user_id = identifier.value;
        if (identifier.kind == IdentifierKind::kAnonymousId) message.anonymous_id = identifier.value;
        if (identifier.kind == IdentifierKind::kEmail) traits["email"] = identifier.value;
        if (identifier.kind == IdentifierKind::kPhone) traits["phone"] = identifier.value;
      }
      message.message_id = "import:responses:" + Sha256Hex(canonical);
      message.identifiers = row.identifiers;
      message.traits = std::move(traits);
      message.context = json{{"library", {{"name", "touchpoint-import"}}}, {"import", {{"kind", "responses"}}}};
      message.occurred_at = row.imported.response.submitted_at.value_or(now_);
      message.received_at = now_;
    }
    std::vector<std::string> customer_ids;
    if (!messages.empty()) {
      TP_ASSIGN_OR_RETURN(ingest::IngestSummary ingested, ingest::IngestMessages(tx, messages, audit_));
      counts.profiles_created += ingested.profiles_created;
      customer_ids = std::move(ingested.customer_ids);
      for (const auto& [identifiers, index] : message_of) counts.resolved.emplace(identifiers, customer_ids[index]);
    }
    std::vector<surveys::ImportedResponse> run;
    const LoadedSurvey* run_survey = nullptr;
    const auto store_run = [&]() -> Status {
      if (run.empty()) return Status::Ok();
      TP_ASSIGN_OR_RETURN(const surveys::ImportCounts stored,
                          surveys::StoreImportedResponses(tx, run_survey->survey, run_survey->model, run, now_));
      counts.stored += stored.stored;
      counts.duplicates += stored.duplicates;
      run.clear();
      return Status::Ok();
    };
    for (const PendingResponse& row : rows) {
      if (row.survey != run_survey) {
        TP_RETURN_IF_ERROR(store_run());
        run_survey = row.survey;
      }
      surveys::ImportedResponse& imported = run.emplace_back(row.imported);
      if (row.identifiers.empty()) {
        ++counts.anonymous;
      } else if (const auto known = resolved_.find(row.identifiers); known != resolved_.end()) {
        imported.response.customer_id = known->second;
      } else {
        imported.response.customer_id = counts.resolved.at(row.identifiers);
      }
    }
    return store_run();
  }

  // Loads the pending chunk in one transaction. Rows were checked before, so a failing chunk means a
  // row the store refused (a case the tenant lacks): the chunk is then loaded row by row so that only
  // that row is rejected. Store outages stop the import.
  Status Flush() {
    if (pending_.empty()) return Status::Ok();
    ChunkCounts counts;
    Status status = store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      counts = {};
      return LoadRows(tx, pending_, counts);
    });
    if (status.ok()) {
      Count(counts);
    } else if (IsRowError(status)) {
      for (PendingResponse& row : pending_) {
        ChunkCounts single;
        Status one = store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
          single = {};
          return LoadRows(tx, std::span<PendingResponse>(&row, 1), single);
        });
        if (one.ok()) {
          Count(single);
        } else if (IsRowError(one)) {
          RejectRow(row.line, one.field().empty() ? "row" : ColumnNamed(one.field()), one.message(), row.fields);
        } else {
          return one;
        }
      }
    } else {
      return status;
    }
    pending_.clear();
    Report();
    return Status::Ok();
  }

  // The file's name of a documented column a store error names ("case_id" may be the file's "Ticket").
  std::string ColumnNamed(const std::string& field) const {
    if (field == "case_id") return ColumnOf(ResponseColumn::kCaseId);
    return field;
  }

  static bool IsRowError(const Status& status) {
    return status.code() == ErrorCode::kInvalidArgument || status.code() == ErrorCode::kConflict ||
           status.code() == ErrorCode::kFailedPrecondition || status.code() == ErrorCode::kNotFound;
  }

  // Counts a committed chunk and remembers whom it resolved.
  void Count(ChunkCounts& counts) {
    if (resolved_.size() + counts.resolved.size() > kMaxResolvedSets) resolved_.clear();
    resolved_.merge(counts.resolved);
    summary_.loaded += counts.stored;
    summary_.duplicates += counts.duplicates;
    summary_.profiles_created += counts.profiles_created;
    summary_.anonymous += counts.anonymous;
  }

  void RejectRow(std::int64_t line, const std::string& field, const std::string& reason,
                 const std::vector<std::string>& fields) {
    RecordReject(summary_, summary_.rejects, options_.keep_rejects, options_.rejects, {line, field, reason}, fields);
  }

  void Report() {
    summary_.bytes_read = reader_->bytes_read();
    summary_.total_bytes = options_.total_bytes;
    summary_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (options_.on_progress) options_.on_progress(summary_);
  }

  store::Store& store_;
  const std::string& tenant_id_;
  const ResponseImportOptions& options_;
  const identity::AuditContext& audit_;
  const Micros now_;
  const int batch_;
  Clock::time_point started_;
  CsvReader* reader_ = nullptr;
  std::vector<Column> columns_;
  std::map<std::string, std::optional<LoadedSurvey>> surveys_;
  // Responses of the file so far by a hash of what identifies them, with their line: a row repeating one is
  // rejected. 16 bytes a row rather than the id itself keeps a million-row file's set small.
  std::unordered_map<std::size_t, std::int64_t> seen_ids_;
  std::vector<PendingResponse> pending_;
  std::map<IdentifierSet, std::string> resolved_;  // committed resolutions (kMaxResolvedSets)
  ResponseImportSummary summary_;
};

}  // namespace

Result<NpsScale> ParseNpsScale(std::string_view text) {
  if (text == "0-10") return NpsScale::kZeroToTen;
  if (text == "1-11") return NpsScale::kOneToEleven;
  return InvalidArgument("nps_scale must be 0-10 or 1-11", "nps_scale");
}

Result<ResponseImportSummary> ImportResponses(store::Store& store, const std::string& tenant_id, std::istream& in,
                                              const ResponseImportOptions& options,
                                              const identity::AuditContext& audit) {
  ResponseImporter importer(store, tenant_id, options, audit);
  return importer.Run(in);
}

}  // namespace tp::transfer
