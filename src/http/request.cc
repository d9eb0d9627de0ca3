#include "http/request.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace tp::http {
namespace {

// ASCII only on purpose: header names are ASCII tokens and std::tolower depends on the locale.
char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Optional whitespace around cookie pairs (RFC 6265 section 5.4 splits on ';' and trims).
std::string_view TrimSpaces(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return LowerAscii(x) < LowerAscii(y); });
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return LowerAscii(x) == LowerAscii(y); });
}

Result<std::string> PercentDecode(std::string_view text, bool plus_as_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t index = 0; index < text.size(); ++index) {
    const char c = text[index];
    if (c == '+' && plus_as_space) {
      decoded += ' ';
    } else if (c != '%') {
      decoded += c;
    } else {
      const int high = index + 2 < text.size() ? HexValue(text[index + 1]) : -1;
      const int low = high >= 0 ? HexValue(text[index + 2]) : -1;
      if (low < 0) return InvalidArgument("malformed percent-encoding");
      const int byte = high * 16 + low;
      if (byte == 0) return InvalidArgument("percent-encoded NUL is not allowed");
      decoded += static_cast<char>(byte);
      index += 2;
    }
  }
  return decoded;
}

Result<std::multimap<std::string, std::string>> ParseQuery(std::string_view query) {
  std::multimap<std::string, std::string> params;
  while (!query.empty()) {
    const auto end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    TP_ASSIGN_OR_RETURN(std::string name, PercentDecode(pair.substr(0, equals), true));
    std::string value;
    if (equals != std::string_view::npos) {
      TP_ASSIGN_OR_RETURN(value, PercentDecode(pair.substr(equals + 1), true));
    }
    params.emplace(std::move(name), std::move(value));
  }
  return params;
}

SpooledBody::~SpooledBody() {
  std::error_code ignored;  // a temporary file that is already gone needs no removal
  std::filesystem::remove(path_, ignored);
}

std::optional<std::string> Request::Header(std::string_view name) const {
  const auto found = headers.find(name);
  if (found == headers.end()) return std::nullopt;
  return found->second;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  const auto found = query.find(std::string(name));
  if (found == query.end()) return std::nullopt;
  return found->second;
}

std::string_view Request::PathParam(std::string_view name) const {
  const auto found = path_params.find(std::string(name));
  if (found == path_params.end()) return {};
  return found->second;
}

std::optional<std::string> Request::Cookie(std::string_view name) const {
  const auto header = headers.find(std::string_view("Cookie"));
  if (header == headers.end()) return std::nullopt;
  std::string_view rest = header->second;
  while (!rest.empty()) {
    const auto end = rest.find(';');
    const std::string_view pair = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;  // not a cookie-pair; browsers skip these too
    if (TrimSpaces(pair.substr(0, equals)) != name) continue;
    std::string_view value = TrimSpaces(pair.substr(equals + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return std::string(value);
  }
  return std::nullopt;
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers["Content-Type"] = "application/json";
  response.body = std::move(body);
  return response;
}

Response Response::Text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers["Content-Type"] = std::move(content_type);
  response.body = std::move(body);
  return response;
}

Response Response::NoContent() {
  Response response;
  response.status = 204;
  return response;
}

}  // namespace tp::http
