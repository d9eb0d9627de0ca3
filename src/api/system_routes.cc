// Operational endpoints: liveness, readiness (the store answers and takes writes), Prometheus metrics, the OpenAPI
// document. Public by design: they carry no tenant data.
#include "api/api.h"
#include "api/routes.h"

#include <spdlog/spdlog.h>

namespace tp::api {

namespace {
Result<http::Response> Health(Registrar&, http::Request&) { return JsonResponse(200, Json{{"status", "ok"}}); }

// The store's own error (a libpq message names the database host) goes to the log, not to whoever
// asks: this endpoint is public.
Result<http::Response> Ready(Registrar& registrar, http::Request&) {
  Status health = registrar.store().Ping();
  if (health.ok()) health = registrar.store().WriteHealth();
  if (health.ok()) return JsonResponse(200, Json{{"status", "ready"}});
  spdlog::warn("not ready: {}", health.message());
  return Status(ErrorCode::kUnavailable, "the store is not ready").WithRetryAfter(health.retry_after_seconds().value_or(1));
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
