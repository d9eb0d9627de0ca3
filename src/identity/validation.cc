#include "identity/validation.h"

#include <cstdint>

namespace tp::identity {
namespace {
constexpr std::size_t kMaxEmailBytes = 254;  // RFC 5321 path limit
constexpr std::size_t kMaxLocalPartBytes = 64;

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }
}  // namespace

std::optional<std::size_t> Utf8Length(std::string_view text) {
  std::size_t code_points = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t continuation = 0;
    std::uint32_t code_point = 0;
    std::uint32_t min_code_point = 0;
    if (lead < 0x80) {
      code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      continuation = 1;
      code_point = lead & 0x1F;
      min_code_point = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      continuation = 2;
      code_point = lead & 0x0F;
      min_code_point = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      continuation = 3;
      code_point = lead & 0x07;
      min_code_point = 0x10000;
    } else {
      return std::nullopt;
    }
    for (std::size_t byte_idx = 1; byte_idx <= continuation; ++byte_idx) {
      if (pos + byte_idx >= text.size()) return std::nullopt;
      const auto byte = static_cast<unsigned char>(text[pos + byte_idx]);
      if ((byte & 0xC0) != 0x80) return std::nullopt;
      code_point = (code_point << 6) | (byte & 0x3F);
    }
    if (code_point < min_code_point || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return std::nullopt;
    }
    pos += continuation + 1;
    ++code_points;
  }
  return code_points;
}

std::string_view TrimAscii(std::string_view text) {
  while (!text.empty() && IsAsciiSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsAsciiSpace(text.back())) text.remove_suffix(1);
  return text;
}

Result<std::string> CleanName(std::string_view text, std::string_view field, std::size_t max_bytes) {
  const std::string_view trimmed = TrimAscii(text);
  const std::string field_name(field);
  if (trimmed.empty()) return InvalidArgument(field_name + " must not be empty", field_name);
  if (trimmed.size() > max_bytes) {
    return InvalidArgument(field_name + " must be at most " + std::to_string(max_bytes) + " bytes", field_name);
  }
  if (!Utf8Length(trimmed)) return InvalidArgument(field_name + " is not valid UTF-8", field_name);
  for (char c : trimmed) {
    if (IsControl(static_cast<unsigned char>(c))) {
      return InvalidArgument(field_name + " must not contain control characters", field_name);
    }
  }
  return std::string(trimmed);
}

std::string TrimAndLowerAscii(std::string_view text) {
  std::string lowered(TrimAscii(text));
  for (char& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

std::string PrintableAscii(std::string_view text, std::size_t max_bytes) {
  std::string printable(text.substr(0, max_bytes));
  for (char& c : printable) {
    if (c < 0x20 || c > 0x7E) c = '?';
  }
  return printable;
}

Result<std::string> ValidEmail(std::string_view email, std::string_view field) {
  const std::string field_name(field);
  std::string normalized = TrimAndLowerAscii(email);
  const Status invalid = InvalidArgument("not a valid e-mail address", field_name);
  if (normalized.empty() || normalized.size() > kMaxEmailBytes || !Utf8Length(normalized)) return invalid;
  const std::size_t at = normalized.find('@');
  if (at == std::string::npos || at == 0 || at > kMaxLocalPartBytes) return invalid;
  const std::string_view domain = std::string_view(normalized).substr(at + 1);
  const std::size_t last_dot = domain.rfind('.');
  if (domain.find('@') != std::string_view::npos || last_dot == std::string_view::npos || last_dot == 0 ||
      last_dot + 1 == domain.size() || domain.front() == '-' || domain.find("..") != std::string_view::npos) {
    return invalid;
  }
  for (char c : normalized) {
    const auto byte = static_cast<unsigned char>(c);
    if (IsControl(byte) || c == ' ' || c == ',' || c == ';' || c == '<' || c == '>' || c == '"' || c == '\\' ||
        c == '(' || c == ')' || c == '[' || c == ']') {
      return invalid;
    }
  }
  return normalized;
}

}  // namespace tp::identity
