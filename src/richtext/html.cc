// HTML bodies: libxml2 parses the body into a tree the way a lenient browser would (closing what is
// left open, decoding entities); an allowlist walk turns the tree into a flat list of safe events
// (open a kept element, close it, text); the HTML and the plain text are both rendered from that list,
// so they cannot disagree about what was kept.
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "richtext/internal.h"

namespace tp::richtext::internal {
namespace {

// ---- The allowlist ----

enum class Tag {
  kP,
  kBr,
  kDiv,
  kSpan,
  kB,
  kStrong,
  kI,
  kEm,
  kU,
  kS,
  kBlockquote,
  kPre,
  kCode,
  kUl,
  kOl,
  kLi,
  kA,
  kH1,
  kH2,
  kH3,
  kH4,
  kH5,
  kH6,
  kTable,
  kCaption,
  kThead,
  kTbody,
  kTfoot,
  kTr,
  kTd,
  kTh,
  kHr,
};
// In the order of Tag.
constexpr std::array<std::string_view, 32> kTagNames = {
    "p",   "br",    "div",     "span",  "b",     "strong", "i",  "em", "u",  "s",  "blockquote",
    "pre", "code",  "ul",      "ol",    "li",    "a",      "h1", "h2", "h3", "h4", "h5",
    "h6",  "table", "caption", "thead", "tbody", "tfoot",  "tr", "td", "th", "hr",
};
static_assert(kTagNames.size() == static_cast<std::size_t>(Tag::kHr) + 1);

std::string_view TagName(Tag tag) { return kTagNames[static_cast<std::size_t>(tag)]; }

// Elements that go with everything inside them: active content, forms, embedded documents and media,
// foreign content (SVG and MathML are where parser differentials live), and the document's head.
// Outlook's <xml> islands carry settings, not text.
constexpr auto kDroppedWithContent = std::to_array<std::string_view>({
    "script", "style",    "iframe",   "frame",    "frameset", "noframes", "object",   "applet",   "param",
    "form",   "input",    "button",   "textarea", "select",   "option",   "optgroup", "datalist", "svg",
    "math",   "template", "noscript", "noembed",  "head",     "title",    "meta",     "link",     "base",
    "audio",  "video",    "canvas",   "map",      "area",     "picture",  "portal",   "xml",      "dialog",
});
// Not in the list: <embed>, <source>, <track>, <wbr> and <keygen>. They are void in HTML5 but not in
// libxml2 2.9, which takes whatever follows them for their content; unwrapped, they keep it.

// Block elements outside the allowlist that are kept as a <div>, so that the lines they separate stay
// separate; every other unknown element is unwrapped.
constexpr auto kBlocksKeptAsDiv = std::to_array<std::string_view>({
    "section",    "article", "aside",   "header", "footer", "nav", "main",     "address", "center", "figure",
    "figcaption", "details", "summary", "dl",     "dt",     "dd",  "fieldset", "legend",  "hgroup", "search",
});

bool Contains(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::optional<Tag> KeptTag(std::string_view name) {
  for (std::size_t index = 0; index < kTagNames.size(); ++index) {
    if (kTagNames[index] == name) return static_cast<Tag>(index);
  }
  if (Contains(kBlocksKeptAsDiv, name)) return Tag::kDiv;
  return std::nullopt;
}

bool IsVoid(Tag tag) { return tag == Tag::kBr || tag == Tag::kHr; }
bool IsTablePart(Tag tag) {
  return tag == Tag::kCaption || tag == Tag::kThead || tag == Tag::kTbody || tag == Tag::kTfoot || tag == Tag::kTr ||
         tag == Tag::kTd || tag == Tag::kTh;
}

// ---- libxml2 ----

std::string_view AsText(const xmlChar* text) {
  return text == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(text));
}

void DiscardGenericError(void* /*context*/, const char* /*format*/, ...) {}
void DiscardStructuredError(void* /*context*/, xmlErrorPtr /*error*/) {}

// xmlInitParser must run once before threads use the parser. The error handlers are per thread in
// libxml2, so each thread installs the silent ones before its first parse: malformed HTML is the normal
// case here and must not end up on the server's stderr.
void PrepareLibxml2() {
  static std::once_flag initialised;
  std::call_once(initialised, [] { xmlInitParser(); });
  thread_local bool silenced = false;
  if (!silenced) {
    xmlSetGenericErrorFunc(nullptr, DiscardGenericError);
    xmlSetStructuredErrorFunc(nullptr, DiscardStructuredError);
    silenced = true;
  }
}

struct FreeDoc {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct FreeParserContext {
  void operator()(htmlParserCtxt* context) const { htmlFreeParserCtxt(context); }
};

// libxml2's HTML parser drops an element's prefix: <o:p> (which Outlook puts at the end of every
// paragraph) becomes a "p" inside the paragraph, <x:a> an "a". Its SAX start-element callback still
// sees the full name, so OnStartElement marks each element created from a prefixed name; the walk
// treats those as unknown.
char prefixed_element_marker;

// libxml2 2.9 looks through all open elements for each end tag that closes none: 65,000 unclosed <b>
// and as many </i> took 1.4 s. Reading stops at this depth; libxml2's own limit, 256, would cut long
// e-mail threads short, which nest a few elements per reply.
constexpr int kMaxDepth = 1024;

// The parser's start-element callback: libxml2's own, after the depth check, and the prefix mark.
void OnStartElement(void* context, const xmlChar* name, const xmlChar** attributes) {
  auto* parser = static_cast<htmlParserCtxt*>(context);
  if (parser->nameNr > kMaxDepth) {
    xmlStopParser(parser);
    return;
  }
  xmlSAX2StartElement(context, name, attributes);
  if (parser->node != nullptr && AsText(name).find(':') != std::string_view::npos) {
    parser->node->_private = &prefixed_element_marker;
  }
}

struct FreeXmlString {
  void operator()(xmlChar* text) const { xmlFree(text); }
};

std::optional<std::string> Attribute(const xmlNode& node, const char* name) {
  const std::unique_ptr<xmlChar, FreeXmlString> value(xmlGetNoNsProp(&node, reinterpret_cast<const xmlChar*>(name)));
  if (value == nullptr) return std::nullopt;
  return std::string(AsText(value.get()));
}

// Visits the nodes below `parent` in document order, calling visitor.Enter(node) on each, and
// visitor.Leave(node) after the children of every node Enter returned true for. Iterative: a message
// may nest elements thousands deep, which a server thread's stack is not the place for.
template <typename Visitor>
void WalkChildren(const xmlNode* parent, Visitor& visitor) {
  const xmlNode* node = parent->children;
  while (node != nullptr) {
    const bool entered = visitor.Enter(*node);
    if (entered && node->children != nullptr) {
      node = node->children;
      continue;
    }
    if (entered) visitor.Leave(*node);
    while (node->next == nullptr) {
      node = node->parent;
      if (node == nullptr || node == parent) return;
      visitor.Leave(*node);
    }
    node = node->next;
  }
}

// ---- Sanitising: the tree to events ----

struct Event {
  enum class Kind { kOpen, kClose, kText };
  Kind kind = Kind::kText;
  Tag tag = Tag::kSpan;
  std::string text;                                                  // kText: the text; kOpen of <a>: the href
  std::vector<std::pair<std::string_view, std::string>> attributes;  // kOpen of <td>, <th>
};

// Spans of table cells are the only attributes kept besides href: 1 to 3 digits, nothing else.
std::optional<std::string> SpanAttribute(const xmlNode& node, const char* name) {
  auto value = Attribute(node, name);
  if (!value || value->empty() || value->size() > 3 ||
      !std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return value;
}

class Sanitiser {
 public:
  bool Enter(const xmlNode& node) {
    if (node.type == XML_TEXT_NODE) {
      AddText(AsText(node.content));
      return false;
    }
    // Comments, CDATA, processing instructions, the doctype: none of them is content.
    if (node.type != XML_ELEMENT_NODE) return false;
    // A prefixed element (<o:p>, <x:a>) is unknown, but one named like an element that is dropped
    // (<svg:script>) is dropped too.
    const std::string_view name = AsText(node.name);
    if (Contains(kDroppedWithContent, name)) return false;
    const bool prefixed = node._private == &prefixed_element_marker;
    if (name == "img" && !prefixed) {
      // A remote image in a message is a tracking pixel; what it showed is in its alt text.
      const auto alt = Attribute(node, "alt");
      const std::size_t first = alt ? alt->find_first_not_of(" \t\n") : std::string::npos;
      if (first != std::string::npos) {
        AddText("[" + alt->substr(first, alt->find_last_not_of(" \t\n") - first + 1) + "]");
      }
      return false;
    }
    std::optional<Tag> tag = prefixed ? std::nullopt : KeptTag(name);
    Event open{.kind = Event::Kind::kOpen};
    if (tag && IsTablePart(*tag) && tables_ == 0) tag.reset();  // a stray cell is only its content
    if (tag == Tag::kA) {
      auto href = Attribute(node, "href");
      auto safe = href ? SafeHref(*href) : std::nullopt;
      if (!safe || links_ > 0) {
        tag.reset();  // a link to nowhere safe, or inside another link: its text stays
      } else {
        open.text = std::move(*safe);
      }
    }
    if (tag == Tag::kTd || tag == Tag::kTh) {
      for (const char* span : {"colspan", "rowspan"}) {
        if (auto value = SpanAttribute(node, span)) open.attributes.emplace_back(span, std::move(*value));
      }
    }
    open_.push_back(tag);
    if (!tag) return true;
    if (*tag == Tag::kTable) ++tables_;
    if (*tag == Tag::kA) ++links_;
    open.tag = *tag;
    events_.push_back(std::move(open));
    return true;
  }

  void Leave(const xmlNode& /*node*/) {
    const std::optional<Tag> tag = open_.back();
    open_.pop_back();
    if (!tag) return;
    if (*tag == Tag::kTable) --tables_;
    if (*tag == Tag::kA) --links_;
    events_.push_back({.kind = Event::Kind::kClose, .tag = *tag});
  }

  std::vector<Event> TakeEvents() && { return std::move(events_); }

 private:
  void AddText(std::string_view text) {
    if (text.empty()) return;
    if (!events_.empty() && events_.back().kind == Event::Kind::kText) {
      events_.back().text += text;
    } else {
      events_.push_back({.kind = Event::Kind::kText, .text = std::string(text)});
    }
  }

  std::vector<std::optional<Tag>> open_;  // per entered element: the tag it is kept as, or unwrapped
  int tables_ = 0;                        // kept <table>s open
  int links_ = 0;                         // kept <a>s open
  std::vector<Event> events_;
};

// ---- Preparing the input for libxml2 2.9 ----

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f'; }

// libxml2 2.9 checks each attribute of a start tag against all before it: a single tag with 40,000
// attributes took 7 s. No element needs more than a handful, and only href and the cell spans are kept.
constexpr int kMaxAttributesPerTag = 100;

// Copies the start tag at input[start] ("<" and a letter) with its first kMaxAttributesPerTag
// attributes, reading attributes the way libxml2 does (a name, optionally "=" and a quoted or unquoted
// value); returns where the copy stopped (at the tag's ">" or the end of the input).
std::size_t CopyStartTag(std::string_view input, std::size_t start, std::string& out) {
  std::size_t index = start + 1;
  while (index < input.size() && !IsBlank(input[index]) && input[index] != '>' && input[index] != '/') ++index;
  out += input.substr(start, index - start);
  int attributes = 0;
  while (true) {
    const std::size_t attribute_start = index;
    while (index < input.size() && IsBlank(input[index])) ++index;
    if (index >= input.size() || input[index] == '>' || input.substr(index).starts_with("/>")) {
      out += input.substr(attribute_start, index - attribute_start);
      return index;
    }
    while (index < input.size() && !IsBlank(input[index]) && input[index] != '=' && input[index] != '>') ++index;
    std::size_t after_name = index;
    while (after_name < input.size() && IsBlank(input[after_name])) ++after_name;
    if (after_name < input.size() && input[after_name] == '=') {
      index = after_name + 1;
      while (index < input.size() && IsBlank(input[index])) ++index;
      if (index < input.size() && (input[index] == '"' || input[index] == '\'')) {
        const std::size_t closing = input.find(input[index], index + 1);
        index = closing == std::string_view::npos ? input.size() : closing + 1;
      } else {
        while (index < input.size() && !IsBlank(input[index]) && input[index] != '>') ++index;
      }
    }
    if (index == attribute_start) ++index;  // a lone "/" or "="; never loop in place
    if (++attributes <= kMaxAttributesPerTag) out += input.substr(attribute_start, index - attribute_start);
  }
}

// What libxml2 2.9 would mishandle, fixed before it parses: the markup declarations an HTML5 parser
// turns into bogus comments ("<![CDATA[...]]>", Outlook's "<![if !supportLists]>") it shows as text,
// so they are removed, a CDATA section with its content (data, not text meant for a reader); real
// comments, which may contain them, are passed over whole. And start tags lose their attributes
// beyond kMaxAttributesPerTag.
std::string PrepareForLibxml2(const std::string& html) {
  std::string out;
  out.reserve(html.size());
  const std::string_view input = html;
  std::size_t index = 0;
  while (index < input.size()) {
    const std::size_t start = input.find('<', index);
    if (start == std::string_view::npos) break;
    out += input.substr(index, start - index);
    const std::string_view rest = input.substr(start);
    if (rest.size() > 1 && IsAsciiLetter(rest[1])) {
      index = CopyStartTag(input, start, out);
      continue;
    }
    if (!rest.starts_with("<!")) {
      out += '<';
      index = start + 1;
      continue;
    }
    std::string keyword;
    for (const char c : rest.substr(2, 7)) keyword += (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
    if (rest.starts_with("<!--")) {
      const std::size_t end = rest.find("-->", 4);
      const std::size_t length = end == std::string_view::npos ? rest.size() : end + 3;
      out += rest.substr(0, length);
      index = start + length;
    } else if (keyword == "doctype") {
      out += "<!";
      index = start + 2;
    } else {
      const std::string_view terminator = rest.starts_with("<![CDATA[") ? "]]>" : ">";
      const std::size_t end = rest.find(terminator, 2);
      index = end == std::string_view::npos ? input.size() : start + end + terminator.size();
    }
  }
  if (index < input.size()) out += input.substr(index);
  return out;
}

// ---- Rendering HTML ----

std::string_view TrimAsciiSpace(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\n\f");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\n\f") - first + 1);
}

std::string SerialiseHtml(const std::vector<Event>& events) {
  std::string out;
  for (const Event& event : events) {
    switch (event.kind) {
      case Event::Kind::kText: AppendEscaped(out, event.text); break;
      case Event::Kind::kClose:
        if (!IsVoid(event.tag)) {
          out += "</";
          out += TagName(event.tag);
          out += '>';
        }
        break;
      case Event::Kind::kOpen:
        if (event.tag == Tag::kA) {
          AppendLinkStart(out, event.text);
          break;
        }
        out += '<';
        out += TagName(event.tag);
        for (const auto& [name, value] : event.attributes) {
          out += ' ';
          out += name;
          out += "=\"";
          AppendEscaped(out, value);
          out += '"';
        }
        // libxml2 keeps the line feed right after <pre>, which a browser drops again: written as given,
        // the browser shows what it would have shown of the original.
        out += '>';
        break;
    }
  }
  return std::string(TrimAsciiSpace(out));
}

// ---- Rendering text ----

bool IsHtmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f'; }

// Writes readable text line by line. Line breaks and the separators between words and cells are
// pending until the next text arrives, so that empty elements and white space between blocks add
// nothing and the output neither starts nor ends with them. A line starts with the prefixes of the
// blocks it is in ("> " per quote, an indent per list item).
class TextWriter {
 public:
  void Open(const Event& event) {
    pre_just_opened_ = false;
    switch (event.tag) {
      case Tag::kP:
      case Tag::kPre:
      case Tag::kHr:
      case Tag::kH1:
      case Tag::kH2:
      case Tag::kH3:
      case Tag::kH4:
      case Tag::kH5:
      case Tag::kH6:
        RequestBreak(2);
        if (event.tag == Tag::kPre) ++preformatted_;
        pre_just_opened_ = event.tag == Tag::kPre;
        return;
      case Tag::kDiv:
      case Tag::kTable:
      case Tag::kCaption:
      case Tag::kTr: RequestBreak(1); break;
      case Tag::kTd:
      case Tag::kTh: cell_separator_ = true; break;
      case Tag::kBr: HardBreak(); break;
      case Tag::kBlockquote:
        RequestBreak(2);
        FlushBreaks();
        prefixes_.push_back("> ");
        break;
      case Tag::kUl:
      case Tag::kOl:
        RequestBreak(lists_.empty() ? 2 : 1);
        lists_.push_back({.ordered = event.tag == Tag::kOl});
        break;
      case Tag::kLi: {
        RequestBreak(1);
        FlushBreaks();
        std::string marker = "- ";
        if (!lists_.empty() && lists_.back().ordered) marker = std::to_string(++lists_.back().items) + ". ";
        if (at_line_start_) out_ += Prefix();
        out_ += marker;
        at_line_start_ = line_has_content_ = space_ = cell_separator_ = false;
        started_ = true;
        newlines_ = 0;
        prefixes_.push_back(std::string(marker.size(), ' '));
        break;
      }
      case Tag::kA: links_.push_back({.start = out_.size(), .href = event.text}); break;
      default: break;
    }
  }

