#include "surveys/surveys.h"

#include <algorithm>

#include "cases/cases.h"
#include "changes/kinds.h"
#include "common/crypto.h"
#include "common/ids.h"
#include "feedback/feedback.h"
#include "profiles/customers.h"
#include "profiles/text.h"
#include "store/sql_params.h"

namespace tp::surveys {
namespace {

using store::Sql;
using store::SqlParams;

constexpr std::string_view kSurveyPrefix = "svy_";
constexpr std::string_view kLinkPrefix = "lnk_";
constexpr std::string_view kResponsePrefix = "rsp_";
constexpr std::size_t kMaxLabelChars = 100;  // touchpoint, stage
constexpr std::size_t kMaxLanguageChars = 20;

constexpr std::string_view kInsertSurvey =
    "INSERT INTO surveys (tenant_id, id, name, touchpoint, stage, status, version, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)";
constexpr std::string_view kUpdateSurvey =
    "UPDATE surveys SET name = $3, touchpoint = $4, stage = $5, status = $6, version = $7, updated_at = $8 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kInsertVersion =
    "INSERT INTO survey_versions (tenant_id, survey_id, version, definition, metrics, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
constexpr std::string_view kReplaceVersion =
    "UPDATE survey_versions SET definition = $4, metrics = $5, created_at = $6 "
    "WHERE tenant_id = $1 AND survey_id = $2 AND version = $3";
constexpr std::string_view kSelectSurveyColumns =
    "SELECT s.id, s.name, s.touchpoint, s.stage, s.status, v.version, s.version, v.definition, v.metrics, "
    "s.created_at, s.updated_at FROM surveys s JOIN survey_versions v ON v.tenant_id = s.tenant_id AND "
    "v.survey_id = s.id ";
constexpr std::string_view kWhereSurveyVersion = "WHERE s.tenant_id = $1 AND s.id = $2 AND v.version = ";
constexpr std::string_view kCurrentVersion = "s.version";
constexpr std::string_view kSelectSurveysAfter =
    "SELECT id, name, touchpoint, stage, status, version, version, 'null', 'null', created_at, updated_at "
    "FROM surveys WHERE tenant_id = $1 AND id > ";
constexpr std::string_view kAndStatusIs = " AND status = ";
constexpr std::string_view kAndTouchpointIs = " AND touchpoint = ";
constexpr std::string_view kOrderByIdLimit = " ORDER BY id LIMIT ";
constexpr std::string_view kSurveyHasResponses =
    "SELECT 1 FROM survey_responses WHERE tenant_id = $1 AND survey_id = $2 LIMIT 1";

constexpr std::string_view kInsertLink =
    "INSERT INTO survey_links (token_hash, tenant_id, id, survey_id, kind, customer_id, origin_customer_id, channel, "
    "language, case_id, order_id, expires_at, created_at) VALUES ($2, $1, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, "
    "$12)";
constexpr std::string_view kSelectLinksOfSurvey =
    "SELECT id, survey_id, kind, customer_id, channel, language, case_id, order_id, expires_at, response_id, "
    "created_at FROM survey_links WHERE tenant_id = $1 AND survey_id = $2 AND id > $3 ORDER BY id LIMIT $4";
// The one statement that reads across tenants: a token names its tenant (grep SystemTx).
constexpr std::string_view kFindLinkByToken =
    "SELECT tenant_id, id, survey_id, kind, customer_id, channel, language, case_id, order_id, expires_at, "
    "response_id, created_at FROM survey_links WHERE token_hash = $1";
constexpr std::string_view kSetLinkResponse =
    "UPDATE survey_links SET response_id = $3 WHERE tenant_id = $1 AND id = $2";

constexpr std::string_view kResponseColumns =
    "id, survey_id, version, link_id, customer_id, channel, touchpoint, stage, language, case_id, agent_id, "
    "team_id, order_id, status, data, started_at, submitted_at";
constexpr std::string_view kInsertResponse =
    "INSERT INTO survey_responses (tenant_id, id, survey_id, version, link_id, customer_id, origin_customer_id, "
    "channel, touchpoint, stage, language, case_id, agent_id, team_id, order_id, status, data, started_at, "
    "submitted_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
// Imported responses keep the id derived from their row: a re-import inserts nothing.
constexpr std::string_view kInsertImportedResponse =
    "INSERT INTO survey_responses (tenant_id, id, survey_id, version, link_id, customer_id, origin_customer_id, "
    "channel, touchpoint, stage, language, case_id, agent_id, team_id, order_id, status, data, started_at, "
    "submitted_at) VALUES ($1, $2, $3, $4, NULL, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) "
    "ON CONFLICT (tenant_id, id) DO NOTHING";
constexpr std::string_view kFeedbackIdPrefix = "fbk_";
constexpr std::string_view kUpdateResponse =
    "UPDATE survey_responses SET version = $3, language = $4, status = $5, data = $6, submitted_at = $7 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteAnswers = "DELETE FROM survey_answers WHERE tenant_id = $1 AND response_id = $2";
constexpr std::string_view kInsertAnswer =
    "INSERT INTO survey_answers (tenant_id, response_id, survey_id, version, question, attribute, number, text, "
    "free_text, customer_id, origin_customer_id, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
    "$10, $11)";
constexpr std::string_view kFeedbackOfResponse =
    "SELECT id FROM feedback_responses WHERE tenant_id = $1 AND survey_response_id = $2 ORDER BY id";
constexpr std::string_view kAndSurveyIs = " AND survey_id = ";
constexpr std::string_view kAndCustomerIs = " AND customer_id = ";

std::string SelectResponses(std::string_view where) {
  return "SELECT " + std::string(kResponseColumns) + " FROM survey_responses " + std::string(where);
}

Result<SurveyStatus> StoredStatus(const std::string& name) {
  Result<SurveyStatus> status = ParseSurveyStatus(name);
  if (!status.ok()) return Internal("a survey has an unknown status " + name);
  return status;
}

Result<Survey> SurveyFromRow(const store::Row& row) {
  TP_ASSIGN_OR_RETURN(SurveyStatus status, StoredStatus(row.Text(4)));
  Survey survey{.id = row.Text(0),
                .name = row.Text(1),
                .touchpoint = row.Text(2),
                .stage = row.Text(3),
                .status = status,
                .version = row.Int(5),
                .current_version = row.Int(6),
                .definition = Json::parse(row.Text(7)),
                .metrics = Json::parse(row.Text(8)),
                .created_at = row.Int(9),
                .updated_at = row.Int(10)};
  return survey;
}

// The languages of a stored survey's texts, for the callers that show or check them (a submission
// parses the definition once itself and needs none).
void FillLanguages(Survey& survey) {
  if (survey.definition.is_null()) return;
  Result<SurveyModel> model = ParseDefinition(survey.definition, survey.metrics);
  if (model.ok()) survey.languages = model->languages;
}

// The metrics as the server scores them, written out in full so that a reader sees what was inferred.
Json MetricsJson(const SurveyModel& model) {
  Json metrics = Json::object();
  for (const MetricQuestion& metric : model.metrics) {
    Json entry{{"question", metric.question}};
    if (!metric.comment_question.empty()) entry["comment"] = metric.comment_question;
    metrics[std::string(feedback::MetricName(metric.metric))] = std::move(entry);
  }
  return metrics;
}

Result<SurveyModel> CheckDefinition(const Json& definition, const Json& metrics) {
  if (definition.dump().size() > kMaxDefinitionBytes) {
    return InvalidArgument("definition is over " + std::to_string(kMaxDefinitionBytes) + " bytes", "definition");
  }
  return ParseDefinition(definition, metrics);
}

Result<std::string> CheckLabel(std::string_view text, std::string_view field) {
  return profiles::CleanLine(text, field, kMaxLabelChars, true);
}

Result<std::optional<Survey>> FindSurvey(store::TenantTx& tx, std::string_view survey_id,
                                         std::optional<std::int64_t> version) {
  if (!LooksLikeId(survey_id, kSurveyPrefix)) return std::optional<Survey>();
  SqlParams params;
  params.Bind(std::string(survey_id));
  std::string sql = Sql({kSelectSurveyColumns, kWhereSurveyVersion});
  sql += version ? params.Bind(*version) : std::string(kCurrentVersion);
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  if (rows.empty()) return std::optional<Survey>();
  TP_ASSIGN_OR_RETURN(Survey survey, SurveyFromRow(rows.front()));
  return std::optional<Survey>(std::move(survey));
}

Result<SurveyLink> LinkFromRow(const store::Row& row, std::size_t first) {
  TP_ASSIGN_OR_RETURN(LinkKind kind, ParseLinkKind(row.Text(first + 2)));
  TP_ASSIGN_OR_RETURN(Channel channel, ParseChannel(row.Text(first + 4)));
  return SurveyLink{.id = row.Text(first),
                    .survey_id = row.Text(first + 1),
                    .kind = kind,
                    .customer_id = row.OptionalText(first + 3),
                    .channel = channel,
                    .language = row.Text(first + 5),
                    .case_id = row.OptionalText(first + 6),
                    .order_id = row.OptionalText(first + 7),
                    .expires_at = row.OptionalInt(first + 8),
                    .response_id = row.OptionalText(first + 9),
                    .created_at = row.Int(first + 10)};
}

Result<SurveyResponse> ResponseFromRow(const store::Row& row) {
  TP_ASSIGN_OR_RETURN(Channel channel, ParseChannel(row.Text(5)));
  return SurveyResponse{.id = row.Text(0),
                        .survey_id = row.Text(1),
                        .version = row.Int(2),
                        .link_id = row.OptionalText(3),
                        .customer_id = row.OptionalText(4),
                        .channel = channel,
                        .touchpoint = row.Text(6),
                        .stage = row.Text(7),
                        .language = row.Text(8),
                        .case_id = row.OptionalText(9),
                        .agent_id = row.OptionalText(10),
                        .team_id = row.OptionalText(11),
                        .order_id = row.OptionalText(12),
                        .status = row.Text(13) == "complete" ? ResponseStatus::kComplete : ResponseStatus::kPartial,
                        .data = Json::parse(row.Text(14)),
                        .started_at = row.Int(15),
                        .submitted_at = row.OptionalInt(16)};
}

Result<std::optional<SurveyResponse>> FindResponse(store::TenantTx& tx, std::string_view response_id) {
  if (!LooksLikeId(response_id, kResponsePrefix)) return std::optional<SurveyResponse>();
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(SelectResponses("WHERE tenant_id = $1 AND id = $2"), {std::string(response_id)}));
  if (!row) return std::optional<SurveyResponse>();
  TP_ASSIGN_OR_RETURN(SurveyResponse response, ResponseFromRow(*row));
  TP_ASSIGN_OR_RETURN(store::Rows feedback, tx.Query(kFeedbackOfResponse, {response.id}));
  for (const store::Row& id : feedback) response.feedback_ids.push_back(id.Text(0));
  return std::optional<SurveyResponse>(std::move(response));
}

// The link a token opens and its tenant; kNotFound field "token" for an unknown one.
struct OpenedLink {
  std::string tenant_id;
  SurveyLink link;
};
Result<OpenedLink> FindLink(store::SystemTx& tx, std::string_view token) {
  if (token.empty() || token.size() > 200) return Status(ErrorCode::kNotFound, "no such survey link", "token");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row, tx.QueryOne(kFindLinkByToken, {Sha256Hex(token)}));
  if (!row) return Status(ErrorCode::kNotFound, "no such survey link", "token");
  TP_ASSIGN_OR_RETURN(SurveyLink link, LinkFromRow(*row, 1));
  return OpenedLink{row->Text(0), std::move(link)};
}

