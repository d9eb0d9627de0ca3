// Time-based one-time passwords, RFC 6238 with the parameters every authenticator app supports:
// HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch. Secrets are 20 random bytes,
// RFC 4648 base32 without padding (what otpauth:// URIs carry).
//
//   std::string secret = NewTotpSecret();
//   std::string uri = TotpUri("touchpoint (acme)", "ana@acme.example", secret);   // shown as a QR code
//   std::optional<std::int64_t> step = MatchTotp(secret, code, NowMicros(), user.totp_last_step);
//   if (step) { /* store *step as the new totp_last_step */ }
//
// All functions are pure apart from NewTotpSecret's randomness, and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace tp::identity {

std::string NewTotpSecret();

// The time step that contains `at`: floor(seconds since the epoch / 30).
std::int64_t TotpStep(Micros at);
// The 6-digit code for the step containing `at`; empty when the secret is not valid base32.
std::string TotpCode(std::string_view secret_base32, Micros at);

// Accepts the code of the current step or one step either side (clock drift). Returns the step that
// matched, or std::nullopt when none did, the code is malformed, or the matching step is not newer than
// `last_used_step`: a code, once used, never works again (replay protection).
std::optional<std::int64_t> MatchTotp(std::string_view secret_base32, std::string_view code, Micros now,
                                      std::int64_t last_used_step);

// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30 with issuer and
// account percent-encoded.
std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace tp::identity