  void Close(const Event& event) {
    pre_just_opened_ = false;
    switch (event.tag) {
      case Tag::kP:
      case Tag::kPre:
      case Tag::kH1:
      case Tag::kH2:
      case Tag::kH3:
      case Tag::kH4:
      case Tag::kH5:
      case Tag::kH6:
        RequestBreak(2);
        if (event.tag == Tag::kPre) --preformatted_;
        break;
      case Tag::kDiv:
      case Tag::kTable:
      case Tag::kCaption:
      case Tag::kTr: RequestBreak(1); break;
      case Tag::kBlockquote:
        prefixes_.pop_back();
        RequestBreak(2);
        break;
      case Tag::kUl:
      case Tag::kOl:
        lists_.pop_back();
        RequestBreak(lists_.empty() ? 2 : 1);
        break;
      case Tag::kLi:
        prefixes_.pop_back();
        RequestBreak(1);
        break;
      case Tag::kA: CloseLink(); break;
      default: break;
    }
  }

  void Text(std::string_view text) {
    // What a browser does: the line feed right after <pre> is not part of its text.
    if (pre_just_opened_ && text.starts_with('\n')) text.remove_prefix(1);
    pre_just_opened_ = false;
    if (preformatted_ > 0) {
      WritePreformatted(text);
    } else {
      WriteCollapsed(text);
    }
  }