// Whether the link may still be answered, and the survey version its respondent answers: the one an
// invitation's response started with, else the version the page showed, else the current one.
Result<Survey> AnswerableSurvey(store::TenantTx& tx, const SurveyLink& link, std::optional<std::int64_t> version,
                                Micros now) {
  if (link.expires_at && *link.expires_at <= now) {
    return Status(ErrorCode::kFailedPrecondition, "this survey link has expired", "token");
  }
  TP_ASSIGN_OR_RETURN(std::optional<Survey> current, FindSurvey(tx, link.survey_id, std::nullopt));
  if (!current || current->status != SurveyStatus::kLive) {
    return Status(ErrorCode::kFailedPrecondition, "this survey is not open for answers", "token");
  }
  if (!version || *version == current->version) return std::move(*current);
  TP_ASSIGN_OR_RETURN(std::optional<Survey> shown, FindSurvey(tx, link.survey_id, version));
  if (!shown) return InvalidArgument("the survey has no version " + std::to_string(*version), "version");
  return std::move(*shown);
}

Result<std::string> CheckLanguage(std::string_view language) {
  if (language.empty() || language == "default") return std::string();
  if (language.size() > kMaxLanguageChars) return InvalidArgument("language is too long", "language");
  // survey-core falls back to the default texts for a language the survey lacks; keep what was asked.
  return std::string(language);
}

