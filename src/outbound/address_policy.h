// Which network addresses user-configured destinations (webhook URLs, SMTP hosts, provider base URLs)
// may reach. Loopback, private, link-local, carrier-grade NAT, multicast and unspecified addresses
// are refused, because a tenant admin could otherwise make the server call its own admin ports, a
// cloud metadata service or the internal network. The check runs on every address the client
// actually connects to, so a DNS answer or a redirect cannot get round it. An operator allows a
// destination explicitly with `serve --allow-outbound` (tests allow their loopback servers that way).
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tp::outbound {

class AddressPolicy {
 public:
  AddressPolicy() = default;
  // Entries: an address ("10.1.2.3", "::1"), a network ("10.0.0.0/8", "fd00::/8"), either with a port
  // ("127.0.0.1:8025", "[::1]:8025", "10.0.0.0/8:443"). kInvalidArgument naming the bad entry.
  static Result<AddressPolicy> Allowing(const std::vector<std::string>& entries);

  // OK for a public address or an allowed one; kPermissionDenied naming the address otherwise.
  Status Check(const sockaddr* address) const;
  // The same for a numeric address and port (parsing helper for tests and validation).
  Status CheckNumeric(std::string_view ip, std::uint16_t port) const;

 private:
  struct Allowed {
    std::array<std::uint8_t, 16> network{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 128;
    std::optional<std::uint16_t> port;
  };
  Status CheckBytes(const std::array<std::uint8_t, 16>& address, std::uint16_t port, const std::string& shown) const;

  std::vector<Allowed> allowed_;
};

}  // namespace tp::outbound
