// Surveys: what managers design (definitions, versions, links), what respondents open without signing
// in (the page at /s/{token}, the JSON it reads and the answers it sends to /api/v1/respond/{token}),
// and the responses analysts and agents read.
//
// The respondent's page is survey-core + survey-js-ui (SurveyJS, MIT) and a small script of ours, all
// served from the web root (`serve --web-root`, web/ in a checkout, filled by `npm ci`): nothing is
// fetched from elsewhere, so the Content-Security-Policy allows 'self' only.
#include <charconv>

#include "api/customer_access.h"
#include "api/render.h"
#include "api/routes.h"
#include "api/static_files.h"
#include "surveys/invitations.h"
#include "surveys/surveys.h"

namespace tp::api {
namespace {

using identity::Permission;

constexpr std::size_t kMaxDefinitionText = surveys::kMaxDefinitionBytes;
constexpr std::size_t kMaxAnswersText = 512 * 1024;

// survey-js-ui sets style attributes on the elements it renders (a rating's width, a progress bar),
// which 'self' alone would block; scripts stay 'self' only, which is what keeps a page XSS-free.
constexpr std::string_view kPageSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Files of the respondent's page: URL name → path under the web root (api/static_files.h serves them).
struct Asset {
  std::string_view name;
  std::string_view path;
};
constexpr Asset kAssets[] = {
    {"survey.core.min.js", "node_modules/survey-core/survey.core.min.js"},
    {"survey-js-ui.min.js", "node_modules/survey-js-ui/survey-js-ui.min.js"},
    // The fontless build: the default one loads Open Sans from Google's servers.
    {"survey-core.min.css", "node_modules/survey-core/survey-core.fontless.min.css"},
    {"survey-page.js", "public/survey-page.js"},
    {"survey-page.css", "public/survey-page.css"},
    // survey-core's own texts ("Complete", "Next") per language; question texts come from the definition.
    {"cs.js", "node_modules/survey-core/i18n/czech.min.js"},
    {"sk.js", "node_modules/survey-core/i18n/slovak.min.js"},
    {"pl.js", "node_modules/survey-core/i18n/polish.min.js"},
    {"sl.js", "node_modules/survey-core/i18n/slovenian.min.js"},
    {"de.js", "node_modules/survey-core/i18n/german.min.js"},
    {"hu.js", "node_modules/survey-core/i18n/hungarian.min.js"},
};

const Asset* FindAsset(std::string_view name) {
  for (const Asset& asset : kAssets) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

http::Response PageResponse(std::string body, std::string_view media_type) {
  http::Response response = http::Response::Text(200, std::move(body), std::string(media_type));
  response.headers["Content-Security-Policy"] = std::string(kPageSecurityPolicy);
  response.headers["Referrer-Policy"] = "no-referrer";  // the URL holds the respondent's token
  response.headers["Cache-Control"] = "no-store";
  return response;
}

Result<http::Response> ServeAsset(Registrar& registrar, http::Request& request) {
  const Asset* asset = FindAsset(request.PathParam("file"));
  if (!asset) return NotFound("no such file");
  TP_ASSIGN_OR_RETURN(std::string text, ReadWebFile(registrar.options().web_root, asset->path));
  return StaticFileResponse(std::move(text), asset->name, "public, max-age=3600");
}

// The page shell is the same for every token; its script reads the survey from the API, so a wrong
// token costs no store read here and its error is shown in the respondent's language.
Result<http::Response> SurveyPage(Registrar&, http::Request& request) {
  if (request.PathParam("token").size() > 200) return NotFound("no such survey link");
  return PageResponse(R"(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>Survey</title>
<link rel="stylesheet" href="/assets/survey/survey-core.min.css">
<link rel="stylesheet" href="/assets/survey/survey-page.css">
<script src="/assets/survey/survey.core.min.js"></script>
<script src="/assets/survey/survey-js-ui.min.js"></script>
<script src="/assets/survey/survey-page.js" defer></script>
</head>
<body>
<main id="survey" aria-live="polite"><p class="tp-message">Loading…</p></main>
</body>
</html>
)",
                      "text/html; charset=utf-8");
}

// The respondent's language: the link's, else the first of Accept-Language the survey has texts in.
std::string RespondentLanguage(const http::Request& request, const surveys::RespondentView& view) {
  if (!view.link.language.empty()) return view.link.language;
  const std::string accepted = request.Header("Accept-Language").value_or("");
  std::size_t start = 0;
  while (start < accepted.size()) {
    std::size_t end = accepted.find(',', start);
    if (end == std::string::npos) end = accepted.size();
    std::string tag = accepted.substr(start, end - start);
    tag = tag.substr(0, tag.find(';'));
    tag.erase(0, tag.find_first_not_of(' '));
    tag = tag.substr(0, tag.find_first_of("-_ "));
    for (char& c : tag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const std::string& language : view.survey.languages) {
      if (language == tag) return language;
    }
    start = end + 1;
  }
  return "";
}

Status CheckRespondentRate(Registrar& registrar, const http::Request& request) {
  if (int wait = registrar.respondent_limiter().Acquire(request.remote_ip); wait > 0) {
    return Status(ErrorCode::kRateLimited, "too many answers from this address; slow down").WithRetryAfter(wait);
  }
  return Status::Ok();
}

Result<http::Response> OpenSurveyLink(Registrar& registrar, http::Request& request) {
  TP_RETURN_IF_ERROR(CheckRespondentRate(registrar, request));
  TP_ASSIGN_OR_RETURN(surveys::RespondentView view,
                      surveys::OpenLink(registrar.store(), request.PathParam("token"), NowMicros()));
  Json survey{{"id", view.survey.id},
              {"version", view.survey.version},
              {"definition", view.survey.definition},
              {"languages", view.survey.languages}};
  return JsonResponse(200, Json{{"kind", surveys::LinkKindName(view.link.kind)},
                                {"language", RespondentLanguage(request, view)},
                                {"survey", std::move(survey)},
                                {"saved", view.saved}});
}

Result<surveys::Submission> ReadSubmission(const http::Request& request) {
  if (request.body.size() > kMaxAnswersText) {
    return Status(ErrorCode::kPayloadTooLarge, "answers are limited to 512 KiB", "data");
  }
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(request));
  FieldReader fields(body);
  surveys::Submission submission;
  TP_ASSIGN_OR_RETURN(auto data, fields.OptionalObjectText("data", kMaxAnswersText));
  TP_ASSIGN_OR_RETURN(submission.version, fields.OptionalInt("version", 1, 1'000'000));
  TP_ASSIGN_OR_RETURN(auto language, fields.OptionalString("language", 20));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  if (!data) return InvalidArgument("data (the answers) is required", "data");
  submission.data = Json::parse(*data);
  submission.language = language.value_or("");
  return submission;
}

Json RespondentReceipt(const surveys::SurveyResponse& response) {
  return Json{{"response_id", response.id}, {"status", surveys::ResponseStatusName(response.status)}};
}

Result<http::Response> SaveSurveyProgress(Registrar& registrar, http::Request& request) {
  TP_RETURN_IF_ERROR(CheckRespondentRate(registrar, request));
  TP_ASSIGN_OR_RETURN(surveys::Submission submission, ReadSubmission(request));
  TP_ASSIGN_OR_RETURN(auto response,
                      surveys::SaveProgress(registrar.store(), request.PathParam("token"), submission, NowMicros()));
  return JsonResponse(200, RespondentReceipt(response));
}

Result<http::Response> SubmitSurveyResponse(Registrar& registrar, http::Request& request) {
  TP_RETURN_IF_ERROR(CheckRespondentRate(registrar, request));
  TP_ASSIGN_OR_RETURN(surveys::Submission submission, ReadSubmission(request));
  TP_ASSIGN_OR_RETURN(auto response,
                      surveys::SubmitResponse(registrar.store(), request.PathParam("token"), submission, NowMicros()));
  return JsonResponse(201, RespondentReceipt(response));
}

Result<Json> JsonField(FieldReader& fields, std::string_view name) {
  TP_ASSIGN_OR_RETURN(auto text, fields.OptionalObjectText(name, kMaxDefinitionText));
  return text ? Json::parse(*text) : Json();
}

Result<http::Response> CreateSurvey(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  surveys::NewSurvey input;
  TP_ASSIGN_OR_RETURN(input.name, fields.RequiredString("name", 1000));
  TP_ASSIGN_OR_RETURN(input.touchpoint, fields.RequiredString("touchpoint", 1000));
  TP_ASSIGN_OR_RETURN(input.stage, fields.RequiredString("stage", 1000));
  TP_ASSIGN_OR_RETURN(input.definition, JsonField(fields, "definition"));
  if (input.definition.is_null()) return InvalidArgument("definition (a SurveyJS survey) is required", "definition");
  TP_ASSIGN_OR_RETURN(input.metrics, JsonField(fields, "metrics"));
  TP_ASSIGN_OR_RETURN(auto status, fields.OptionalString("status", 20));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(auto parsed_status, ParseOptional(status, surveys::ParseSurveyStatus, "status"));
  input.status = parsed_status.value_or(surveys::SurveyStatus::kDraft);
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto survey, surveys::CreateSurvey(tx, input, call.audit));
    return SurveyJson(survey);
  });
}