Status InsertAnswers(store::TenantTx& tx, const SurveyResponse& response, const SurveyModel& model,
                     const std::vector<Answer>& answers, Micros now) {
  for (const Answer& answer : answers) {
    const Question* question = model.Find(answer.question);
    const bool free_text = answer.attribute == "#comment" ||
                           (question && (question->kind == QuestionKind::kText || question->kind == QuestionKind::kComment));
    TP_RETURN_IF_ERROR(tx.Execute(
        kInsertAnswer, {response.id, response.survey_id, response.version, answer.question, answer.attribute,
                        answer.number ? store::Value(*answer.number) : store::kNull, answer.text,
                        std::int64_t{free_text ? 1 : 0}, store::Nullable(response.customer_id), now}));
  }
  return Status::Ok();
}

Status WriteAnswers(store::TenantTx& tx, const SurveyResponse& response, const SurveyModel& model,
                    const std::vector<Answer>& answers, Micros now) {
  TP_RETURN_IF_ERROR(tx.Execute(kDeleteAnswers, {response.id}));
  return InsertAnswers(tx, response, model, answers, now);
}

// The feedback responses a completed response's metric answers become: what metrics, dashboards and
// the timeline read, and what the rules engine hears about (feedback.submitted).
Result<std::vector<std::string>> RecordScores(store::TenantTx& tx, const SurveyResponse& response,
                                              const Survey& survey, const SurveyModel& model,
                                              const identity::AuditContext& audit) {
  std::vector<std::string> ids;
  for (const MetricQuestion& metric : model.metrics) {
    std::optional<int> score = MetricScore(metric, response.data);
    if (!score) continue;
    std::string comment;
    if (!metric.comment_question.empty()) {
      auto found = response.data.find(metric.comment_question);
      if (found != response.data.end() && found->is_string()) comment = found->get<std::string>();
    }
    TP_ASSIGN_OR_RETURN(feedback::FeedbackResponse scored,
                        feedback::SubmitFeedback(tx,
                                                 {.customer_id = response.customer_id,
                                                  .survey = survey.id,
                                                  .metric = metric.metric,
                                                  .score = *score,
                                                  .comment = comment.substr(0, feedback::kMaxCommentChars),
                                                  .touchpoint = survey.touchpoint,
                                                  .created_at = response.submitted_at,
                                                  .survey_response_id = response.id},
                                                 audit));
    ids.push_back(scored.id);
  }
  return ids;
}

