// Customers, feedback and the analytics summary: the first CX endpoints, which later issues grow
// (profiles with identity resolution, surveys, the analytics engine). Cases are in case_routes.cc.
//
// Visibility rules on top of the permission check: agents see only cases of their teams, customers
// with such a case and those customers' feedback (identity::ScopedToOwnTeams); callers without
// contact_data:read get customers and feedback without contact data and cannot search by it
// (CustomerDataView).
#include <algorithm>

#include "api/customer_access.h"
#include "api/render.h"
#include "api/routes.h"
#include "feedback/feedback.h"
#include "feedback/reviews.h"
#include "ingest/ingest.h"
#include "profiles/customers.h"
#include "timeline/timeline.h"

namespace tp::api {
namespace {

using identity::Permission;

Result<http::Response> ListCustomers(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  profiles::CustomerQuery query;
  query.search = call.request.QueryParam("q");
  for (const profiles::IdentifierKind kind :
       {profiles::IdentifierKind::kUserId, profiles::IdentifierKind::kEmail, profiles::IdentifierKind::kPhone,
        profiles::IdentifierKind::kAnonymousId}) {
    if (auto value = call.request.QueryParam(profiles::IdentifierKindName(kind))) {
      query.identifiers.emplace_back(kind, std::move(*value));
    }
  }
  query.only_teams = TeamScope(call);
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    view.Restrict(query);
    TP_ASSIGN_OR_RETURN(auto page, profiles::ListCustomers(tx, query, page_request));
    return PageJson(page, [&](const profiles::Customer& customer) { return view.Customer(customer); });
  });
}

Result<http::Response> CreateCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  TP_ASSIGN_OR_RETURN(profiles::NewCustomer customer, ReadNewCustomer(fields));
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto created, profiles::CreateCustomer(tx, customer, call.audit, TeamScope(call)));
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    return view.Customer(created);
  });
}

// A merged profile's id answers with the profile it was merged into (its id in the body says so), so
// links and bookmarks to either keep working.
Result<http::Response> GetCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string requested_id, PathId(call.request, "id", "cus_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(const std::string customer_id, ingest::LiveCustomerId(tx, requested_id));
    TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, customer_id));
    TP_ASSIGN_OR_RETURN(auto customer, profiles::GetCustomer(tx, customer_id));
    TP_ASSIGN_OR_RETURN(auto identifiers, profiles::ListIdentifiers(tx, customer_id));
    TP_ASSIGN_OR_RETURN(auto summary, timeline::SummariseProfile(tx, customer_id));
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    Json body = view.Customer(customer);
    body["identifiers"] = view.Identifiers(identifiers);
    auto score = [](const std::optional<timeline::LastScore>& last) {
      return last ? Json{{"score", last->score}, {"at", TimestampJson(last->at)}} : Json(nullptr);
    };
    body["computed"]["last_nps"] = score(summary.last_nps);
    body["computed"]["last_csat"] = score(summary.last_csat);
    body["computed"]["open_cases"] = summary.open_cases;
    if (customer_id != requested_id) body["merged_from"] = requested_id;
    return body;
  });
}

Result<http::Response> UpdateCustomer(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string customer_id, PathId(call.request, "id", "cus_"));
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  profiles::CustomerPatch patch;
  TP_ASSIGN_OR_RETURN(patch.name, fields.OptionalString("name", 1000));
  TP_ASSIGN_OR_RETURN(patch.email, fields.NullableString("email", 320));
  TP_ASSIGN_OR_RETURN(patch.phone, fields.NullableString("phone", 64));
  TP_ASSIGN_OR_RETURN(patch.traits_json, fields.OptionalObjectText("traits", profiles::kMaxTraitsBytes));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  return WriteJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(const std::string live_id, ingest::LiveCustomerId(tx, customer_id));
    TP_RETURN_IF_ERROR(CheckCustomerVisible(tx, call, live_id));
    TP_ASSIGN_OR_RETURN(auto updated, profiles::UpdateCustomer(tx, live_id, patch, call.audit, TeamScope(call)));
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    return view.Customer(updated);
  });
}

Result<feedback::FeedbackQuery> FeedbackQueryFrom(const http::Request& request) {
  feedback::FeedbackQuery query;
  TP_ASSIGN_OR_RETURN(query.metric, ParseOptional(request.QueryParam("metric"), feedback::ParseMetric, "metric"));
  query.survey = request.QueryParam("survey");
  query.touchpoint = request.QueryParam("touchpoint");
  query.customer_id = request.QueryParam("customer_id");
  TP_ASSIGN_OR_RETURN(query.since, TimestampFromQuery(request, "since"));
  TP_ASSIGN_OR_RETURN(query.until, TimestampFromQuery(request, "until"));
  return query;
}

Result<http::Response> ListFeedback(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  TP_ASSIGN_OR_RETURN(auto query, FeedbackQueryFrom(call.request));
  query.only_teams = TeamScope(call);
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    TP_ASSIGN_OR_RETURN(auto page, feedback::ListFeedback(tx, query, page_request));
    return PageJson(page, [&](const feedback::FeedbackResponse& response) { return view.Feedback(response); });
  });
}

