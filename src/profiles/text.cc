#include "profiles/text.h"

#include <algorithm>
#include <cstdint>

#include "identity/validation.h"

namespace tp::profiles {
namespace {

// Folding of U+00C0..U+017F, one entry per code point: the ASCII letter it folds to, ' ' for a
// separator (× and ÷), '*' for the letters that fold to two (see TwoLetterFold).
constexpr std::string_view kLatinFold =
    "aaaaaa*ceeeeiiii"   // U+00C0 À Á Â Ã Ä Å Æ Ç È É Ê Ë Ì Í Î Ï
    "dnooooo ouuuuy**"   // U+00D0 Ð Ñ Ò Ó Ô Õ Ö × Ø Ù Ú Û Ü Ý Þ ß
    "aaaaaa*ceeeeiiii"   // U+00E0 à … ï
    "dnooooo ouuuuy*y"   // U+00F0 ð … ÿ
    "aaaaaaccccccccdd"   // U+0100 Ā ā Ă ă Ą ą Ć ć Ĉ ĉ Ċ ċ Č č Ď ď
    "ddeeeeeeeeeegggg"   // U+0110 Đ đ Ē ē Ĕ ĕ Ė ė Ę ę Ě ě Ĝ ĝ Ğ ğ
    "gggghhhhiiiiiiii"   // U+0120 Ġ ġ Ģ ģ Ĥ ĥ Ħ ħ Ĩ ĩ Ī ī Ĭ ĭ Į į
    "ii**jjkkklllllll"   // U+0130 İ ı Ĳ ĳ Ĵ ĵ Ķ ķ ĸ Ĺ ĺ Ļ ļ Ľ ľ Ŀ
    "lllnnnnnnnnnoooo"   // U+0140 ŀ Ł ł Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ Ō ō Ŏ ŏ
    "oo**rrrrrrssssss"   // U+0150 Ő ő Œ œ Ŕ ŕ Ŗ ŗ Ř ř Ś ś Ŝ ŝ Ş ş
    "ssttttttuuuuuuuu"   // U+0160 Š š Ţ ţ Ť ť Ŧ ŧ Ũ ũ Ū ū Ŭ ŭ Ů ů
    "uuuuwwyyyzzzzzzs";  // U+0170 Ű ű Ų ų Ŵ ŵ Ŷ ŷ Ÿ Ź ź Ż ż Ž ž ſ
constexpr char32_t kLatinFoldFirst = 0xC0;

std::string_view TwoLetterFold(char32_t code_point) {
  switch (code_point) {
    case 0xC6: case 0xE6: return "ae";
    case 0xDE: case 0xFE: return "th";
    case 0xDF: return "ss";
    case 0x132: case 0x133: return "ij";
    default: return "oe";  // U+0152, U+0153
  }
}

void AppendUtf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

// Decodes the code point at `pos` and advances past it. Malformed bytes decode as U+FFFD one byte at
// a time: search input is folded, never rejected.
char32_t NextCodePoint(std::string_view text, std::size_t& pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 1;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
  }
  if (length == 1 || pos + length > text.size()) {
    ++pos;
    return lead < 0x80 ? lead : 0xFFFD;
  }
  if (!identity::Utf8Length(text.substr(pos, length))) {
    ++pos;
    return 0xFFFD;
  }
  char32_t code_point = lead & (0x7F >> length);
  for (std::size_t byte_idx = 1; byte_idx < length; ++byte_idx) {
    code_point = (code_point << 6) | (static_cast<unsigned char>(text[pos + byte_idx]) & 0x3F);
  }
  pos += length;
  return code_point;
}

bool IsSeparator(char32_t code_point) {
  if (code_point < 0x80) {
    return !((code_point >= 'a' && code_point <= 'z') || (code_point >= 'A' && code_point <= 'Z') ||
             (code_point >= '0' && code_point <= '9'));
  }
  return code_point < 0xC0 ||                            // C1 controls, Latin-1 symbols, NBSP
         (code_point >= 0x2000 && code_point <= 0x206F) ||  // general punctuation and spaces
         code_point == 0x3000 || code_point == 0xFEFF || code_point == 0xFFFD;
}

bool IsCombiningMark(char32_t code_point) { return code_point >= 0x300 && code_point <= 0x36F; }

// Appends the folded form of one letter.
void AppendFolded(std::string& word, char32_t code_point) {
  if (code_point < 0x80) {
    word += static_cast<char>(code_point >= 'A' && code_point <= 'Z' ? code_point - 'A' + 'a' : code_point);
    return;
  }
  if (code_point >= kLatinFoldFirst && code_point < kLatinFoldFirst + kLatinFold.size()) {
    const char folded = kLatinFold[code_point - kLatinFoldFirst];
    if (folded == '*') {
      word += TwoLetterFold(code_point);
    } else {
      word += folded;
    }
    return;
  }
  if (code_point >= 0x400 && code_point <= 0x40F) {
    AppendUtf8(word, code_point + 0x50);  // Ѐ..Џ -> ѐ..џ
  } else if (code_point >= 0x410 && code_point <= 0x42F) {
    AppendUtf8(word, code_point + 0x20);  // А..Я -> а..я
  } else {
    AppendUtf8(word, code_point);
  }
}

// `text` cut to at most `max_chars` code points (text is well-formed: it was built by AppendFolded).
std::string CutToChars(std::string text, std::size_t max_chars) {
  std::size_t pos = 0;
  for (std::size_t char_idx = 0; char_idx < max_chars && pos < text.size(); ++char_idx) {
    NextCodePoint(text, pos);
  }
  text.resize(pos);
  return text;
}

bool IsControlCharacter(unsigned char byte) { return byte < 0x20 || byte == 0x7F; }

Status CheckLength(std::string_view text, std::string_view field, std::size_t max_chars) {
  const std::optional<std::size_t> length = identity::Utf8Length(text);
  if (!length) return InvalidArgument(std::string(field) + " is not valid UTF-8", std::string(field));
  if (*length > max_chars) {
    return InvalidArgument(std::string(field) + " must be at most " + std::to_string(max_chars) + " characters",
                           std::string(field));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> CleanLine(std::string_view text, std::string_view field, std::size_t max_chars,
                              bool required) {
  const std::string_view trimmed = identity::TrimAscii(text);
  if (required && trimmed.empty()) {
    return InvalidArgument(std::string(field) + " is required", std::string(field));
  }
  TP_RETURN_IF_ERROR(CheckLength(trimmed, field, max_chars));
  for (char c : trimmed) {
    if (IsControlCharacter(static_cast<unsigned char>(c))) {
      return InvalidArgument(std::string(field) + " must not contain control characters", std::string(field));
    }
  }
  return std::string(trimmed);
}

Status CheckFreeText(std::string_view text, std::string_view field, std::size_t max_chars) {
  TP_RETURN_IF_ERROR(CheckLength(text, field, max_chars));
  for (char c : text) {
    if (IsControlCharacter(static_cast<unsigned char>(c)) && c != '\t' && c != '\n' && c != '\r') {
      return InvalidArgument(std::string(field) + " must not contain control characters", std::string(field));
    }
  }
  return Status::Ok();
}

int JsonDepth(std::string_view text) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

Status CheckClientTimestamp(Micros at, Micros now, std::string_view field) {
  if (at < 0) return InvalidArgument(std::string(field) + " is before 1970", std::string(field));
  if (at > now + kMaxClockSkew) {
    return InvalidArgument(std::string(field) + " is in the future", std::string(field));
  }
  return Status::Ok();
}

std::vector<std::string> SearchWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t code_point = NextCodePoint(text, pos);
    if (IsCombiningMark(code_point)) continue;  // "a" + U+0301 folds like "á"
    if (IsSeparator(code_point)) {
      if (!word.empty()) words.push_back(CutToChars(std::move(word), kMaxSearchTermChars));
      word.clear();
      continue;
    }
    AppendFolded(word, code_point);
  }
  if (!word.empty()) words.push_back(CutToChars(std::move(word), kMaxSearchTermChars));
  return words;
}

std::string SearchKey(std::string_view text) {
  std::string key;
  for (const std::string& word : SearchWords(text)) key += word;
  return CutToChars(std::move(key), kMaxSearchTermChars);
}

std::optional<std::string> PrefixUpperBound(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty()) {
    // Find where the last code point starts.
    std::size_t start = bound.size() - 1;
    while (start > 0 && (static_cast<unsigned char>(bound[start]) & 0xC0) == 0x80) --start;
    std::size_t pos = start;
    const char32_t last = NextCodePoint(bound, pos);
    bound.resize(start);
    if (last == 'z' || last == 0x10FFFF) continue;  // "abz" is bounded by "ac"
    if (last == '9') {
      bound += 'a';
    } else if (last < 0x80) {
      bound += static_cast<char>(last + 1);
    } else {
      AppendUtf8(bound, last + 1 == 0xD800 ? 0xE000 : last + 1);
    }
    return bound;
  }
  return std::nullopt;
}

}  // namespace tp::profiles