// Links a response to the case its link is about: the case's team and assignee answer for it.
Status AttachCase(store::TenantTx& tx, SurveyResponse& response) {
  if (!response.case_id) return Status::Ok();
  Result<cases::Case> item = cases::GetCase(tx, *response.case_id);
  // A case erased with its customer since the link was sent: the answers still count.
  if (!item.ok()) return item.status().code() == ErrorCode::kNotFound ? Status::Ok() : item.status();
  response.team_id = item->team_id;
  response.agent_id = item->assignee_id;
  return Status::Ok();
}

enum class Step { kProgress, kSubmit };

Result<SurveyResponse> Respond(store::Store& store, std::string_view token, const Submission& submission, Micros now,
                              Step step) {
  SurveyResponse result;
  TP_RETURN_IF_ERROR(store.WriteSystem([&](store::SystemTx& system) -> Status {
    TP_ASSIGN_OR_RETURN(OpenedLink opened, FindLink(system, token));
    store::TenantTx tx = system.InTenant(opened.tenant_id);
    const SurveyLink& link = opened.link;
    const bool single = link.kind == LinkKind::kInvitation;
    if (!single && step == Step::kProgress) {
      return Status(ErrorCode::kFailedPrecondition, "answers are saved as they go only for invitations", "token");
    }
    std::optional<SurveyResponse> existing;
    if (single && link.response_id) {
      TP_ASSIGN_OR_RETURN(existing, FindResponse(tx, *link.response_id));
      if (existing && existing->status == ResponseStatus::kComplete) {
        return Status(ErrorCode::kConflict, "this survey was already answered", "token");
      }
    }
    std::optional<std::int64_t> version = existing ? std::optional(existing->version) : submission.version;
    TP_ASSIGN_OR_RETURN(Survey survey, AnswerableSurvey(tx, link, version, now));
    TP_ASSIGN_OR_RETURN(SurveyModel model, ParseDefinition(survey.definition, survey.metrics));
    const Completeness completeness = step == Step::kSubmit ? Completeness::kFinal : Completeness::kPartial;
    TP_ASSIGN_OR_RETURN(std::vector<Answer> answers, CheckAnswers(model, submission.data, completeness));
    TP_ASSIGN_OR_RETURN(std::string language,
                        CheckLanguage(submission.language.empty() ? link.language : submission.language));

    SurveyResponse response = existing.value_or(SurveyResponse{.id = NewId(kResponsePrefix),
                                                               .survey_id = survey.id,
                                                               .link_id = link.id,
                                                               .customer_id = link.customer_id,
                                                               .channel = link.channel,
                                                               .touchpoint = survey.touchpoint,
                                                               .stage = survey.stage,
                                                               .case_id = link.case_id,
                                                               .order_id = link.order_id,
                                                               .started_at = now});
    response.version = survey.version;
    response.language = language;
    response.data = submission.data;
    if (step == Step::kSubmit) {
      response.status = ResponseStatus::kComplete;
      response.submitted_at = now;
    }
    if (!existing) {
      TP_RETURN_IF_ERROR(AttachCase(tx, response));
      TP_RETURN_IF_ERROR(tx.Execute(
          kInsertResponse,
          {response.id, response.survey_id, response.version, store::Nullable(response.link_id),
           store::Nullable(response.customer_id), std::string(ChannelName(response.channel)), response.touchpoint,
           response.stage, response.language, store::Nullable(response.case_id), store::Nullable(response.agent_id),
           store::Nullable(response.team_id), store::Nullable(response.order_id),
           std::string(ResponseStatusName(response.status)), response.data.dump(), response.started_at,
           store::Nullable(response.submitted_at)}));
      if (single) TP_RETURN_IF_ERROR(tx.Execute(kSetLinkResponse, {link.id, response.id}));
    } else {
      TP_RETURN_IF_ERROR(tx.Execute(kUpdateResponse, {response.id, response.version, response.language,
                                                      std::string(ResponseStatusName(response.status)),
                                                      response.data.dump(), store::Nullable(response.submitted_at)}));
    }
    TP_RETURN_IF_ERROR(WriteAnswers(tx, response, model, answers, now));
    if (step == Step::kSubmit) {
      const identity::AuditContext respondent{.actor_type = "respondent", .actor_id = link.id};
      TP_ASSIGN_OR_RETURN(response.feedback_ids, RecordScores(tx, response, survey, model, respondent));
      TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kSurveyResponseSubmitted, response.id,
                                    Json{{"response_id", response.id},
                                         {"survey_id", response.survey_id},
                                         {"version", response.version},
                                         {"customer_id", response.customer_id ? Json(*response.customer_id) : Json()},
                                         {"case_id", response.case_id ? Json(*response.case_id) : Json()},
                                         {"feedback_ids", response.feedback_ids}}
                                        .dump()));
    }
    result = std::move(response);
    return Status::Ok();
  }));
  return result;
}

}  // namespace

