// Maps (method, path) to a handler. Patterns are literal segments and `{name}` parameters that match
// one non-empty segment: "/api/v1/users/{id}/sessions". Literal segments win over parameters, the
// leftmost difference deciding: for "/a/b/c", "/a/b/{x}" beats "/a/{y}/c".
//
// Matching is strict about slashes: "/users/" does not match "/users", and an empty segment ("//")
// matches nothing, so one resource has one URL (no duplicate cache keys, no redirects to maintain).
// The path is matched after percent-decoding (the server does that), so "%2F" separates segments.
// HEAD is served by the GET handler when no HEAD route exists (the server drops the body).
//
//   Router router;
//   router.Add("GET", "/api/v1/users/{id}", [](Request& request) { ... request.PathParam("id") ... });
//   Response response = router.Dispatch(request);
//
// Not thread-safe while routes are added; Dispatch is safe from many threads once serving starts.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
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
  AdmitFn admit;  // optional: checks the header before the server reads the body
};

class Router {
 public:
  // Throws std::invalid_argument for a malformed pattern or a route that duplicates one already added
  // (same method, same shape): both are programming errors that must stop the process at startup.
  void Add(std::string method, std::string pattern, Handler handler, AdmitFn admit = {});

  // Finds the handler for request.method and request.path, filling request.route and
  // request.path_params. Returns a 404 or 405 (with Allow) error response when nothing matches.
  Response Dispatch(Request& request) const;
  // The matched route's pre-body check (the server's AdmitFn), filling request.route and
  // request.path_params. A route without one, or no route, admits anyone: Dispatch answers them.
  Result<Admission> Admit(Request& request) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  struct Endpoint {
    std::size_t route_index = 0;
    std::vector<std::string> param_names;  // in path order
  };
  // A tree of path segments. Each node may have literal children and one parameter child; a node
  // where a pattern ends holds its endpoints by method.
  struct Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> literals;
    std::unique_ptr<Node> param;
    std::map<std::string, Endpoint, std::less<>> endpoints;
  };

  // The route for request.method and request.path, filling request.route and request.path_params.
  const Route* Match(Request& request) const;
  static const Endpoint* Find(const Node& node, const std::vector<std::string_view>& segments, std::size_t index,
                              std::string_view method, std::vector<std::string_view>& values);
  static void CollectMethods(const Node& node, const std::vector<std::string_view>& segments, std::size_t index,
                             std::set<std::string, std::less<>>& methods);

  std::vector<Route> routes_;
  Node root_;
};

}  // namespace tp::http
