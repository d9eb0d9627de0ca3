// Pieces of richtext shared by its two halves: the input clean-up and escaping (text.cc) and the HTML
// sanitiser (html.cc). Not part of the module's API.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "richtext/richtext.h"

namespace tp::richtext::internal {

// The body as valid UTF-8 with "\n" line endings: a leading byte order mark removed, each maximal
// invalid byte sequence, NUL and every other C0 control except tab and line feed (and DEL) replaced
// by U+FFFD, "\r\n" and lone "\r" turned into "\n".
std::string CleanInput(std::string_view body);

// Appends `text` with & < > " ' escaped, so it is safe as element content and as a quoted attribute.
void AppendEscaped(std::string& out, std::string_view text);

// Appends the start tag every kept link gets: the target, and rel/target so that the linked page
// neither learns where it was opened from nor gets a handle on the agent's window.
void AppendLinkStart(std::string& out, std::string_view href);

// The link target to keep for an href, or nullopt when it must go: only absolute http, https and
// mailto URLs pass. Like a browser, leading and trailing spaces and controls are ignored and tabs
// and line breaks inside removed before the scheme is read, so "java\tscript:" is seen as javascript.
std::optional<std::string> SafeHref(std::string_view href);

// The two renderings of already cleaned input.
RenderedBody RenderPlainText(std::string cleaned);
RenderedBody RenderHtml(const std::string& cleaned);

}  // namespace tp::richtext::internal