Result<ImportCounts> StoreImportedResponses(store::TenantTx& tx, const Survey& survey, const SurveyModel& model,
                                            std::vector<ImportedResponse>& responses, Micros now) {
  ImportCounts counts;
  for (ImportedResponse& imported : responses) {
    SurveyResponse& response = imported.response;
    response.status = ResponseStatus::kComplete;
    if (response.case_id) {
      Result<cases::Case> item = cases::GetCase(tx, *response.case_id);
      if (!item.ok()) {
        return item.status().code() == ErrorCode::kNotFound ? Status(ErrorCode::kNotFound, "no such case", "case_id")
                                                            : item.status();
      }
      response.team_id = item->team_id;
      response.agent_id = item->assignee_id;
    }
    TP_ASSIGN_OR_RETURN(const std::int64_t inserted,
                        tx.Execute(kInsertImportedResponse,
                                   {response.id, response.survey_id, response.version,
                                    store::Nullable(response.customer_id), std::string(ChannelName(response.channel)),
                                    response.touchpoint, response.stage, response.language,
                                    store::Nullable(response.case_id), store::Nullable(response.agent_id),
                                    store::Nullable(response.team_id), store::Nullable(response.order_id),
                                    std::string(ResponseStatusName(response.status)), response.data.dump(),
                                    response.started_at, store::Nullable(response.submitted_at)}));
    if (inserted == 0) {
      ++counts.duplicates;
      continue;
    }
    ++counts.stored;
    TP_RETURN_IF_ERROR(InsertAnswers(tx, response, model, imported.answers,
                                     response.submitted_at.value_or(response.started_at)));
    response.feedback_ids.clear();
    for (const MetricQuestion& metric : model.metrics) {
      const std::optional<int> score = MetricScore(metric, response.data);
      if (!score) continue;
      TP_ASSIGN_OR_RETURN(feedback::FeedbackResponse scored,
                          feedback::ImportFeedback(tx,
                                                   {.customer_id = response.customer_id,
                                                    .survey = survey.id,
                                                    .metric = metric.metric,
                                                    .score = *score,
                                                    .comment = imported.comment,
                                                    .touchpoint = response.touchpoint,
                                                    .created_at = response.submitted_at,
                                                    .survey_response_id = response.id},
                                                   // Derived as the response's id is, so a re-import finds it.
                                                   DerivedId(kFeedbackIdPrefix, response.submitted_at.value_or(0),
                                                             response.id + "/" +
                                                                 std::string(feedback::MetricName(metric.metric))),
                                                   now));
      response.feedback_ids.push_back(std::move(scored.id));
    }
    TP_RETURN_IF_ERROR(tx.Publish(changes::kinds::kSurveyResponseSubmitted, response.id,
                                  Json{{"response_id", response.id},
                                       {"survey_id", response.survey_id},
                                       {"version", response.version},
                                       {"customer_id", response.customer_id ? Json(*response.customer_id) : Json()},
                                       {"case_id", response.case_id ? Json(*response.case_id) : Json()},
                                       {"feedback_ids", response.feedback_ids},
                                       {"imported", true}}
                                      .dump()));
  }
  return counts;
}

std::string_view SurveyStatusName(SurveyStatus status) {
  switch (status) {
    case SurveyStatus::kDraft: return "draft";
    case SurveyStatus::kLive: return "live";
    case SurveyStatus::kClosed: return "closed";
  }
  return "draft";
}