Result<http::Response> UpdateSurvey(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string survey_id, PathId(call.request, "id", "svy_"));
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  surveys::SurveyPatch patch;
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", 1000));
  TP_ASSIGN_OR_RETURN(patch.touchpoint, fields.OptionalString("touchpoint", 1000));
  TP_ASSIGN_OR_RETURN(patch.stage, fields.OptionalString("stage", 1000));
  TP_ASSIGN_OR_RETURN(auto status, fields.OptionalString("status", 20));
  TP_ASSIGN_OR_RETURN(Json definition, JsonField(fields, "definition"));
  TP_ASSIGN_OR_RETURN(Json metrics, JsonField(fields, "metrics"));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(patch.status, ParseOptional(status, surveys::ParseSurveyStatus, "status"));
  if (!definition.is_null()) patch.definition = std::move(definition);
  if (body.contains("metrics")) patch.metrics = std::move(metrics);
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto survey, surveys::UpdateSurvey(tx, survey_id, patch, call.audit));
    return SurveyJson(survey);
  });
}

Result<http::Response> GetSurvey(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string survey_id, PathId(call.request, "id", "svy_"));
  std::optional<std::int64_t> version;
  if (auto text = call.request.QueryParam("version")) {
    std::int64_t number = 0;
    auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), number);
    if (error != std::errc() || end != text->data() + text->size() || number < 1) {
      return InvalidArgument("version must be a whole number from 1", "version");
    }
    version = number;
  }
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto survey, surveys::GetSurvey(tx, survey_id, version));
    return SurveyJson(survey);
  });
}

