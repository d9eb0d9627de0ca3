// The REST API under /api/v1 plus the operational endpoints (/healthz, /readyz, /metrics). Builds the
// router once; Handle() is the dispatch function given to http::Server, Admit() its pre-body check.
//
// Thread-safe once constructed.
#pragma once

#include <string>
#include <vector>

#include "api/registrar.h"
#include "http/metrics.h"
#include "http/router.h"
#include "store/store.h"

namespace tp::api {

class Api {
 public:
  Api(store::Store& store, http::Metrics& metrics, ApiOptions options);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  http::Response Handle(http::Request& request) const { return router_.Dispatch(request); }
  // Authenticates the caller of a protected route and checks the permission from the header alone,
  // before the server reads the body (see Registrar).
  Result<http::Admission> Admit(http::Request& request) const { return router_.Admit(request); }
  const std::vector<EndpointInfo>& endpoints() const { return registrar_.endpoints(); }

 private:
  ApiOptions options_;
  http::Router router_;
  Registrar registrar_;
};

// The OpenAPI 3.1 document served at /api/v1/openapi.json (src/api/openapi.json, embedded at build time).
std::string_view OpenApiDocument();

}  // namespace tp::api
