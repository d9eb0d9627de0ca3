#include "identity/passwords.h"

#include <atomic>

#include <sodium.h>

#include <new>

#include "identity/validation.h"

namespace tp::identity {
namespace {
constexpr std::size_t kMinPasswordCodePoints = 10;
constexpr std::size_t kMaxPasswordBytes = 256;
}  // namespace

PasswordHashLimits PasswordHashLimits::Interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordHashLimits PasswordHashLimits::Minimum() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

std::string HashPassword(std::string_view password, const PasswordHashLimits& limits) {
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, password.data(), password.size(), limits.ops_limit, limits.mem_limit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::bad_alloc();
  }
  return hash;
}

namespace {
std::atomic<std::uint64_t> verifications{0};
}  // namespace

std::uint64_t PasswordVerifications() { return verifications.load(std::memory_order_relaxed); }

bool VerifyPassword(std::string_view hash, std::string_view password) {
  verifications.fetch_add(1, std::memory_order_relaxed);
  // libsodium wants a NUL-terminated string that fits its buffer; anything longer is not its hash.
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

Status ValidateNewPassword(std::string_view password) {
  if (password.size() > kMaxPasswordBytes) {
    return InvalidArgument("the password must be at most " + std::to_string(kMaxPasswordBytes) + " bytes",
                           "password");
  }
  const std::optional<std::size_t> length = Utf8Length(password);
  if (!length) return InvalidArgument("the password is not valid UTF-8", "password");
  if (*length < kMinPasswordCodePoints) {
    return InvalidArgument("the password must be at least " + std::to_string(kMinPasswordCodePoints) +
                               " characters long",
                           "password");
  }
  // The first code point is its lead byte plus the continuation bytes (10xxxxxx) after it.
  std::size_t first_length = 1;
  while (first_length < password.size() && (static_cast<unsigned char>(password[first_length]) & 0xC0) == 0x80) {
    ++first_length;
  }
  const std::string_view first = password.substr(0, first_length);
  bool one_character = true;
  for (std::size_t pos = first_length; one_character && pos < password.size(); pos += first_length) {
    one_character = password.substr(pos, first_length) == first;
  }
  if (one_character) return InvalidArgument("the password must not be one character repeated", "password");
  return Status::Ok();
}

}  // namespace tp::identity