Result<http::Response> SubmitFeedback(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(Json request, ParseJsonObject(call.request));
  FieldReader fields(request);
  feedback::NewFeedback input;
  TP_ASSIGN_OR_RETURN(input.survey, fields.RequiredString("survey", 1000));
  TP_ASSIGN_OR_RETURN(std::string metric, fields.RequiredString("metric", 10));
  TP_ASSIGN_OR_RETURN(input.score, fields.RequiredInt("score", -1'000'000, 1'000'000));
  TP_ASSIGN_OR_RETURN(auto comment, fields.OptionalString("comment", 50'000));
  TP_ASSIGN_OR_RETURN(auto touchpoint, fields.OptionalString("touchpoint", 1000));
  TP_ASSIGN_OR_RETURN(input.customer_id, fields.OptionalString("customer_id", 64));
  TP_ASSIGN_OR_RETURN(auto created_at, fields.OptionalString("created_at", 64));
  TP_RETURN_IF_ERROR(fields.RejectUnknown());
  TP_ASSIGN_OR_RETURN(auto parsed_metric, ParseOptional(std::optional<std::string>(metric), feedback::ParseMetric, "metric"));
  input.metric = *parsed_metric;
  input.comment = comment.value_or("");
  input.touchpoint = touchpoint.value_or("");
  if (created_at) {
    input.created_at = ParseTimestamp(*created_at);
    if (!input.created_at) return InvalidArgument("created_at must be an RFC 3339 timestamp", "created_at");
  }
  return WriteJson(registrar, call, 201, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto submitted, feedback::SubmitFeedback(tx, input, call.audit));
    return FeedbackJson(submitted);
  });
}

Result<http::Response> GetFeedback(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(std::string feedback_id, PathId(call.request, "id", "fbk_"));
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(auto response, feedback::GetFeedback(tx, feedback_id));
    // Agents see the feedback of the customers they see, and no anonymous feedback.
    if (TeamScope(call) && (!response.customer_id || !CheckCustomerVisible(tx, call, *response.customer_id).ok())) {
      return NotFound("no such feedback");
    }
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    return view.Feedback(response);
  });
}

Result<http::Response> ListReviews(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto page_request, PageFromQuery(call.request));
  feedback::ReviewQuery query;
  query.source = call.request.QueryParam("source");
  query.touchpoint = call.request.QueryParam("touchpoint");
  query.customer_id = call.request.QueryParam("customer_id");
  TP_ASSIGN_OR_RETURN(query.since, TimestampFromQuery(call.request, "since"));
  TP_ASSIGN_OR_RETURN(query.until, TimestampFromQuery(call.request, "until"));
  query.only_teams = TeamScope(call);
  return ReadJson(registrar, call, 200, [&](store::TenantTx& tx) -> Result<Json> {
    TP_ASSIGN_OR_RETURN(const CustomerDataView view, CustomerDataView::For(tx, call));
    TP_ASSIGN_OR_RETURN(auto page, feedback::ListReviews(tx, query, page_request));
    return PageJson(page, [&](const feedback::Review& review) { return view.Review(review); });
  });
}

// compare=previous_period adds, per metric, the period of the same length just before since..until (until
// defaulting to now) and whether the change is significant, as Qualtrics' "compare to previous period".
Result<http::Response> AnalyticsSummary(Registrar& registrar, Call& call) {
  TP_ASSIGN_OR_RETURN(auto query, FeedbackQueryFrom(call.request));
  if (query.metric || query.customer_id) {
    return InvalidArgument("the summary covers every metric and all customers; filter by survey, touchpoint or time",
                           query.metric ? "metric" : "customer_id");
  }
  const std::optional<std::string> compare = call.request.QueryParam("compare");
  if (compare && *compare != "previous_period") return InvalidArgument("compare must be previous_period", "compare");
  std::optional<feedback::PeriodPair> periods;
  if (compare) {
    TP_ASSIGN_OR_RETURN(periods, feedback::WithPreviousPeriod(query, NowMicros()));
  }
  Json body = Json::object();
  TP_RETURN_IF_ERROR(registrar.store().Read(call.principal.tenant_id, [&](store::TenantTx& tx) -> Status {
    for (feedback::Metric metric : {feedback::Metric::kNps, feedback::Metric::kCsat, feedback::Metric::kCes}) {
      const std::string name(feedback::MetricName(metric));
      if (periods) {
        TP_ASSIGN_OR_RETURN(auto comparison, feedback::CompareMetric(tx, metric, *periods));
        body[name] = ComparisonJson(comparison);
      } else {
        TP_ASSIGN_OR_RETURN(auto summary, feedback::SummariseMetric(tx, metric, query));
        body[name] = SummaryJson(summary);
      }
    }
    return Status::Ok();
  }));
  if (periods) {
    body["period"] = {{"since", TimestampJson(periods->current.since)},
                      {"until", TimestampJson(periods->current.until)}};
    body["previous_period"] = {{"since", TimestampJson(periods->previous.since)},
                               {"until", TimestampJson(periods->previous.until)}};
  }
  return JsonResponse(200, body);
}

}  // namespace

void RegisterCustomerRoutes(Registrar& registrar) {
  registrar.Protected("GET", "/api/v1/customers", Permission::kCustomersRead, ListCustomers);
  registrar.Protected("POST", "/api/v1/customers", Permission::kCustomersWrite, CreateCustomer);
  registrar.Protected("GET", "/api/v1/customers/{id}", Permission::kCustomersRead, GetCustomer);
  registrar.Protected("PATCH", "/api/v1/customers/{id}", Permission::kCustomersWrite, UpdateCustomer);
  registrar.Protected("GET", "/api/v1/feedback", Permission::kFeedbackRead, ListFeedback);
  registrar.Protected("POST", "/api/v1/feedback", Permission::kFeedbackWrite, SubmitFeedback);
  registrar.Protected("GET", "/api/v1/feedback/{id}", Permission::kFeedbackRead, GetFeedback);
  registrar.Protected("GET", "/api/v1/analytics/summary", Permission::kAnalyticsRead, AnalyticsSummary);
  registrar.Protected("GET", "/api/v1/reviews", Permission::kFeedbackRead, ListReviews);
}

}  // namespace tp::api