  // The text, each line without trailing spaces. Breaks still pending at the end are never written.
  std::string Finish() && {
    std::string result;
    std::string_view rest = out_;
    while (true) {
      const std::size_t newline = rest.find('\n');
      const std::string_view line = rest.substr(0, newline);
      const std::size_t last = line.find_last_not_of(" \t");
      result += line.substr(0, last == std::string_view::npos ? 0 : last + 1);
      if (newline == std::string_view::npos) break;
      result += '\n';
      rest.remove_prefix(newline + 1);
    }
    return result;
  }

 private:
  struct List {
    bool ordered = false;
    int items = 0;
  };
  struct Link {
    std::size_t start = 0;
    std::string href;
  };

  // Quotes and lists nested deeper than kMaxPrefixLevels indent no further: a hostile message of
  // 15,000 nested quotes each holding a line break would otherwise render as 450 MB of "> ".
  static constexpr std::size_t kMaxPrefixLevels = 12;
  std::string Prefix() const {
    std::string prefix;
    for (std::size_t level = 0; level < std::min(prefixes_.size(), kMaxPrefixLevels); ++level)
      prefix += prefixes_[level];
    return prefix;
  }

  void RequestBreak(int newlines) {
    breaks_ = std::max(breaks_, newlines);
    space_ = false;
  }

