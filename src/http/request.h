// Plain request and response values passed between the server and handlers. No Beast types here, so
// handlers and their tests compile without Boost.
#pragma once

#include <any>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tp::http {

// Header names compare case-insensitively (RFC 9110). ASCII only, independent of the locale.
struct CaseInsensitiveLess {
  using is_transparent = void;  // lets Headers::find take a string_view without allocating
  bool operator()(std::string_view a, std::string_view b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Decodes %XX escapes, and '+' as a space when `plus_as_space` (query strings). Fails with
// kInvalidArgument on a malformed escape or an encoded NUL, which no handler should ever have to see.
Result<std::string> PercentDecode(std::string_view text, bool plus_as_space);
// Parses a query string ("a=1&b=x+y", without the '?') into decoded pairs. Empty pairs are skipped and
// a name without '=' gets an empty value. Fails like PercentDecode.
Result<std::multimap<std::string, std::string>> ParseQuery(std::string_view query);

// A request body the server wrote to a temporary file instead of memory: uploads to the routes that
// take large files (ServerOptions::spooled_prefixes). The file is removed with the last reference.
class SpooledBody {
 public:
  explicit SpooledBody(std::string path) : path_(std::move(path)) {}
  ~SpooledBody();
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct Request {
  std::string method;                             // upper case: GET, POST, ...
  std::string path;                               // decoded path without the query string
  std::multimap<std::string, std::string> query;  // decoded query parameters
  Headers headers;
  std::string body;                          // empty when the body was spooled
  std::shared_ptr<SpooledBody> spooled_body;  // set instead of `body` for spooled uploads
  std::string remote_ip;
  std::string request_id;  // set by the server; echoed in X-Request-Id
  // What the pre-body check (AdmitFn) learned about the caller, for the handler; opaque to the server.
  std::any admitted;
  // Filled by the router.
  std::string route;  // the matched pattern, e.g. "/api/v1/users/{id}"; "" when none matched
  std::map<std::string, std::string> path_params;

  std::optional<std::string> Header(std::string_view name) const;
  // The first value of a query parameter.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // "" when the route has no such parameter.
  std::string_view PathParam(std::string_view name) const;
  // The value of one cookie from the Cookie header (RFC 6265 section 5.4: "a=1; b=2"; a value in
  // double quotes is returned without them). Cookie names are case-sensitive; the first one wins.
  std::optional<std::string> Cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // `body` must already be serialized JSON; sets Content-Type: application/json.
  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent();  // 204
  // Several Set-Cookie headers may be needed; they are kept apart from the single-valued headers.
  std::vector<std::string> set_cookies;
};

// The verdict of a pre-body check on a request whose header has arrived but whose body has not.
struct Admission {
  // Whose share of the upload slots a spooled body counts against; "" stands for the client address.
  std::string caller;
};
// Decides from the header alone (the body is still empty) whether a body is worth reading: an error
// status is the answer, sent without reading the body. Runs on the worker pool, so it may block.
using AdmitFn = std::function<Result<Admission>(Request&)>;

}  // namespace tp::http