Result<SurveyStatus> ParseSurveyStatus(std::string_view name) {
  for (SurveyStatus status : {SurveyStatus::kDraft, SurveyStatus::kLive, SurveyStatus::kClosed}) {
    if (SurveyStatusName(status) == name) return status;
  }
  return InvalidArgument("status must be one of draft, live, closed", "status");
}

std::string_view LinkKindName(LinkKind kind) {
  switch (kind) {
    case LinkKind::kInvitation: return "invitation";
    case LinkKind::kPublic: return "public";
    case LinkKind::kKiosk: return "kiosk";
  }
  return "invitation";
}

Result<LinkKind> ParseLinkKind(std::string_view name) {
  for (LinkKind kind : {LinkKind::kInvitation, LinkKind::kPublic, LinkKind::kKiosk}) {
    if (LinkKindName(kind) == name) return kind;
  }
  return InvalidArgument("kind must be one of invitation, public, kiosk", "kind");
}

std::string_view ResponseStatusName(ResponseStatus status) {
  return status == ResponseStatus::kComplete ? "complete" : "partial";
}

Result<Survey> CreateSurvey(store::TenantTx& tx, const NewSurvey& input, const identity::AuditContext& audit) {
  Survey survey{.id = NewId(kSurveyPrefix), .status = input.status};
  TP_ASSIGN_OR_RETURN(survey.name, profiles::CleanLine(input.name, "name", kMaxSurveyNameChars, true));
  TP_ASSIGN_OR_RETURN(survey.touchpoint, CheckLabel(input.touchpoint, "touchpoint"));
  TP_ASSIGN_OR_RETURN(survey.stage, CheckLabel(input.stage, "stage"));
  TP_ASSIGN_OR_RETURN(SurveyModel model, CheckDefinition(input.definition, input.metrics));
  survey.definition = input.definition;
  survey.metrics = MetricsJson(model);
  survey.languages = model.languages;
  survey.created_at = survey.updated_at = NowMicros();
  TP_RETURN_IF_ERROR(tx.Execute(kInsertSurvey, {survey.id, survey.name, survey.touchpoint, survey.stage,
                                                std::string(SurveyStatusName(survey.status)), survey.version,
                                                survey.created_at}));
  TP_RETURN_IF_ERROR(tx.Execute(kInsertVersion, {survey.id, survey.version, survey.definition.dump(),
                                                 survey.metrics.dump(), survey.created_at}));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "survey.create", "survey", survey.id, std::nullopt,
                                           Json{{"name", survey.name}, {"version", survey.version}}.dump()));
  return survey;
}

Result<Survey> UpdateSurvey(store::TenantTx& tx, std::string_view survey_id, const SurveyPatch& patch,
                            const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(std::optional<Survey> found, FindSurvey(tx, survey_id, std::nullopt));
  if (!found) return NotFound("no such survey");
  const SurveyStatus previous_status = found->status;
  Survey survey = std::move(*found);
  const Json before{{"name", survey.name}, {"status", SurveyStatusName(survey.status)}, {"version", survey.version}};
  if (patch.name) { TP_ASSIGN_OR_RETURN(survey.name, profiles::CleanLine(*patch.name, "name", kMaxSurveyNameChars, true)); }
  if (patch.touchpoint) { TP_ASSIGN_OR_RETURN(survey.touchpoint, CheckLabel(*patch.touchpoint, "touchpoint")); }
  if (patch.stage) { TP_ASSIGN_OR_RETURN(survey.stage, CheckLabel(*patch.stage, "stage")); }
  if (patch.status) {
    if (*patch.status == SurveyStatus::kDraft && survey.status != SurveyStatus::kDraft) {
      return Status(ErrorCode::kFailedPrecondition, "a survey that went live cannot become a draft again", "status");
    }
    survey.status = *patch.status;
  }
  const Micros now = NowMicros();
  if (patch.definition || patch.metrics) {
    const Json definition = patch.definition.value_or(survey.definition);
    // New questions invalidate the old mapping unless it is given again; infer afresh then.
    const Json metrics = patch.metrics ? *patch.metrics : (patch.definition ? Json() : survey.metrics);
    TP_ASSIGN_OR_RETURN(SurveyModel model, CheckDefinition(definition, metrics));
    TP_ASSIGN_OR_RETURN(std::optional<store::Row> answered, tx.QueryOne(kSurveyHasResponses, {survey.id}));
    const bool keep_old_version = previous_status != SurveyStatus::kDraft || answered.has_value();
    survey.definition = definition;
    survey.metrics = MetricsJson(model);
    survey.languages = model.languages;
    if (keep_old_version) {
      survey.version = survey.current_version + 1;
      TP_RETURN_IF_ERROR(tx.Execute(kInsertVersion, {survey.id, survey.version, survey.definition.dump(),
                                                     survey.metrics.dump(), now}));
    } else {
      TP_RETURN_IF_ERROR(tx.Execute(kReplaceVersion, {survey.id, survey.version, survey.definition.dump(),
                                                      survey.metrics.dump(), now}));
    }
    survey.current_version = survey.version;
  } else {
    FillLanguages(survey);
  }
  survey.updated_at = now;
  TP_RETURN_IF_ERROR(tx.Execute(kUpdateSurvey, {survey.id, survey.name, survey.touchpoint, survey.stage,
                                                std::string(SurveyStatusName(survey.status)), survey.version, now}));
  const Json after{{"name", survey.name}, {"status", SurveyStatusName(survey.status)}, {"version", survey.version}};
  TP_RETURN_IF_ERROR(
      identity::RecordAudit(tx, audit, "survey.update", "survey", survey.id, before.dump(), after.dump()));
  return survey;
}

