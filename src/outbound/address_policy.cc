#include "outbound/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace tp::outbound {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

Bytes MappedV4(const std::uint8_t* v4) {
  Bytes bytes{};
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  std::memcpy(bytes.data() + 12, v4, 4);
  return bytes;
}

bool IsMappedV4(const Bytes& bytes) {
  for (int index = 0; index < 10; ++index) {
    if (bytes[static_cast<size_t>(index)] != 0) return false;
  }
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

bool InNetwork(const Bytes& address, const Bytes& network, int prefix) {
  for (int bit = 0; bit < prefix; ++bit) {
    const auto byte = static_cast<size_t>(bit / 8);
    const int mask = 0x80 >> (bit % 8);
    if ((address[byte] & mask) != (network[byte] & mask)) return false;
  }
  return true;
}

std::optional<Bytes> ParseIp(std::string_view text) {
  const std::string ip(text);
  std::uint8_t raw[16];
  if (inet_pton(AF_INET, ip.c_str(), raw) == 1) return MappedV4(raw);
  if (inet_pton(AF_INET6, ip.c_str(), raw) == 1) {
    Bytes bytes{};
    std::memcpy(bytes.data(), raw, 16);
    return bytes;
  }
  return std::nullopt;
}

// Why an address is internal, or nullptr for a public one.
const char* InternalKind(const Bytes& address) {
  struct Range {
    const char* network;
    int prefix;  // of the IPv6 form (IPv4 prefixes + 96)
    const char* kind;
  };
  static const Range kRanges[] = {
      {"0.0.0.0", 96 + 8, "unspecified"},   {"127.0.0.0", 96 + 8, "loopback"},
      {"10.0.0.0", 96 + 8, "private"},      {"172.16.0.0", 96 + 12, "private"},
      {"192.168.0.0", 96 + 16, "private"},  {"169.254.0.0", 96 + 16, "link-local"},
      {"100.64.0.0", 96 + 10, "shared (carrier-grade NAT)"},
      {"192.0.0.0", 96 + 24, "IETF protocol assignment"},
      {"198.18.0.0", 96 + 15, "benchmarking"},
      {"224.0.0.0", 96 + 4, "multicast"},   {"240.0.0.0", 96 + 4, "reserved"},
      {"::", 128, "unspecified"},           {"::1", 128, "loopback"},
      {"fc00::", 7, "private (unique local)"}, {"fe80::", 10, "link-local"},
      {"ff00::", 8, "multicast"},           {"64:ff9b::", 96, "NAT64"},
  };
  for (const Range& range : kRanges) {
    if (InNetwork(address, *ParseIp(range.network), range.prefix)) return range.kind;
  }
  return nullptr;
}

std::optional<std::uint16_t> ParsePort(std::string_view text) {
  unsigned port = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

}  // namespace

Result<AddressPolicy> AddressPolicy::Allowing(const std::vector<std::string>& entries) {
  AddressPolicy policy;
  for (const std::string& entry : entries) {
    const Status bad = InvalidArgument(
        "--allow-outbound entry '" + entry + "' is not ADDRESS[/PREFIX][:PORT] (IPv6 in brackets with a port)",
        "allow_outbound");
    std::string_view rest = entry;
    Allowed allowed;
    if (rest.starts_with('[')) {
      const auto close = rest.find(']');
      if (close == std::string_view::npos) return bad;
      if (close + 1 < rest.size()) {
        if (rest[close + 1] != ':') return bad;
        allowed.port = ParsePort(rest.substr(close + 2));
        if (!allowed.port) return bad;
      }
      rest = rest.substr(1, close - 1);
    } else if (std::count(rest.begin(), rest.end(), ':') == 1) {
      const auto colon = rest.find(':');
      allowed.port = ParsePort(rest.substr(colon + 1));
      if (!allowed.port) return bad;
      rest = rest.substr(0, colon);
    }
    const auto slash = rest.find('/');
    std::optional<Bytes> network = ParseIp(rest.substr(0, slash));
    if (!network) return bad;
    const bool v4 = IsMappedV4(*network);
    allowed.prefix = 128;
    if (slash != std::string_view::npos) {
      int prefix = 0;
      const std::string_view digits = rest.substr(slash + 1);
      const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (error != std::errc() || end != digits.data() + digits.size() || prefix < 0 || prefix > (v4 ? 32 : 128)) {
        return bad;
      }
      allowed.prefix = v4 ? prefix + 96 : prefix;
    }
    allowed.network = *network;
    policy.allowed_.push_back(allowed);
  }
  return policy;
}

Status AddressPolicy::CheckBytes(const Bytes& address, std::uint16_t port, const std::string& shown) const {
  const char* kind = InternalKind(address);
  if (kind == nullptr) return Status::Ok();
  for (const Allowed& allowed : allowed_) {
    if (InNetwork(address, allowed.network, allowed.prefix) && (!allowed.port || *allowed.port == port)) {
      return Status::Ok();
    }
  }
  return PermissionDenied(std::string("outbound connections to ") + kind + " addresses are not allowed (" + shown +
                          "); an operator can allow one with serve --allow-outbound");
}

Status AddressPolicy::Check(const sockaddr* address) const {
  char shown[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, shown, sizeof shown);
    return CheckBytes(MappedV4(reinterpret_cast<const std::uint8_t*>(&v4->sin_addr)), ntohs(v4->sin_port), shown);
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &v6->sin6_addr, shown, sizeof shown);
    Bytes bytes{};
    std::memcpy(bytes.data(), &v6->sin6_addr, 16);
    return CheckBytes(bytes, ntohs(v6->sin6_port), shown);
  }
  return PermissionDenied("outbound connections use IPv4 or IPv6 only");
}

Status AddressPolicy::CheckNumeric(std::string_view ip, std::uint16_t port) const {
  std::optional<Bytes> bytes = ParseIp(ip);
  if (!bytes) return InvalidArgument("not a numeric address: " + std::string(ip));
  return CheckBytes(*bytes, port, std::string(ip));
}

}  // namespace tp::outbound
