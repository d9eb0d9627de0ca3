// The public entry points, the input clean-up every body goes through, and the rendering of plain-text
// bodies. The HTML side is html.cc.
#include <algorithm>
#include <string>
#include <string_view>

#include "richtext/internal.h"
#include "richtext/richtext.h"

namespace tp::richtext {
namespace internal {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

bool StartsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t index = 0; index < prefix.size(); ++index) {
    if (AsciiLower(text[index]) != prefix[index]) return false;
  }
  return true;
}

bool IsAsciiAlphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Where a URL written in plain text ends: at white space, at a character that cannot be in one
// unescaped, or at a non-ASCII character (typographic quotes around a URL are more common in messages
// than unencoded non-ASCII paths). Trailing punctuation belongs to the sentence, not the URL, and so
// does a closing bracket that opens nowhere inside it ("(see https://example.com/a)").
std::size_t UrlEnd(std::string_view line, std::size_t start) {
  std::size_t end = start;
  while (end < line.size()) {
    const auto byte = static_cast<unsigned char>(line[end]);
    if (byte <= 0x20 || byte >= 0x7F || std::string_view("<>\"'`").find(line[end]) != std::string_view::npos) break;
    ++end;
  }
  while (end > start) {
    const char last = line[end - 1];
    const std::string_view url = line.substr(start, end - start);
    const bool unbalanced_paren =
        last == ')' && std::count(url.begin(), url.end(), '(') < std::count(url.begin(), url.end(), ')');
    const bool unbalanced_bracket =
        last == ']' && std::count(url.begin(), url.end(), '[') < std::count(url.begin(), url.end(), ']');
    if (std::string_view(".,;:!?*").find(last) == std::string_view::npos && !unbalanced_paren && !unbalanced_bracket)
      break;
    --end;
  }
  return end;
}

// Appends one line of plain text, escaped, with its http and https URLs made links.
void AppendLinkified(std::string& out, std::string_view line) {
  std::size_t copied = 0;
  std::size_t position = 0;
  while (position < line.size()) {
    const std::string_view rest = line.substr(position);
    const bool at_word_start = position == 0 || !IsAsciiAlphanumeric(line[position - 1]);
    const std::size_t scheme_length = StartsWithIgnoringCase(rest, "https://")  ? 8
                                      : StartsWithIgnoringCase(rest, "http://") ? 7
                                                                                : 0;
    if (!at_word_start || scheme_length == 0) {
      ++position;
      continue;
    }
    const std::size_t end = UrlEnd(line, position);
    const std::string_view url = line.substr(position, end - position);
    const auto href = url.size() > scheme_length ? SafeHref(url) : std::nullopt;
    if (!href) {
      position += scheme_length;
      continue;
    }
    AppendEscaped(out, line.substr(copied, position - copied));
    AppendLinkStart(out, *href);
    AppendEscaped(out, url);
    out += "</a>";
    copied = position = end;
  }
  AppendEscaped(out, line.substr(copied));
}

}  // namespace

std::string CleanInput(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  std::size_t index = body.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (index < body.size()) {
    const auto byte = static_cast<unsigned char>(body[index]);
    if (byte < 0x80) {
      if (byte == '\r') {
        out += '\n';
        index += (index + 1 < body.size() && body[index + 1] == '\n') ? 2 : 1;
        continue;
      }
      const bool control = (byte < 0x20 && byte != '\t' && byte != '\n') || byte == 0x7F;
      if (control) {
        out += kReplacementCharacter;
      } else {
        out += static_cast<char>(byte);
      }
      ++index;
      continue;
    }
    // The well-formed sequences of Unicode's table 3-7: the second byte's range depends on the first,
    // which rules out overlong forms, surrogates and code points above U+10FFFF.
    std::size_t length = 0;
    unsigned char lower = 0x80;
    unsigned char upper = 0xBF;
    if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) lower = 0xA0;
      if (byte == 0xED) upper = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) lower = 0x90;
      if (byte == 0xF4) upper = 0x8F;
    }
    if (length == 0) {
      out += kReplacementCharacter;
      ++index;
      continue;
    }
    // A broken sequence is replaced by one U+FFFD for its longest valid start (the "maximal subpart"
    // practice of Unicode and the WHATWG decoder), then reading resumes at the byte that broke it.
    std::size_t valid = 1;
    while (valid < length && index + valid < body.size()) {
      const auto next = static_cast<unsigned char>(body[index + valid]);
      if (next < lower || next > upper) break;
      lower = 0x80;
      upper = 0xBF;
      ++valid;
    }
    if (valid == length) {
      out += body.substr(index, length);
    } else {
      out += kReplacementCharacter;
    }
    index += valid;
  }
  return out;
}

void AppendEscaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

void AppendLinkStart(std::string& out, std::string_view href) {
  out += "<a href=\"";
  AppendEscaped(out, href);
  out += "\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">";
}

std::optional<std::string> SafeHref(std::string_view href) {
  const auto ignored_at_ends = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  while (!href.empty() && ignored_at_ends(href.front())) href.remove_prefix(1);
  while (!href.empty() && ignored_at_ends(href.back())) href.remove_suffix(1);
  std::string url;
  for (const char c : href) {
    if (c != '\t' && c != '\n' && c != '\r') url += c;
  }
  // A relative URL has no base worth resolving against in a message (it would point into our own
  // application), so only an absolute URL with one of the three schemes is kept.
  const std::size_t colon = url.find_first_of(":/?#");
  if (colon == std::string::npos || url[colon] != ':') return std::nullopt;
  std::string scheme;
  for (std::size_t index = 0; index < colon; ++index) scheme += AsciiLower(url[index]);
  const std::string_view rest = std::string_view(url).substr(colon + 1);
  if (scheme == "mailto") {
    if (rest.empty()) return std::nullopt;
  } else if (scheme == "http" || scheme == "https") {
    if (!rest.starts_with("//") || rest.size() == 2 || rest[2] == '/') return std::nullopt;
  } else {
    return std::nullopt;
  }
  return scheme + ":" + std::string(rest);
}

RenderedBody RenderPlainText(std::string cleaned) {
  std::string html;
  bool in_paragraph = false;
  std::string_view rest = cleaned;
  while (true) {
    const std::size_t newline = rest.find('\n');
    const std::string_view line = rest.substr(0, newline);
    if (line.find_first_not_of(" \t") == std::string_view::npos) {
      if (in_paragraph) html += "</p>";
      in_paragraph = false;
    } else {
      html += in_paragraph ? "<br>" : "<p>";
      in_paragraph = true;
      AppendLinkified(html, line);
    }
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  if (in_paragraph) html += "</p>";
  return {.text = std::move(cleaned), .html = std::move(html)};
}

}  // namespace internal

std::string EscapeHtml(std::string_view text) {
  std::string out;
  internal::AppendEscaped(out, text);
  return out;
}

Result<BodyFormat> ParseBodyFormat(std::string_view name, std::string_view field) {
  std::string lower;
  for (const char c : name) lower += internal::AsciiLower(c);
  for (const BodyFormat format : {BodyFormat::kText, BodyFormat::kHtml}) {
    if (BodyFormatName(format) == lower) return format;
  }
  return InvalidArgument(std::string(field) + " must be one of text, html", std::string(field));
}

Result<RenderedBody> RenderBody(std::string_view body, BodyFormat format) {
  if (body.size() > kMaxBodyBytes) {
    return InvalidArgument("a body has at most " + std::to_string(kMaxBodyBytes / 1024) + " KiB", "body");
  }
  const std::string_view content = body.starts_with("\xEF\xBB\xBF") ? body.substr(3) : body;
  if (content.find_first_not_of(" \t\n\r\f\v") == std::string_view::npos) {
    return InvalidArgument("a body must not be empty", "body");
  }
  std::string cleaned = internal::CleanInput(body);
  switch (format) {
    case BodyFormat::kText: return internal::RenderPlainText(std::move(cleaned));
    case BodyFormat::kHtml: return internal::RenderHtml(cleaned);
  }
  return InvalidArgument("unknown body format", "format");
}

}  // namespace tp::richtext
