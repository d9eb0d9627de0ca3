// Plain request and response values passed between the server and handlers. No Beast types here, so
// handlers and their tests compile without Boost.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tp::http {

// Header names compare case-insensitively (RFC 9110).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct Request {
  std::string method;  // upper case: GET, POST, ...
  std::string path;    // decoded path without the query string
  std::multimap<std::string, std::string> query;  // decoded query parameters
  Headers headers;
  std::string body;
  std::string remote_ip;
  std::string request_id;  // set by the server; echoed in X-Request-Id
  // Filled by the router.
  std::string route;  // the matched pattern, e.g. "/api/v1/users/{id}"; "" when none matched
  std::map<std::string, std::string> path_params;

  std::optional<std::string> Header(std::string_view name) const;
  std::optional<std::string> QueryParam(std::string_view name) const;
  std::string_view PathParam(std::string_view name) const;
  // The value of one cookie from the Cookie header.
  std::optional<std::string> Cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent();
  // Several Set-Cookie headers may be needed; they are kept apart from the single-valued headers.
  std::vector<std::string> set_cookies;
};

}  // namespace tp::http