  // A <br>, or a line feed in <pre>: one line break more than already wanted.
  void HardBreak() {
    if (!started_) return;
    breaks_ = std::max(breaks_, newlines_) + 1;
    space_ = false;
  }

  void FlushBreaks() {
    if (started_) {
      while (newlines_ < breaks_) NewLine();
    }
    breaks_ = 0;
  }

  void NewLine() {
    if (at_line_start_) {
      const std::string prefix = Prefix();
      out_ += prefix.substr(0, prefix.find_last_not_of(' ') + 1);
    }
    out_ += '\n';
    ++newlines_;
    at_line_start_ = true;
    line_has_content_ = space_ = cell_separator_ = false;
  }

  void Write(std::string_view text) {
    FlushBreaks();
    if (at_line_start_) {
      out_ += Prefix();
      at_line_start_ = false;
    } else if (line_has_content_ && cell_separator_) {
      out_ += '\t';
    } else if (line_has_content_ && space_) {
      out_ += ' ';
    }
    out_ += text;
    line_has_content_ = started_ = true;
    space_ = cell_separator_ = false;
    newlines_ = 0;
  }

  void WriteCollapsed(std::string_view text) {
    std::size_t index = 0;
    while (index < text.size()) {
      if (IsHtmlSpace(text[index])) {
        space_ = true;
        ++index;
        continue;
      }
      std::size_t end = index;
      while (end < text.size() && !IsHtmlSpace(text[end])) ++end;
      // A no-break space is a space that white space collapsing leaves alone.
      std::string word(text.substr(index, end - index));
      for (std::size_t nbsp = word.find("\xC2\xA0"); nbsp != std::string::npos; nbsp = word.find("\xC2\xA0", nbsp)) {
        word.replace(nbsp, 2, " ");
      }
      Write(word);
      index = end;
    }
  }

