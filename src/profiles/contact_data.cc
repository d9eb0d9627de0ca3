#include "profiles/contact_data.h"

#include <algorithm>
#include <array>
#include <utility>

#include "identity/tenants.h"

namespace tp::profiles {
namespace {

using nlohmann::json;

// Canonical, in the order docs/security.md lists them. A key beginning or ending with one of these is contact data
// ("workEmail", "phone_2", "billing_address", "mobilni_cislo"); the Central-European spellings are here because traits
// arrive named in the tenant's language.
constexpr std::array<std::string_view, 17> kDefaultKeys = {
    "email",  "phone", "telefon", "mobil", "whatsapp", "messenger",  "telegram", "viber",  "skype",
    "msisdn", "fax",   "address", "adres", "street",   "postalcode", "postcode", "zipcode"};

constexpr std::size_t kMinLocalPhoneDigits = 9;  // without '+': more than a date's 8 digits

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiAlnum(char c) { return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsNonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

bool IsLocalPartChar(char c) {
  return IsAsciiAlnum(c) || IsNonAscii(c) || std::string_view(".!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}
bool IsDomainChar(char c) { return IsAsciiAlnum(c) || IsNonAscii(c) || c == '-' || c == '.'; }

std::string_view Trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

std::string_view WithoutPrefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return text;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != prefix[i]) return text;
  }
  return text.substr(prefix.size());
}

bool KeyMatches(std::string_view canonical, std::string_view listed) {
  return !listed.empty() && (canonical.starts_with(listed) || canonical.ends_with(listed));
}

// The e-mail address around the '@' at `at` in `text`, as [begin, end); empty when it is not one.
std::pair<std::size_t, std::size_t> EmailAround(std::string_view text, std::size_t at) {
  std::size_t begin = at;
  while (begin > 0 && IsLocalPartChar(text[begin - 1])) --begin;
  std::size_t end = at + 1;
  while (end < text.size() && IsDomainChar(text[end])) ++end;
  while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == '-')) --end;  // a sentence's full stop
  const std::string_view domain = text.substr(at + 1, end - at - 1);
  const std::size_t last_dot = domain.rfind('.');
  const bool valid = begin < at && last_dot != std::string_view::npos && last_dot > 0 && domain.size() - last_dot > 2 &&
                     domain.find("..") == std::string_view::npos;
  return valid ? std::pair{begin, end} : std::pair{at, at};
}

bool IsEmailAddress(std::string_view text) {
  const std::size_t at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos) return false;
  const auto [begin, end] = EmailAround(text, at);
  return begin == 0 && end == text.size();
}

bool IsPhoneNumber(std::string_view text) {
  const bool international = text.starts_with('+');
  std::size_t digits = 0;
  std::size_t separators = 0;
  bool parenthesis = false;
  for (char c : international ? text.substr(1) : text) {
    if (IsAsciiDigit(c)) {
      ++digits;
    } else if (c == ' ' || c == '-' || c == '.' || c == '/') {
      ++separators;
    } else if (c == '(' || c == ')') {
      parenthesis = true;
    } else {
      return false;
    }
  }
  if (international || text.starts_with("00")) {  // "00" is how Europe dials '+'
    const std::size_t significant = international ? digits : digits - 2;
    return significant >= kMinPhoneDigits && significant <= kMaxPhoneDigits;
  }
  return digits >= kMinLocalPhoneDigits && digits <= kMaxPhoneDigits && (separators >= 2 || parenthesis) &&
         (IsAsciiDigit(text.front()) || text.front() == '(');
}

}  // namespace

std::string CanonicalKey(std::string_view key) {
  std::string canonical;
  canonical.reserve(key.size());
  for (char c : key) {
    if (c >= 'A' && c <= 'Z') {
      canonical += static_cast<char>(c - 'A' + 'a');
    } else if (IsAsciiAlnum(c) || IsNonAscii(c)) {
      canonical += c;
    }
  }
  return canonical;
}

