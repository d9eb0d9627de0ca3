#include "api/api.h"

#include "api/routes.h"

namespace tp::api {

Api::Api(store::Store& store, http::Metrics& metrics, ApiOptions options)
    : options_(std::move(options)), registrar_(store, metrics, router_, options_) {
  RegisterSystemRoutes(registrar_);
  RegisterAuthRoutes(registrar_);
  RegisterAdminRoutes(registrar_);
  RegisterCustomerRoutes(registrar_);
  RegisterCaseRoutes(registrar_);
  RegisterProfileRoutes(registrar_);
  RegisterEventRoutes(registrar_);
  RegisterTransferRoutes(registrar_);
  RegisterOutboundRoutes(registrar_);
  RegisterSurveyRoutes(registrar_);
  RegisterRuleRoutes(registrar_);
  RegisterSlaRoutes(registrar_);
  RegisterAssignmentRoutes(registrar_);
  RegisterWebAppRoutes(registrar_);
  RegisterAnalyticsRoutes(registrar_);
}

}  // namespace tp::api
