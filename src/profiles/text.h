// Text rules shared by the CX data modules (profiles, cases, feedback): length limits counted in
// characters, and the folded form that customer search matches against.
//
//   TP_ASSIGN_OR_RETURN(std::string subject, CleanLine(input.subject, "subject", 300));
//   SearchWords("Jana Nováková-Svobodová") == {"jana", "novakova", "svobodova"}
//   SearchKey("+420 777 123") == "420777123"
//
// Folding lower-cases and strips diacritics from Latin letters (Latin-1 and Latin Extended-A, which
// cover Czech, Slovak, Polish and Slovenian), lower-cases basic Cyrillic and keeps other letters as they
// are; ASCII punctuation, spaces and symbols separate words. So "novak" finds "Novák" and "+420 777"
// finds "+420777123456". Every folded ASCII character is one of [0-9a-z], an alphabet whose order is
// the same bytewise (SQLite) and under PostgreSQL's locale collations, so prefix ranges on folded text
// select the same rows on both backends.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace tp::profiles {

// A single-line text field: trimmed, valid UTF-8 without control characters, at most `max_chars`
// code points; empty only when `required` is false. kInvalidArgument naming `field` otherwise.
Result<std::string> CleanLine(std::string_view text, std::string_view field, std::size_t max_chars,
                              bool required);
// Free text (comments): valid UTF-8, at most `max_chars` code points, no control characters other
// than tab and line breaks. Not trimmed: whitespace can be part of what a customer wrote.
Status CheckFreeText(std::string_view text, std::string_view field, std::size_t max_chars);

// The deepest nesting of objects and arrays in JSON text, counted without parsing it, so that a
// hostile document is refused before a recursive parser sees it.
int JsonDepth(std::string_view json_text);

// A timestamp supplied by a client (imports, offline survey widgets): not before the epoch and not
// more than kMaxClockSkew after `now`. kInvalidArgument naming `field` otherwise.
inline constexpr Micros kMaxClockSkew = 5LL * 60 * 1'000'000;
Status CheckClientTimestamp(Micros at, Micros now, std::string_view field);

// The folded words of `text`, in order, each at most kMaxSearchTermChars code points.
inline constexpr std::size_t kMaxSearchTermChars = 64;
std::vector<std::string> SearchWords(std::string_view text);
// The folded words joined without separators, cut to kMaxSearchTermChars: the form a whole name,
// e-mail address or phone number is indexed and searched in.
std::string SearchKey(std::string_view text);
// The smallest string greater than every string that starts with `prefix` (a folded key), for a
// `term >= prefix AND term < bound` range; std::nullopt when there is no such bound (all 'z').
std::optional<std::string> PrefixUpperBound(std::string_view prefix);

}  // namespace tp::profiles