Result<Survey> GetSurvey(store::TenantTx& tx, std::string_view survey_id, std::optional<std::int64_t> version) {
  TP_ASSIGN_OR_RETURN(std::optional<Survey> survey, FindSurvey(tx, survey_id, version));
  if (survey) {
    FillLanguages(*survey);
    return std::move(*survey);
  }
  if (version) {
    TP_ASSIGN_OR_RETURN(std::optional<Survey> current, FindSurvey(tx, survey_id, std::nullopt));
    if (current) return Status(ErrorCode::kNotFound, "the survey has no such version", "version");
  }
  return NotFound("no such survey");
}

Result<Page<Survey>> ListSurveys(store::TenantTx& tx, const SurveyQuery& query, const PageRequest& page) {
  SqlParams params;
  std::string sql = Sql({kSelectSurveysAfter, params.Bind(page.after_id)});
  if (query.status) sql += Sql({kAndStatusIs, params.Bind(std::string(SurveyStatusName(*query.status)))});
  if (query.touchpoint) sql += Sql({kAndTouchpointIs, params.Bind(*query.touchpoint)});
  sql += Sql({kOrderByIdLimit, params.Bind(std::int64_t{page.limit} + 1)});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Survey> surveys;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(Survey survey, SurveyFromRow(row));
    surveys.push_back(std::move(survey));
  }
  return MakePage(std::move(surveys), page.limit, [](const Survey& survey) { return survey.id; });
}

Result<SurveyLink> CreateLink(store::TenantTx& tx, const NewLink& input, const identity::AuditContext& audit) {
  TP_ASSIGN_OR_RETURN(std::optional<Survey> survey, FindSurvey(tx, input.survey_id, std::nullopt));
  if (!survey) return Status(ErrorCode::kNotFound, "no such survey", "survey_id");
  FillLanguages(*survey);
  const Micros now = NowMicros();
  SurveyLink link{.id = NewId(kLinkPrefix),
                  .survey_id = survey->id,
                  .kind = input.kind,
                  .customer_id = input.customer_id,
                  .channel = input.channel,
                  .case_id = input.case_id,
                  .order_id = input.order_id,
                  .expires_at = input.expires_at,
                  .created_at = now,
                  .token = RandomToken(24)};
  if (input.kind == LinkKind::kInvitation) {
    if (!input.customer_id) return InvalidArgument("an invitation is for one customer", "customer_id");
    if (!link.expires_at) link.expires_at = now + kDefaultInvitationLifetime;
  } else if (input.customer_id || input.case_id) {
    return InvalidArgument("public and kiosk links are anonymous; invite a customer instead",
                           input.customer_id ? "customer_id" : "case_id");
  }
  if (link.expires_at && *link.expires_at <= now) return InvalidArgument("expires_at is in the past", "expires_at");
  if (input.customer_id) {
    TP_ASSIGN_OR_RETURN(const bool exists, profiles::CustomerExists(tx, *input.customer_id));
    if (!exists) return Status(ErrorCode::kNotFound, "no such customer", "customer_id");
  }
  if (input.case_id) {
    Result<cases::Case> item = cases::GetCase(tx, *input.case_id);
    if (!item.ok()) return Status(ErrorCode::kNotFound, "no such case", "case_id");
    if (item->customer_id != *input.customer_id) {
      return InvalidArgument("the case is another customer's", "case_id");
    }
  }
  if (input.order_id) { TP_ASSIGN_OR_RETURN(link.order_id, profiles::CleanLine(*input.order_id, "order_id", kMaxLabelChars, true)); }
  if (!input.language.empty()) {
    if (std::find(survey->languages.begin(), survey->languages.end(), input.language) == survey->languages.end()) {
      return InvalidArgument("the survey has no texts in '" + input.language.substr(0, kMaxLanguageChars) + "'",
                             "language");
    }
    link.language = input.language == "default" ? "" : input.language;
  }
  TP_RETURN_IF_ERROR(tx.Execute(kInsertLink, {Sha256Hex(link.token), link.id, link.survey_id,
                                              std::string(LinkKindName(link.kind)), store::Nullable(link.customer_id),
                                              std::string(ChannelName(link.channel)), link.language,
                                              store::Nullable(link.case_id), store::Nullable(link.order_id),
                                              store::Nullable(link.expires_at), link.created_at}));
  TP_RETURN_IF_ERROR(identity::RecordAudit(tx, audit, "survey_link.create", "survey_link", link.id, std::nullopt,
                                           Json{{"survey_id", link.survey_id}, {"kind", LinkKindName(link.kind)}}.dump()));
  return link;
}

