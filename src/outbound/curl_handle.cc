#include "outbound/curl_handle.h"

#include <sys/socket.h>

namespace tp::outbound {

ConnectionGuard::ConnectionGuard(CURL* curl, const AddressPolicy& policy) : policy_(policy) {
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, this);
}

curl_socket_t ConnectionGuard::OnOpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* guard = static_cast<ConnectionGuard*>(user);
  Status allowed = guard->policy_.Check(&address->addr);
  if (!allowed.ok()) {
    guard->refused_ = std::move(allowed);
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

}  // namespace tp::outbound
