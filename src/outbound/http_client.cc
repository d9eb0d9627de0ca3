#include "outbound/http_client.h"

#include <charconv>
#include <memory>

#include "outbound/curl_handle.h"

namespace tp::outbound {
namespace {

struct CurlUrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

struct Transfer {
  size_t limit = 0;
  std::string body;
  bool truncated = false;
  std::optional<long> retry_after;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->limit) {
    transfer->truncated = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::string_view line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (line.size() > kRetryAfter.size()) {
    std::string name(line.substr(0, kRetryAfter.size()));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == kRetryAfter) {
      std::string_view value = line.substr(kRetryAfter.size());
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      long seconds = 0;
      const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (error == std::errc() && seconds >= 0 && end != value.data()) transfer->retry_after = seconds;
    }
  }
  return size * count;
}

}  // namespace

void InitCurl() { curl_global_init(CURL_GLOBAL_DEFAULT); }

Status CheckWebUrl(std::string_view url, std::string_view field) {
  const Status bad = InvalidArgument("must be an absolute http:// or https:// URL", std::string(field));
  if (url.size() > 2000) return InvalidArgument("must be at most 2000 characters", std::string(field));
  std::unique_ptr<CURLU, CurlUrlDeleter> parsed(curl_url());
  if (curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) return bad;
  char* scheme = nullptr;
  char* host = nullptr;
  char* user = nullptr;
  const bool has_scheme = curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK;
  const bool has_host = curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK;
  const bool has_user = curl_url_get(parsed.get(), CURLUPART_USER, &user, 0) == CURLUE_OK;
  const std::string scheme_text = has_scheme ? scheme : "";
  curl_free(scheme);
  curl_free(host);
  curl_free(user);
  if (!has_host || (scheme_text != "http" && scheme_text != "https")) return bad;
  if (has_user) return InvalidArgument("must not carry a user name or password", std::string(field));
  return Status::Ok();
}

HttpClient::HttpClient(AddressPolicy policy, HttpClientOptions options)
    : policy_(std::move(policy)), options_(std::move(options)) {}

Result<HttpResponse> HttpClient::Send(const HttpRequest& request) const {
  TP_RETURN_IF_ERROR(CheckWebUrl(request.url, "url"));
  CurlHandle handle(curl_easy_init());
  if (!handle) return Internal("curl_easy_init failed");
  CURL* curl = handle.get();
  Transfer transfer{.limit = options_.max_response_bytes};
  const ConnectionGuard guard(curl, policy_);
  CurlList headers;
  for (const auto& [name, value] : request.headers) {
    headers.reset(curl_slist_append(headers.release(), (name + ": " + value).c_str()));
  }
  // libcurl adds "Expect: 100-continue" to larger POSTs; receivers then wait for nothing useful.
  headers.reset(curl_slist_append(headers.release(), "Expect:"));
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method != "GET" && request.method != "HEAD") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, options_.max_redirects);
  // A redirected POST stays a POST (libcurl would turn 301/302/303 into GET and drop the body).
  curl_easy_setopt(curl, CURLOPT_POSTREDIR, static_cast<long>(CURL_REDIR_POST_ALL));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_PROXY, "");  // http_proxy in the environment must not reroute deliveries
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  const CURLcode code = curl_easy_perform(curl);
  if (guard.refused()) return *guard.refused();
  if (transfer.truncated) {
    return Unavailable("the response was larger than " + std::to_string(options_.max_response_bytes) + " bytes");
  }
  if (code != CURLE_OK) return Unavailable(std::string("HTTP request failed: ") + curl_easy_strerror(code));
  HttpResponse response;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(transfer.body);
  response.retry_after_seconds = transfer.retry_after;
  return response;
}

}  // namespace tp::outbound