  void WritePreformatted(std::string_view text) {
    while (true) {
      const std::size_t newline = text.find('\n');
      const std::string_view line = text.substr(0, newline);
      if (!line.empty()) Write(line);
      if (newline == std::string_view::npos) return;
      HardBreak();
      text.remove_prefix(newline + 1);
    }
  }

  // "text (url)", unless the text already is the address; a link without text is its address.
  void CloseLink() {
    const Link link = std::move(links_.back());
    links_.pop_back();
    const std::string_view shown = TrimAsciiSpace(std::string_view(out_).substr(std::min(link.start, out_.size())));
    const auto address = [](std::string_view url) {
      if (url.starts_with("mailto:")) url.remove_prefix(7);  // SafeHref wrote the scheme in lower case
      if (url.ends_with('/')) url.remove_suffix(1);
      return url;
    };
    if (shown.empty()) {
      Write(link.href);
    } else if (address(shown) != address(link.href)) {
      space_ = true;
      Write("(" + link.href + ")");
    }
  }

  std::string out_;
  std::vector<std::string> prefixes_;
  std::vector<List> lists_;
  std::vector<Link> links_;
  int preformatted_ = 0;
  bool pre_just_opened_ = false;
  int breaks_ = 0;    // line breaks wanted before the next text (2: a blank line)
  int newlines_ = 0;  // line breaks written since the last text
  bool started_ = false;
  bool at_line_start_ = true;  // nothing, not even the prefix, written on this line yet
  bool line_has_content_ = false;
  bool space_ = false;
  bool cell_separator_ = false;
};

std::string RenderText(const std::vector<Event>& events) {
  TextWriter writer;
  for (const Event& event : events) {
    switch (event.kind) {
      case Event::Kind::kOpen: writer.Open(event); break;
      case Event::Kind::kClose: writer.Close(event); break;
      case Event::Kind::kText: writer.Text(event.text); break;
    }
  }
  return std::move(writer).Finish();
}

}  // namespace

RenderedBody RenderHtml(const std::string& cleaned) {
  PrepareLibxml2();
  const std::string html = PrepareForLibxml2(cleaned);
  static_assert(kMaxBodyBytes < INT_MAX);
  // NONET: never fetch anything; IGNORE_ENC: a <meta charset> cannot reinterpret what is UTF-8 by now;
  // HUGE: lifts libxml2's depth limit of 256 for our kMaxDepth (the input is capped at kMaxBodyBytes,
  // and nothing here recurses over the tree).
  const std::unique_ptr<htmlParserCtxt, FreeParserContext> parser(htmlNewParserCtxt());
  if (parser == nullptr || parser->sax == nullptr) return {};
  parser->sax->startElement = OnStartElement;  // the context's own copy of the handlers
  const std::unique_ptr<xmlDoc, FreeDoc> doc(
      htmlCtxtReadMemory(parser.get(), html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
                         HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_RECOVER |
                             HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE));
  if (doc == nullptr) return {};
  Sanitiser sanitiser;
  WalkChildren(reinterpret_cast<const xmlNode*>(doc.get()), sanitiser);
  const std::vector<Event> events = std::move(sanitiser).TakeEvents();
  return {.text = RenderText(events), .html = SerialiseHtml(events)};
}

}  // namespace tp::richtext::internal
