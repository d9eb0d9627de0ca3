// Password hashing and the password policy. Hashes are argon2id in the PHC string format libsodium
// produces ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"), so the cost parameters travel with each hash and
// can be raised later without breaking stored ones.
//
//   TP_RETURN_IF_ERROR(ValidateNewPassword(password));
//   std::string hash = HashPassword(password);
//   if (!VerifyPassword(hash, attempt)) ...
//
// Every function is thread-safe. InitCrypto() (common/crypto.h) must have run first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tp::identity {

// argon2id cost. Interactive() is libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE (64 MiB, about 0.1 s) and
// is what production uses; Minimum() exists so tests do not spend seconds hashing.
struct PasswordHashLimits {
  std::uint64_t ops_limit;
  std::size_t mem_limit;

  static PasswordHashLimits Interactive();
  static PasswordHashLimits Minimum();
};

// Throws std::bad_alloc when the memory limit cannot be allocated (the only way hashing fails).
std::string HashPassword(std::string_view password,
                         const PasswordHashLimits& limits = PasswordHashLimits::Interactive());
// False for a wrong password and for anything that is not an argon2 hash string.
bool VerifyPassword(std::string_view hash, std::string_view password);
// How many times this process has called VerifyPassword (sign-in paths must each verify once).
std::uint64_t PasswordVerifications();

// The policy for a password a person chooses: at least 10 characters (UTF-8 code points), at most 256
// bytes, valid UTF-8, not one character repeated. kInvalidArgument with field "password" otherwise.
Status ValidateNewPassword(std::string_view password);

}  // namespace tp::identity