Result<http::Response> ListSurveys(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  surveys::SurveyQuery query;
  TP_ASSIGN_OR_RETURN(query.status, ParseOptional(call.request.QueryParam("status"), surveys::ParseSurveyStatus, "status"));
  query.touchpoint = call.request.QueryParam("touchpoint");
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, surveys::ListSurveys(tx, query, page_request));
    return PageJson(page, [](const surveys::Survey& survey) { return SurveyJson(survey); });
  });
}

Result<http::Response> CreateSurveyLink(Registrar& registrar, Call& call) {
  surveys::NewLink input;
  TP_ASSIGN_OR_RETURN(input.survey_id, PathId(call.request, "id", "svy_"));
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  TP_ASSIGN_OR_RETURN(auto kind, fields.OptionalString("kind", 20));
  TP_ASSIGN_OR_RETURN(input.customer_id, fields.OptionalString("customer_id", 64));
  TP_ASSIGN_OR_RETURN(auto channel, fields.OptionalString("channel", 40));
  TP_ASSIGN_OR_RETURN(auto language, fields.OptionalString("language", 20));
  TP_ASSIGN_OR_RETURN(input.case_id, fields.OptionalString("case_id", 64));
  TP_ASSIGN_OR_RETURN(input.order_id, fields.OptionalString("order_id", 200));
  TP_ASSIGN_OR_RETURN(auto expires_at, fields.OptionalString("expires_at", 64));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(auto parsed_kind, ParseOptional(kind, surveys::ParseLinkKind, "kind"));
  input.kind = parsed_kind.value_or(surveys::LinkKind::kInvitation);
  if (channel) { TP_ASSIGN_OR_RETURN(input.channel, ParseChannel(*channel)); }
  input.language = language.value_or("");
  if (expires_at) {
    input.expires_at = ParseTimestamp(*expires_at);
    if (!input.expires_at) return InvalidArgument("expires_at must be an RFC 3339 time", "expires_at");
  }
  // A customer the agent cannot see is not found, as everywhere else.
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    if (input.customer_id) {
      TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, *input.customer_id));
    }
    TP_ASSIGN_OR_RETURN(auto link, surveys::CreateLink(tx, input, call.audit));
    return SurveyLinkJson(link, registrar.options().public_url);
  });
}

