// Safe renderings of help-desk message bodies. A message in a case conversation arrives as plain text
// (SMS, WhatsApp, a web form) or as HTML (e-mail, chat); it is stored as given and shown through the
// two renderings made here: a plain text (notifications, search, the compact view) and an HTML that a
// browser may insert into the agent's page as is.
//
//   TP_ASSIGN_OR_RETURN(BodyFormat format, ParseBodyFormat(request_format));         // "text" | "html"
//   TP_ASSIGN_OR_RETURN(RenderedBody rendered, RenderBody(message.body, format));
//   // rendered.html: "<p>Zásilka dorazila <b>poškozená</b></p>", rendered.text: "Zásilka dorazila poškozená"
//
// The HTML rendering is built from an allowlist, never by removing what is known to be bad: a few
// formatting elements survive; links only to http, https and mailto (opened in a new tab, with no
// referrer and no endorsement); scripts, styles, frames, forms, embedded objects, SVG and MathML go
// with their content; images go, leaving their alt text ("[logo]"), since a remote image in a message
// is a tracking pixel; every other element is unwrapped (its content kept); every other attribute is
// dropped. The output is serialised here with every text and attribute value escaped, so what the
// browser parses is exactly what the allowlist let through.
//
// Both renderings are valid UTF-8: invalid bytes, NUL and other control characters (except tab and
// line feed) become U+FFFD; line endings become "\n".
//
// Thread-safe: RenderBody may be called from any number of threads at once. libxml2 is initialised
// on first use, and its error reports are discarded instead of written to stderr.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tp::richtext {

// The largest body accepted, in bytes of input (a long e-mail thread in HTML fits several times over).
inline constexpr std::size_t kMaxBodyBytes = 256 * 1024;

enum class BodyFormat { kText, kHtml };

// "text" or "html".
constexpr std::string_view BodyFormatName(BodyFormat format) {
  switch (format) {
    case BodyFormat::kText: return "text";
    case BodyFormat::kHtml: return "html";
  }
  return "text";
}

// A format's name in any letter case; kInvalidArgument naming `field` otherwise.
Result<BodyFormat> ParseBodyFormat(std::string_view name, std::string_view field = "format");

struct RenderedBody {
  std::string text;  // readable plain text (of an HTML body: without trailing line breaks)
  std::string html;  // sanitised HTML fragment, safe to insert into a page
};

// `text` with & < > " ' escaped, for text inside HTML elements and attribute values (macros filling
// the placeholders of an HTML body).
std::string EscapeHtml(std::string_view text);

// Renders a message body in the given format.
//   text: `text` is the body with its line endings normalised; `html` is the escaped body, blank lines
//         separating <p> paragraphs and single line breaks becoming <br>, http(s) URLs made links.
//   html: `html` is the body through the allowlist above; `text` its readable text: blocks on their
//         own lines and paragraphs separated by a blank line, "- " before list items ("1. " in an
//         ordered list), "> " before quoted lines, table cells separated by a tab, links as
//         "text (url)" when the text is not the address, whitespace collapsed outside <pre>.
// kInvalidArgument (field "body") when the body is empty or only whitespace, or larger than
// kMaxBodyBytes. A body whose HTML has nothing left after sanitising renders as two empty strings.
Result<RenderedBody> RenderBody(std::string_view body, BodyFormat format);

}  // namespace tp::richtext
