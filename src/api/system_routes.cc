// Operational endpoints: liveness, readiness (the store answers and takes writes), Prometheus metrics, the OpenAPI
// document. Public by design: they carry no tenant data.
#include "api/api.h"
#include "api/routes.h"

namespace tp::api {

namespace {
Result<http::Response> Health(Registrar&, http::Request&) { return JsonResponse(200, Json{{"status", "ok"}}); }

Result<http::Response> Ready(Registrar& registrar, http::Request&) {
  TP_RETURN_IF_ERROR(registrar.store().Ping());
  TP_RETURN_IF_ERROR(registrar.store().WriteHealth());
  return JsonResponse(200, Json{{"status", "ready"}});
}

Result<http::Response> Metrics(Registrar& registrar, http::Request&) {
  return http::Response::Text(200, registrar.metrics().Render(), "text/plain; version=0.0.4; charset=utf-8");
}

Result<http::Response> OpenApi(Registrar&, http::Request&) {
  return http::Response::Json(200, std::string(OpenApiDocument()));
}
}  // namespace

void RegisterSystemRoutes(Registrar& registrar) {
  registrar.Public("GET", "/healthz", Health);
  registrar.Public("GET", "/readyz", Ready);
  registrar.Public("GET", "/metrics", Metrics);
  registrar.Public("GET", "/api/v1/openapi.json", OpenApi);
}

}  // namespace tp::api
