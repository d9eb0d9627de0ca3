// Input checks shared by the identity units: human-entered names, e-mail addresses, UTF-8.
// Errors are kInvalidArgument naming the field the caller passes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tp::identity {

// The number of code points when `text` is well-formed UTF-8 (no overlong forms, no surrogates),
// std::nullopt otherwise.
std::optional<std::size_t> Utf8Length(std::string_view text);

// `text` without leading and trailing ASCII whitespace.
std::string_view TrimAscii(std::string_view text);

// A display name: trimmed, non-empty, at most `max_bytes`, valid UTF-8, no control characters.
Result<std::string> CleanName(std::string_view text, std::string_view field, std::size_t max_bytes);

// Trimmed, ASCII letters lower-cased: the form e-mails and slugs are stored and looked up in.
std::string TrimAndLowerAscii(std::string_view text);
// `text` cut to `max_bytes` with every byte outside printable ASCII replaced by '?': for values from
// request headers (user agent, IP) that are stored for display and may hold anything.
std::string PrintableAscii(std::string_view text, std::size_t max_bytes);
// TrimAndLowerAscii plus a shape check (local@domain.tld, at most 254 bytes, no spaces or control
// characters). Deliberately loose: the only real test of an address is mail reaching it.
Result<std::string> ValidEmail(std::string_view email, std::string_view field);

}  // namespace tp::identity