Result<http::Response> InviteByEmail(Registrar& registrar, Call& call) {
  surveys::EmailInvitation input;
  TP_ASSIGN_OR_RETURN(input.survey_id, PathId(call.request, "id", "svy_"));
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  FieldReader fields(body);
  TP_ASSIGN_OR_RETURN(input.customer_ids,
                      fields.RequiredStringArray("customer_ids", surveys::kMaxInvitationsPerRequest, 64));
  TP_ASSIGN_OR_RETURN(auto language, fields.OptionalString("language", 20));
  TP_ASSIGN_OR_RETURN(auto subject, fields.OptionalString("subject", 300));
  TP_ASSIGN_OR_RETURN(auto text, fields.OptionalString("text", 20'000));
  TP_ASSIGN_OR_RETURN(input.case_id, fields.OptionalString("case_id", 64));
  TP_ASSIGN_OR_RETURN(input.order_id, fields.OptionalString("order_id", 200));
  TP_ASSIGN_OR_RETURN(auto reminder_hours, fields.OptionalInt("reminder_after_hours", 0, 24 * 60));
  TP_ASSIGN_OR_RETURN(auto send_at, fields.OptionalString("send_at", 64));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  if (send_at) {
    input.send_at = ParseTimestamp(*send_at);
    if (!input.send_at) return InvalidArgument("send_at must be an RFC 3339 time", "send_at");
  }
  input.language = language.value_or("");
  input.subject = subject.value_or("");
  input.text = text.value_or("");
  input.from = {"", registrar.options().mail_from};
  input.base_url = registrar.options().public_url;
  if (reminder_hours) input.reminder_after = *reminder_hours * 3600LL * 1'000'000;
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    for (const std::string& customer_id : input.customer_ids) {
      TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, customer_id));
    }
    TP_ASSIGN_OR_RETURN(auto outcomes, surveys::InviteByEmail(tx, input, call.audit, call.now));
    Json items = Json::array();
    for (const surveys::InvitationOutcome& outcome : outcomes) {
      items.push_back({{"customer_id", outcome.customer_id},
                       {"link_id", outcome.link_id ? Json(*outcome.link_id) : Json()},
                       {"delivery_id", outcome.delivery_id ? Json(*outcome.delivery_id) : Json()},
                       {"scheduled_for", outcome.scheduled_for ? TimestampJson(*outcome.scheduled_for) : Json()},
                       {"skipped", outcome.skipped.empty() ? Json() : Json(outcome.skipped)}});
    }
    return Json{{"items", std::move(items)}};
  });
}

