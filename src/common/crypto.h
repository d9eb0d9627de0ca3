// Small cryptographic helpers over libsodium and OpenSSL. Secrets that must be looked up (session
// tokens, API keys, CSRF tokens) are stored as SHA-256 digests: they carry 256 bits of randomness, so a
// fast hash is enough. Passwords use argon2id (identity/passwords.h), never these.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tp {

// Must be called once before any other function here (initialises libsodium); safe to call twice.
void InitCrypto();

// `bytes` random bytes from the OS CSPRNG, base64url-encoded without padding.
std::string RandomToken(size_t bytes = 32);
std::string Sha256Hex(std::string_view data);
std::string HmacSha256Hex(std::string_view key, std::string_view data);
std::string HmacSha1(std::string_view key, std::string_view data);  // raw bytes (for TOTP)
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string Base32Encode(std::span<const std::uint8_t> bytes);  // RFC 4648, no padding
// Returns false on characters outside the RFC 4648 alphabet (spaces and '=' are ignored).
bool Base32Decode(std::string_view text, std::string& out);

// Standard base64 (RFC 4648 section 4, '+' and '/'), as HTTP Basic credentials use it.
std::string Base64Encode(std::string_view bytes);  // padded
// Accepts padded and unpadded text; false on anything else (other characters, a bad length).
bool Base64Decode(std::string_view text, std::string& out);

// Seals secrets that must be read back (webhook signing secrets, SMTP passwords): XSalsa20-Poly1305
// (libsodium secretbox) under the server's key, so a copy of the database alone reveals none of them.
class SecretBox {
 public:
  static constexpr size_t kKeySize = 32;
  // Reads the key file (32 random bytes, base64url). A missing file is created with a new key and mode
  // 0600 when `create_if_missing`; kUnavailable when the file cannot be read, written or is malformed.
  static Result<SecretBox> FromKeyFile(const std::string& path, bool create_if_missing);
  static SecretBox WithRandomKey();  // tests

  // base64url of nonce ‖ ciphertext.
  std::string Seal(std::string_view plaintext) const;
  // kInternal when the text was not sealed with this key or was altered.
  Result<std::string> Open(std::string_view sealed) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace tp