Result<Page<SurveyLink>> ListLinks(store::TenantTx& tx, std::string_view survey_id, const PageRequest& page) {
  TP_ASSIGN_OR_RETURN(std::optional<Survey> survey, FindSurvey(tx, survey_id, std::nullopt));
  if (!survey) return NotFound("no such survey");
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectLinksOfSurvey, {survey->id, page.after_id,
                                                                        std::int64_t{page.limit} + 1}));
  std::vector<SurveyLink> links;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(SurveyLink link, LinkFromRow(row, 0));
    links.push_back(std::move(link));
  }
  return MakePage(std::move(links), page.limit, [](const SurveyLink& link) { return link.id; });
}

Result<SurveyResponse> GetResponse(store::TenantTx& tx, std::string_view response_id) {
  TP_ASSIGN_OR_RETURN(std::optional<SurveyResponse> response, FindResponse(tx, response_id));
  if (!response) return NotFound("no such survey response");
  return std::move(*response);
}

Result<Page<SurveyResponse>> ListResponses(store::TenantTx& tx, const ResponseQuery& query, const PageRequest& page) {
  SqlParams params;
  std::string sql = SelectResponses("WHERE tenant_id = $1 AND id > ") + params.Bind(page.after_id);
  if (query.survey_id) sql += Sql({kAndSurveyIs, params.Bind(*query.survey_id)});
  if (query.customer_id) sql += Sql({kAndCustomerIs, params.Bind(*query.customer_id)});
  if (query.status) sql += Sql({kAndStatusIs, params.Bind(std::string(ResponseStatusName(*query.status)))});
  if (query.only_teams) sql += profiles::AndCustomerServedByTeams(*query.only_teams, params);
  sql += Sql({kOrderByIdLimit, params.Bind(std::int64_t{page.limit} + 1)});
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<SurveyResponse> responses;
  for (const store::Row& row : rows) {
    TP_ASSIGN_OR_RETURN(SurveyResponse response, ResponseFromRow(row));
    responses.push_back(std::move(response));
  }
  Page<SurveyResponse> result =
      MakePage(std::move(responses), page.limit, [](const SurveyResponse& response) { return response.id; });
  for (SurveyResponse& response : result.items) {
    TP_ASSIGN_OR_RETURN(store::Rows feedback, tx.Query(kFeedbackOfResponse, {response.id}));
    for (const store::Row& id : feedback) response.feedback_ids.push_back(id.Text(0));
  }
  return result;
}

Result<RespondentView> OpenLink(store::Store& store, std::string_view token, Micros now) {
  RespondentView view;
  TP_RETURN_IF_ERROR(store.ReadSystem([&](store::SystemTx& system) -> Status {
    TP_ASSIGN_OR_RETURN(OpenedLink opened, FindLink(system, token));
    store::TenantTx tx = system.InTenant(opened.tenant_id);
    view.tenant_id = opened.tenant_id;
    view.link = std::move(opened.link);
    view.saved = Json::object();
    std::optional<std::int64_t> version;
    if (view.link.kind == LinkKind::kInvitation && view.link.response_id) {
      TP_ASSIGN_OR_RETURN(std::optional<SurveyResponse> started, FindResponse(tx, *view.link.response_id));
      if (started && started->status == ResponseStatus::kComplete) {
        return Status(ErrorCode::kConflict, "this survey was already answered", "token");
      }
      if (started) {
        version = started->version;
        view.saved = started->data;
      }
    }
    TP_ASSIGN_OR_RETURN(view.survey, AnswerableSurvey(tx, view.link, version, now));
    FillLanguages(view.survey);
    return Status::Ok();
  }));
  return view;
}

Result<SurveyResponse> SaveProgress(store::Store& store, std::string_view token, const Submission& submission,
                                    Micros now) {
  return Respond(store, token, submission, now, Step::kProgress);
}

Result<SurveyResponse> SubmitResponse(store::Store& store, std::string_view token, const Submission& submission,
                                      Micros now) {
  return Respond(store, token, submission, now, Step::kSubmit);
}

}  // namespace tp::surveys
