// The analytics engine over HTTP: POST /api/v1/analytics/query (analytics:read). The engine holds no
// contact data (analytics_source/ leaves it out), so analysts and viewers may ask anything; narrowing
// to one customer's responses needs feedback:read as well, because it shows that person's answers.
// docs/analytics.md documents the JSON.
#include "analytics/query.h"
#include "api/json_body.h"
#include "api/routes.h"
#include "identity/permissions.h"

namespace tp::api {
namespace {

using identity::Permission;

Result<http::Response> AnalyticsQuery(Registrar& registrar, Call& call) {
  const analytics::Engine* engine = registrar.options().analytics;
  if (engine == nullptr || !engine->loaded()) {
    return Unavailable("the analytics engine is still loading; try again in a few seconds");
  }
  TP_ASSIGN_OR_RETURN(Json body, ParseJsonObject(call.request));
  TP_ASSIGN_OR_RETURN(analytics::Query query, analytics::ParseQuery(body, call.now));
  for (std::size_t filter_idx = 0; filter_idx < query.filters.size(); ++filter_idx) {
    if (query.filters[filter_idx].kind == analytics::Filter::Kind::kCustomer &&
        !identity::HasPermission(call.principal, Permission::kFeedbackRead)) {
      return PermissionDenied("filtering by customer_id needs the permission feedback:read");
    }
  }
  TP_ASSIGN_OR_RETURN(analytics::QueryResult result, analytics::RunQuery(*engine, call.principal.tenant_id, query));
  return JsonResponse(200, analytics::QueryResultJson(result));
}

}  // namespace

void RegisterAnalyticsRoutes(Registrar& registrar) {
  registrar.Protected("POST", "/api/v1/analytics/query", Permission::kAnalyticsRead, AnalyticsQuery);
}

}  // namespace tp::api
