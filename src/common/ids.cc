#include "common/ids.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <mutex>

#include "common/clock.h"

namespace tp {
namespace {
constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kBodyLength = 26;

// 128 bits as 26 base32 digits behind the prefix: the first digit carries the top 3 bits.
std::string Encode(std::string_view prefix, const std::array<std::uint8_t, 16>& bytes) {
  std::string id(prefix);
  id.reserve(prefix.size() + kBodyLength);
  char body[kBodyLength];
  for (size_t digit_idx = 0; digit_idx < kBodyLength; ++digit_idx) {
    // Digit k holds bits [128 - 5(26-k), ...); the leading digit has only the top 3 bits.
    const int low_bit = static_cast<int>(5 * (kBodyLength - 1 - digit_idx));
    unsigned digit = 0;
    for (int bit = 4; bit >= 0; --bit) {
      const int bit_idx = low_bit + bit;  // counted from the least significant bit of the 128
      if (bit_idx >= 128) continue;
      const int byte_idx = 15 - bit_idx / 8;
      digit = (digit << 1) | ((bytes[static_cast<size_t>(byte_idx)] >> (bit_idx % 8)) & 1u);
    }
    body[digit_idx] = kCrockford[digit];
  }
  id.append(body, kBodyLength);
  return id;
}

}  // namespace

std::string NewId(std::string_view prefix) {
  std::array<std::uint8_t, 16> bytes{};
  {
    // Monotonic within the process (as ULID specifies): an id made in the same millisecond as the
    // previous one, or while the clock stepped back, is the previous one plus one, so ids made one
    // after another always sort in that order.
    static std::mutex mutex;
    static std::array<std::uint8_t, 16> last{};
    static std::uint64_t last_millis = 0;
    const std::uint64_t now_millis = static_cast<std::uint64_t>(NowMicros() / 1000);
    std::lock_guard lock(mutex);
    if (now_millis > last_millis) {
      last_millis = now_millis;
      for (int byte_idx = 0; byte_idx < 6; ++byte_idx) {
        last[byte_idx] = static_cast<std::uint8_t>(now_millis >> (8 * (5 - byte_idx)));
      }
      randombytes_buf(last.data() + 6, last.size() - 6);
      last[6] &= 0x7F;  // leaves room to count up within the millisecond without overflowing
    } else {
      for (int byte_idx = 15; byte_idx >= 6 && ++last[byte_idx] == 0; --byte_idx) {
      }
    }
    bytes = last;
  }
  return Encode(prefix, bytes);
}

std::string DerivedId(std::string_view prefix, std::int64_t at, std::string_view content) {
  std::array<std::uint8_t, 16> bytes{};
  const std::uint64_t millis = at > 0 ? static_cast<std::uint64_t>(at / 1000) : 0;
  for (int byte_idx = 0; byte_idx < 6; ++byte_idx) {
    bytes[static_cast<size_t>(byte_idx)] = static_cast<std::uint8_t>(millis >> (8 * (5 - byte_idx)));
  }
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(content.data()), content.size());
  for (size_t byte_idx = 6; byte_idx < bytes.size(); ++byte_idx) bytes[byte_idx] = digest[byte_idx - 6];
  return Encode(prefix, bytes);
}

bool LooksLikeId(std::string_view id, std::string_view prefix) {
  if (id.size() != prefix.size() + kBodyLength || id.substr(0, prefix.size()) != prefix) return false;
  for (char c : id.substr(prefix.size())) {
    if (kCrockford.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace tp
