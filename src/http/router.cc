#include "http/router.h"

#include <stdexcept>
#include <utility>

#include "http/errors.h"

namespace tp::http {
namespace {

// Splits "/a/b" into {"a", "b"}; "/" gives no segments and "/a/" gives {"a", ""}.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path == "/") return segments;
  std::size_t start = 1;
  while (true) {
    const auto slash = path.find('/', start);
    segments.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) return segments;
    start = slash + 1;
  }
}

bool IsParamNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The parameter name of a "{name}" segment, or "" for a literal segment.
std::string_view ParamName(std::string_view segment) {
  if (segment.size() < 3 || segment.front() != '{' || segment.back() != '}') return {};
  return segment.substr(1, segment.size() - 2);
}

void Reject(std::string_view pattern, std::string_view reason) {
  throw std::invalid_argument("route pattern \"" + std::string(pattern) + "\": " + std::string(reason));
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Handler handler, AdmitFn admit) {
  if (method.empty()) Reject(pattern, "empty method");
  if (!pattern.starts_with('/')) Reject(pattern, "must start with '/'");
  Node* node = &root_;
  Endpoint endpoint{routes_.size(), {}};
  for (const std::string_view segment : SplitPath(pattern)) {
    if (segment.empty()) Reject(pattern, "empty segment");
    const std::string_view name = ParamName(segment);
    if (name.empty()) {
      if (segment.find_first_of("{}") != std::string_view::npos) Reject(pattern, "malformed parameter");
      auto& child = node->literals[std::string(segment)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
      continue;
    }
    for (const char c : name) {
      if (!IsParamNameChar(c)) Reject(pattern, "parameter names are letters, digits and '_'");
    }
    for (const std::string& existing : endpoint.param_names) {
      if (existing == name) Reject(pattern, "parameter used twice");
    }
    endpoint.param_names.emplace_back(name);
    if (!node->param) node->param = std::make_unique<Node>();
    node = node->param.get();
  }
  if (!node->endpoints.emplace(method, std::move(endpoint)).second) {
    Reject(pattern, "duplicates a route already added for " + method);
  }
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler), std::move(admit)});
}

// Depth first, literal child before parameter child, so the leftmost literal wins; backtracks when a
// literal branch dead-ends ("/users/me/x" may still match "/users/{id}/x").
const Router::Endpoint* Router::Find(const Node& node, const std::vector<std::string_view>& segments, std::size_t index,
                                     std::string_view method, std::vector<std::string_view>& values) {
  if (index == segments.size()) {
    auto found = node.endpoints.find(method);
    if (found == node.endpoints.end() && method == "HEAD") found = node.endpoints.find("GET");
    return found == node.endpoints.end() ? nullptr : &found->second;
  }
  const std::string_view segment = segments[index];
  if (const auto literal = node.literals.find(segment); literal != node.literals.end()) {
    if (const Endpoint* endpoint = Find(*literal->second, segments, index + 1, method, values)) {
      return endpoint;
    }
  }
  if (node.param && !segment.empty()) {
    values.push_back(segment);
    if (const Endpoint* endpoint = Find(*node.param, segments, index + 1, method, values)) return endpoint;
    values.pop_back();
  }
  return nullptr;
}

void Router::CollectMethods(const Node& node, const std::vector<std::string_view>& segments, std::size_t index,
                            std::set<std::string, std::less<>>& methods) {
  if (index == segments.size()) {
    for (const auto& [method, endpoint] : node.endpoints) methods.insert(method);
    return;
  }
  const std::string_view segment = segments[index];
  if (const auto literal = node.literals.find(segment); literal != node.literals.end()) {
    CollectMethods(*literal->second, segments, index + 1, methods);
  }
  if (node.param && !segment.empty()) CollectMethods(*node.param, segments, index + 1, methods);
}

const Route* Router::Match(Request& request) const {
  request.route.clear();
  request.path_params.clear();
  if (!request.path.starts_with('/')) return nullptr;
  std::vector<std::string_view> values;
  const Endpoint* endpoint = Find(root_, SplitPath(request.path), 0, request.method, values);
  if (endpoint == nullptr) return nullptr;
  const Route& route = routes_[endpoint->route_index];
  for (std::size_t param_index = 0; param_index < values.size(); ++param_index) {
    request.path_params.emplace(endpoint->param_names[param_index], values[param_index]);
  }
  request.route = route.pattern;
  return &route;
}

Result<Admission> Router::Admit(Request& request) const {
  const Route* route = Match(request);
  if (route == nullptr || !route->admit) return Admission{};
  return route->admit(request);
}

Response Router::Dispatch(Request& request) const {
  if (const Route* route = Match(request)) return route->handler(request);
  if (!request.path.starts_with('/')) return ErrorResponse(NotFound("no route for " + request.path));
  const std::vector<std::string_view> segments = SplitPath(request.path);
  std::set<std::string, std::less<>> methods;
  CollectMethods(root_, segments, 0, methods);
  if (methods.empty()) return ErrorResponse(NotFound("no route for " + request.path));
  if (methods.contains("GET")) methods.insert("HEAD");
  std::string allow;
  for (const std::string& method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  Response response =
      ErrorResponse(Status(ErrorCode::kMethodNotAllowed, request.method + " is not allowed on " + request.path));
  response.headers["Allow"] = std::move(allow);
  return response;
}

}  // namespace tp::http
