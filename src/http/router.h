// Maps (method, path) to a handler. Patterns are literal segments and `{name}` parameters that match
// one non-empty segment: "/api/v1/users/{id}/sessions". Literal segments win over parameters.
//
// Not thread-safe while routes are added; Match is safe from many threads once serving starts.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"

namespace tp::http {

using Handler = std::function<Response(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);

  // Finds the handler for request.method and request.path, filling request.route and
  // request.path_params. Returns a 404 or 405 (with Allow) error response when nothing matches.
  Response Dispatch(Request& request) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace tp::http
