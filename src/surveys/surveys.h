// Surveys: versioned SurveyJS definitions that belong to a touchpoint and a journey stage, the links
// respondents open (a per-recipient invitation, a public link, a kiosk link), and their responses, kept
// whole and as one answer per question (so attribute ratings can be analysed). A response's NPS, CSAT
// and CES answers also become feedback responses (feedback/feedback.h), which is what metrics and the
// customer timeline read, and each publishes `feedback.submitted` for the rules engine.
//
//   TP_ASSIGN_OR_RETURN(Survey survey, CreateSurvey(tx, {.name = "After delivery", .touchpoint = "delivery",
//                                                        .stage = "fulfilment", .definition = json}, audit));
//   TP_ASSIGN_OR_RETURN(SurveyLink link, CreateLink(tx, {.survey_id = survey.id, .customer_id = id}, audit));
//   // link.token goes into the invitation URL, /s/<token>; only its hash is stored.
//   TP_ASSIGN_OR_RETURN(SurveyResponse response, SubmitResponse(store, link.token, answers, {}));
//
// Versions: a draft's definition is edited in place; once a survey has gone live, every change of its
// definition or metrics makes a new version, and each response keeps the version it answered.
// Respondents need no sign-in: the token is the credential, stored as a SHA-256 hash, and it names the
// tenant. Every other function works inside the transaction's tenant only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/channels.h"
#include "common/clock.h"
#include "common/pagination.h"
#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"
#include "surveys/definition.h"

