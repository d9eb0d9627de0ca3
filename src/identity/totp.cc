#include "identity/totp.h"

#include <sodium.h>

#include <array>
#include <cstdio>

#include "common/crypto.h"

namespace tp::identity {
namespace {
constexpr Micros kStepMicros = 30'000'000;
constexpr std::size_t kTotpSecretBytes = 20;  // RFC 4226 recommends 160 bits
constexpr std::size_t kDigits = 6;
constexpr std::uint32_t kModulus = 1'000'000;
constexpr std::int64_t kAcceptedDrift = 1;  // steps either side of now

// RFC 4226 HOTP: HMAC-SHA-1 over the big-endian counter, dynamic truncation, 6 decimal digits.
std::string HotpCode(std::string_view key, std::int64_t counter) {
  std::array<char, 8> message{};
  for (std::size_t byte_idx = 0; byte_idx < message.size(); ++byte_idx) {
    message[byte_idx] = static_cast<char>(static_cast<std::uint64_t>(counter) >> (8 * (7 - byte_idx)));
  }
  const std::string mac = HmacSha1(key, std::string_view(message.data(), message.size()));
  const auto byte_at = [&mac](std::size_t idx) { return static_cast<std::uint32_t>(static_cast<unsigned char>(mac[idx])); };
  const std::size_t offset = byte_at(mac.size() - 1) & 0x0F;
  const std::uint32_t binary = ((byte_at(offset) & 0x7F) << 24) | (byte_at(offset + 1) << 16) |
                               (byte_at(offset + 2) << 8) | byte_at(offset + 3);
  char code[kDigits + 1];
  std::snprintf(code, sizeof code, "%06u", static_cast<unsigned>(binary % kModulus));
  return code;
}

bool DecodeSecret(std::string_view secret_base32, std::string& key) {
  return Base32Decode(secret_base32, key) && !key.empty();
}

// RFC 3986 unreserved characters pass; everything else becomes %XX.
std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}
}  // namespace

std::string NewTotpSecret() {
  std::array<std::uint8_t, kTotpSecretBytes> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  return Base32Encode(bytes);
}

std::int64_t TotpStep(Micros at) {
  const std::int64_t step = at / kStepMicros;
  return (at % kStepMicros < 0) ? step - 1 : step;
}

std::string TotpCode(std::string_view secret_base32, Micros at) {
  std::string key;
  if (!DecodeSecret(secret_base32, key)) return {};
  return HotpCode(key, TotpStep(at));
}

std::optional<std::int64_t> MatchTotp(std::string_view secret_base32, std::string_view code, Micros now,
                                      std::int64_t last_used_step) {
  // Authenticator apps display "123 456"; people type what they see.
  std::string digits;
  for (char c : code) {
    if (c == ' ') continue;
    if (c < '0' || c > '9') return std::nullopt;
    digits += c;
  }
  std::string key;
  if (digits.size() != kDigits || !DecodeSecret(secret_base32, key)) return std::nullopt;
  const std::int64_t current = TotpStep(now);
  for (std::int64_t step = current - kAcceptedDrift; step <= current + kAcceptedDrift; ++step) {
    if (step > last_used_step && ConstantTimeEquals(HotpCode(key, step), digits)) return step;
  }
  return std::nullopt;
}

std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  const std::string encoded_issuer = PercentEncode(issuer);
  return "otpauth://totp/" + encoded_issuer + ":" + PercentEncode(account) + "?secret=" + std::string(secret) +
         "&issuer=" + encoded_issuer + "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace tp::identity
