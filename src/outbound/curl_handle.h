// What the two libcurl clients (http_client.cc, mail.cc) share: owning handles, and the one place
// where every address libcurl is about to connect to passes the AddressPolicy. Internal to outbound/.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>

#include "common/status.h"
#include "outbound/address_policy.h"

namespace tp::outbound {

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

// Installs the policy check on `curl`. libcurl calls it for every connection it opens (the first,
// each redirect's, after name resolution and before connect); a refused address fails the transfer
// and is kept in `refused` so the caller can report it instead of libcurl's generic error.
class ConnectionGuard {
 public:
  ConnectionGuard(CURL* curl, const AddressPolicy& policy);
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;
  const std::optional<Status>& refused() const { return refused_; }

 private:
  static curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address);

  const AddressPolicy& policy_;
  std::optional<Status> refused_;
};

}  // namespace tp::outbound