namespace tp::surveys {

inline constexpr std::size_t kMaxSurveyNameChars = 200;
inline constexpr std::size_t kMaxDefinitionBytes = 1 << 20;
// How long an invitation stays open when its creator does not say.
inline constexpr Micros kDefaultInvitationLifetime = 30LL * 24 * 3600 * 1'000'000;

enum class SurveyStatus { kDraft, kLive, kClosed };
std::string_view SurveyStatusName(SurveyStatus status);  // "draft", "live", "closed"
Result<SurveyStatus> ParseSurveyStatus(std::string_view name);

struct Survey {
  std::string id;  // "svy_…"
  std::string name;
  std::string touchpoint;
  std::string stage;  // the journey stage, e.g. "purchase", "delivery", "support"
  SurveyStatus status = SurveyStatus::kDraft;
  std::int64_t version = 1;  // the version shown (the current one unless a version was asked for)
  std::int64_t current_version = 1;
  Json definition;     // SurveyJS JSON, as stored
  Json metrics;        // {"nps": {"question", "comment"}, ...}: what the server scores
  std::vector<std::string> languages;
  Micros created_at = 0;
  Micros updated_at = 0;
};

struct NewSurvey {
  std::string name;
  std::string touchpoint;
  std::string stage;
  Json definition;
  Json metrics;  // null: infer the NPS question (ParseDefinition)
  SurveyStatus status = SurveyStatus::kDraft;
};

struct SurveyPatch {
  std::optional<std::string> name;
  std::optional<std::string> touchpoint;
  std::optional<std::string> stage;
  std::optional<SurveyStatus> status;
  std::optional<Json> definition;
  std::optional<Json> metrics;
};

struct SurveyQuery {
  std::optional<SurveyStatus> status;
  std::optional<std::string> touchpoint;
};

// kInvalidArgument field "name", "touchpoint", "stage", "definition" (naming the question and its
// place) or "metrics". Records "survey.create".
Result<Survey> CreateSurvey(store::TenantTx& tx, const NewSurvey& input, const identity::AuditContext& audit);
// A new definition or metrics of a survey that has been live is a new version; a draft's is replaced.
// A closed survey can be reopened (live) but not edited back to draft. Records "survey.update".
Result<Survey> UpdateSurvey(store::TenantTx& tx, std::string_view survey_id, const SurveyPatch& patch,
                            const identity::AuditContext& audit);
// The current version, or `version` (kNotFound field "version" when the survey has no such version).
Result<Survey> GetSurvey(store::TenantTx& tx, std::string_view survey_id, std::optional<std::int64_t> version = {});
// Ordered by id (creation order). The definitions are left out (null) to keep pages small.
Result<Page<Survey>> ListSurveys(store::TenantTx& tx, const SurveyQuery& query, const PageRequest& page);

enum class LinkKind {
  kInvitation,  // one recipient, one response, expires
  kPublic,      // anyone with the URL, anonymous, many responses
  kKiosk,       // a device in a shop or branch: anonymous, many responses, the page starts over after each
};
std::string_view LinkKindName(LinkKind kind);  // "invitation", "public", "kiosk"
Result<LinkKind> ParseLinkKind(std::string_view name);

struct SurveyLink {
  std::string id;  // "lnk_…"
  std::string survey_id;
  LinkKind kind = LinkKind::kInvitation;
  std::optional<std::string> customer_id;
  Channel channel = Channel::kWeb;
  std::string language;  // the language the page opens in ("" = the survey's default)
  std::optional<std::string> case_id;
  std::optional<std::string> order_id;
  std::optional<Micros> expires_at;
  std::optional<std::string> response_id;  // invitations: the response once started
  Micros created_at = 0;
  std::string token;  // only right after CreateLink: it is not stored, only its hash
};

struct NewLink {
  std::string survey_id;
  LinkKind kind = LinkKind::kInvitation;
  std::optional<std::string> customer_id;  // invitations only
  Channel channel = Channel::kWeb;
  std::string language;
  std::optional<std::string> case_id;   // the case a CSAT is about: links the response to it, its agent and team
  std::optional<std::string> order_id;
  std::optional<Micros> expires_at;     // invitations: kDefaultInvitationLifetime when absent
};

// kNotFound field "survey_id", "customer_id" or "case_id"; kInvalidArgument field "customer_id" (an
// invitation needs one; public and kiosk links are anonymous), "language" (not a language of the
// survey), "expires_at" (in the past). Records "survey_link.create".
Result<SurveyLink> CreateLink(store::TenantTx& tx, const NewLink& input, const identity::AuditContext& audit);
Result<Page<SurveyLink>> ListLinks(store::TenantTx& tx, std::string_view survey_id, const PageRequest& page);

enum class ResponseStatus { kPartial, kComplete };
std::string_view ResponseStatusName(ResponseStatus status);

struct SurveyResponse {
  std::string id;  // "rsp_…"
  std::string survey_id;
  std::int64_t version = 1;
  std::optional<std::string> link_id;
  std::optional<std::string> customer_id;
  Channel channel = Channel::kWeb;
  std::string touchpoint;
  std::string stage;
  std::string language;
  std::optional<std::string> case_id;
  std::optional<std::string> agent_id;
  std::optional<std::string> team_id;
  std::optional<std::string> order_id;
  ResponseStatus status = ResponseStatus::kPartial;
  Json data;  // the SurveyJS answer data
  std::vector<std::string> feedback_ids;  // the feedback responses its NPS/CSAT/CES answers became
  Micros started_at = 0;
  std::optional<Micros> submitted_at;
};

struct ResponseQuery {
  std::optional<std::string> survey_id;
  std::optional<std::string> customer_id;
  std::optional<ResponseStatus> status;
  // Agents: only responses of customers with a case owned by one of these teams.
  std::optional<std::vector<std::string>> only_teams;
};

Result<SurveyResponse> GetResponse(store::TenantTx& tx, std::string_view response_id);
Result<Page<SurveyResponse>> ListResponses(store::TenantTx& tx, const ResponseQuery& query, const PageRequest& page);

// What a respondent's page needs: the survey version to answer, the language to show and what was
// saved so far. kNotFound field "token" for a token that is unknown (or another installation's);
// kFailedPrecondition field "token" when the link expired or the survey is not live; kConflict field
// "token" when the invitation was already answered.
struct RespondentView {
  std::string tenant_id;
  SurveyLink link;
  Survey survey;
  Json saved;  // the answers saved so far ({} when none)
};
Result<RespondentView> OpenLink(store::Store& store, std::string_view token, Micros now);

struct Submission {
  Json data;                              // SurveyJS answer data
  std::optional<std::int64_t> version;    // the version the page showed; the current one when absent
  std::string language;                   // the language answered in ("" = the link's)
};
// Saves answers as the respondent goes (invitations only: one response per token). Answers are
// checked as they come, without insisting on required ones.
Result<SurveyResponse> SaveProgress(store::Store& store, std::string_view token, const Submission& submission,
                                    Micros now);
// Completes a response: every unconditionally required question answered, each answer on its
// question's scale or choices. An invitation answers once (kConflict field "token" the second time);
// public and kiosk links take any number of anonymous responses.
Result<SurveyResponse> SubmitResponse(store::Store& store, std::string_view token, const Submission& submission,
                                      Micros now);

// A response loaded from history (transfer/response_import.h builds them from CSV rows): complete,
// with the id the importer derived from the row (so a re-import finds it), the answers CheckAnswers
// made of `response.data`, and the comment its feedback records carry.
struct ImportedResponse {
  SurveyResponse response;  // id, survey_id, version, customer_id, channel, touchpoint, stage, language,
                            // case_id, order_id, data, started_at and submitted_at set
  std::vector<Answer> answers;
  std::string comment;  // the reason given for the score, "" when none
};

struct ImportCounts {
  std::int64_t stored = 0;
  std::int64_t duplicates = 0;  // ids the tenant already had: left as they are
};

// Stores responses to `survey` (the version `model` was parsed from) as SubmitResponse does: the
// response, one row per answer, a feedback record per NPS/CSAT/CES answer, linked to a case's team and
// agent, with survey_response.submitted and feedback.submitted published marked "imported": true (the
// rules engine skips them: history does not open follow-up cases). A response whose id is stored
// already changes nothing. kNotFound field "case_id" for a case the tenant lacks.
Result<ImportCounts> StoreImportedResponses(store::TenantTx& tx, const Survey& survey, const SurveyModel& model,
                                            std::vector<ImportedResponse>& responses, Micros now);

}  // namespace tp::surveys