ContactDataClassifier::ContactDataClassifier(const std::vector<std::string>& extra_keys) {
  for (const std::string& key : extra_keys) {
    std::string canonical = CanonicalKey(key);
    if (canonical.empty() || IsDefaultContactKey(canonical)) continue;
    if (std::find(extra_keys_.begin(), extra_keys_.end(), canonical) == extra_keys_.end()) {
      extra_keys_.push_back(std::move(canonical));
    }
  }
}

bool ContactDataClassifier::IsDefaultContactKey(std::string_view key) {
  const std::string canonical = CanonicalKey(key);
  return std::any_of(kDefaultKeys.begin(), kDefaultKeys.end(),
                     [&](std::string_view listed) { return KeyMatches(canonical, listed); });
}

bool ContactDataClassifier::IsContactKey(std::string_view key) const {
  if (IsDefaultContactKey(key)) return true;
  const std::string canonical = CanonicalKey(key);
  return std::any_of(extra_keys_.begin(), extra_keys_.end(),
                     [&](const std::string& listed) { return KeyMatches(canonical, listed); });
}

bool ContactDataClassifier::IsContactText(std::string_view text) {
  const std::string_view trimmed = Trim(text);
  if (trimmed.empty()) return false;
  if (IsEmailAddress(WithoutPrefix(trimmed, "mailto:"))) return true;
  const std::string_view number = Trim(WithoutPrefix(trimmed, "tel:"));
  return !number.empty() && IsPhoneNumber(number);
}

std::string ContactDataClassifier::MaskContactText(std::string_view text) {
  std::string masked;
  std::size_t copied = 0;
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    if (at < copied) continue;
    const auto [begin, end] = EmailAround(text, at);
    if (begin == end) continue;
    masked.append(text.substr(copied, begin - copied)).append(kMaskedContactData);
    copied = end;
    at = end - 1;
  }
  if (copied == 0) return std::string(text);
  masked.append(text.substr(copied));
  return masked;
}

bool ContactDataClassifier::ContainsContactText(std::string_view text) {
  if (IsContactText(text)) return true;
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    const auto [begin, end] = EmailAround(text, at);
    if (begin != end) return true;
  }
  return false;
}

bool ContactDataClassifier::Redact(json& document) const {
  bool changed = false;
  auto is_contact_string = [](const json& value) {
    return value.is_string() && IsContactText(value.get_ref<const std::string&>());
  };
  if (document.is_object()) {
    for (auto it = document.begin(); it != document.end();) {
      if (IsContactKey(it.key()) || is_contact_string(it.value())) {
        it = document.erase(it);
        changed = true;
      } else {
        changed = Redact(it.value()) || changed;
        ++it;
      }
    }
  } else if (document.is_array()) {
    for (auto it = document.begin(); it != document.end();) {
      if (is_contact_string(*it)) {
        it = document.erase(it);
        changed = true;
      } else {
        changed = Redact(*it) || changed;
        ++it;
      }
    }
  } else if (document.is_string() && document.get_ref<const std::string&>().find('@') != std::string::npos) {
    std::string masked = MaskContactText(document.get_ref<const std::string&>());
    if (masked != document.get_ref<const std::string&>()) {
      document = std::move(masked);
      changed = true;
    }
  }
  return changed;
}

bool IsContactIdentifier(IdentifierKind kind, std::string_view value) {
  return (kind != IdentifierKind::kUserId && kind != IdentifierKind::kAnonymousId) ||
         ContactDataClassifier::IsContactText(value);
}

Result<ContactDataClassifier> LoadContactDataClassifier(store::TenantTx& tx) {
  TP_ASSIGN_OR_RETURN(const identity::Tenant tenant, identity::GetTenant(tx));
  const json settings = json::parse(tenant.settings_json, nullptr, false);
  std::vector<std::string> keys;
  if (settings.is_object()) {
    const auto listed = settings.find(std::string(identity::kContactDataKeysSetting));
    if (listed != settings.end() && listed->is_array()) {
      for (const json& key : *listed) {
        if (key.is_string()) keys.push_back(key.get<std::string>());
      }
    }
  }
  return ContactDataClassifier(keys);
}

}  // namespace tp::profiles
