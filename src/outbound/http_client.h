// The one outbound HTTP client (libcurl). Every call has connect and total timeouts, verifies TLS
// certificates against the system's CA store, keeps at most `max_response_bytes` of the answer,
// follows at most `max_redirects` redirects (http and https only), ignores proxy environment
// variables, and connects only to addresses the AddressPolicy allows, checked on the socket address
// of every connection, redirects included.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "outbound/address_policy.h"

namespace tp::outbound {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  long status = 0;
  std::string body;                            // at most max_response_bytes
  std::optional<long> retry_after_seconds;     // from a Retry-After header in seconds
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  size_t max_response_bytes = 64 * 1024;
  long max_redirects = 3;
  std::string user_agent = "touchpoint-webhooks/1";
  std::string ca_file;  // PEM bundle trusted instead of the system's CA store (serve --outbound-ca-file)
};

class HttpClient {
 public:
  HttpClient(AddressPolicy policy, HttpClientOptions options);

  // Any HTTP status is a response; kInvalidArgument for a URL that is not http(s), kPermissionDenied
  // for a refused address, kUnavailable for network failures, timeouts and oversized answers.
  Result<HttpResponse> Send(const HttpRequest& request) const;

  const AddressPolicy& policy() const { return policy_; }

 private:
  AddressPolicy policy_;
  HttpClientOptions options_;
};

// kInvalidArgument unless `url` is an absolute http:// or https:// URL with a host and no user info.
Status CheckWebUrl(std::string_view url, std::string_view field);

// libcurl's global initialisation; call once at start-up before any thread sends.
void InitCurl();

}  // namespace tp::outbound