Result<http::Response> OptOutOfSurveys(Registrar& registrar, http::Request& request) {
  TP_RETURN_IF_ERROR(CheckRespondentRate(registrar, request));
  TP_RETURN_IF_ERROR(surveys::OptOut(registrar.store(), request.PathParam("token"), NowMicros()));
  return http::Response::NoContent();
}

Result<http::Response> ListSurveyLinks(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string survey_id, PathId(call.request, "id", "svy_"));
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto page, surveys::ListLinks(tx, survey_id, page_request));
    return PageJson(page, [](const surveys::SurveyLink& link) { return SurveyLinkJson(link); });
  });
}

Result<http::Response> ListSurveyResponses(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  surveys::ResponseQuery query;
  query.survey_id = call.request.QueryParam("survey_id");
  query.customer_id = call.request.QueryParam("customer_id");
  if (auto status = call.request.QueryParam("status")) {
    if (*status != "partial" && *status != "complete") {
      return InvalidArgument("status must be partial or complete", "status");
    }
    query.status = *status == "complete" ? surveys::ResponseStatus::kComplete : surveys::ResponseStatus::kPartial;
  }
  query.only_teams = TeamScope(call);
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    TP_ASSIGN_OR_RETURN(auto page, surveys::ListResponses(tx, query, page_request));
    return PageJson(page, [&](const surveys::SurveyResponse& response) { return view.SurveyResponse(response); });
  });
}

Result<http::Response> GetSurveyResponse(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string response_id, PathId(call.request, "id", "rsp_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto response, surveys::GetResponse(tx, response_id));
    // Agents see the responses of the customers they see, and no anonymous ones.
    if (TeamScope(call) && (!response.customer_id || !CheckCustomerVisible(tx, call, *response.customer_id).ok())) {
      return NotFound("no such survey response");
    }
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    return view.SurveyResponse(response);
  });
}

}  // namespace

void RegisterSurveyRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/surveys", Permission::kFeedbackRead, ListSurveys);
  registrar.Protected("POST", "/api/v1/surveys", Permission::kRulesWrite, CreateSurvey);
  registrar.Protected("GET", "/api/v1/surveys/{id}", Permission::kFeedbackRead, GetSurvey);
  registrar.Protected("PATCH", "/api/v1/surveys/{id}", Permission::kRulesWrite, UpdateSurvey);
  registrar.Protected("GET", "/api/v1/surveys/{id}/links", Permission::kRulesWrite, ListSurveyLinks);
  registrar.Protected("POST", "/api/v1/surveys/{id}/links", Permission::kRulesWrite, CreateSurveyLink);
  registrar.Protected("POST", "/api/v1/surveys/{id}/invitations", Permission::kRulesWrite, InviteByEmail);
  registrar.Protected("GET", "/api/v1/survey-responses", Permission::kFeedbackRead, ListSurveyResponses);
  registrar.Protected("GET", "/api/v1/survey-responses/{id}", Permission::kFeedbackRead, GetSurveyResponse);
  // Respondents: the token in the path is the credential.
  registrar.Public("GET", "/s/{token}", SurveyPage);
  registrar.Public("GET", "/s/{token}/opt-out", SurveyPage);
  registrar.Public("GET", "/assets/survey/{file}", ServeAsset);
  registrar.Public("GET", "/api/v1/respond/{token}", OpenSurveyLink);
  registrar.Public("PUT", "/api/v1/respond/{token}", SaveSurveyProgress);
  registrar.Public("POST", "/api/v1/respond/{token}", SubmitSurveyResponse);
  registrar.Public("POST", "/api/v1/respond/{token}/opt-out", OptOutOfSurveys);
}

}  // namespace tp::api
