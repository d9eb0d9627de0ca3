#include "richtext/richtext.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace tp::richtext {
namespace {

RenderedBody Html(std::string_view body) {
  auto rendered = RenderBody(body, BodyFormat::kHtml);
  EXPECT_TRUE(rendered.ok()) << rendered.status().ToString();
  return rendered.ok() ? *rendered : RenderedBody{};
}

RenderedBody Text(std::string_view body) {
  auto rendered = RenderBody(body, BodyFormat::kText);
  EXPECT_TRUE(rendered.ok()) << rendered.status().ToString();
  return rendered.ok() ? *rendered : RenderedBody{};
}

std::string SanitisedHtml(std::string_view body) { return Html(body).html; }

// ---- Formats and limits ----

TEST(BodyFormat, NamesRoundTripInAnyCase) {
  for (const BodyFormat format : {BodyFormat::kText, BodyFormat::kHtml}) {
    auto parsed = ParseBodyFormat(BodyFormatName(format));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, format);
  }
  auto upper = ParseBodyFormat("HTML");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, BodyFormat::kHtml);
}

TEST(BodyFormat, AnUnknownNameNamesItsField) {
  auto parsed = ParseBodyFormat("markdown");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(parsed.status().field(), "format");
  EXPECT_EQ(parsed.status().message(), "format must be one of text, html");
  EXPECT_EQ(ParseBodyFormat("", "body_format").status().field(), "body_format");
}

TEST(RenderBody, AnEmptyOrBlankBodyIsRejected) {
  for (const std::string_view body : {"", " ", "\r\n\t \n", "\xEF\xBB\xBF  "}) {
    for (const BodyFormat format : {BodyFormat::kText, BodyFormat::kHtml}) {
      auto rendered = RenderBody(body, format);
      ASSERT_FALSE(rendered.ok()) << body;
      EXPECT_EQ(rendered.status().code(), ErrorCode::kInvalidArgument);
      EXPECT_EQ(rendered.status().field(), "body");
      EXPECT_EQ(rendered.status().message(), "a body must not be empty");
    }
  }
}

TEST(RenderBody, ABodyOverTheLimitIsRejectedAndOneAtTheLimitIsNot) {
  const std::string at_limit(kMaxBodyBytes, 'a');
  EXPECT_TRUE(RenderBody(at_limit, BodyFormat::kText).ok());
  EXPECT_TRUE(RenderBody(at_limit, BodyFormat::kHtml).ok());
  for (const BodyFormat format : {BodyFormat::kText, BodyFormat::kHtml}) {
    auto rendered = RenderBody(at_limit + "a", format);
    ASSERT_FALSE(rendered.ok());
    EXPECT_EQ(rendered.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(rendered.status().field(), "body");
    EXPECT_EQ(rendered.status().message(), "a body has at most 256 KiB");
  }
}

// ---- Plain-text bodies ----

TEST(PlainText, MarkupIsEscapedNotInterpreted) {
  const RenderedBody rendered = Text("<script>alert('x')</script> & \"quotes\"");
  EXPECT_EQ(rendered.text, "<script>alert('x')</script> & \"quotes\"");
  EXPECT_EQ(rendered.html, "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quotes&quot;</p>");
}

TEST(PlainText, BlankLinesSeparateParagraphsAndLineBreaksBecomeBr) {
  const RenderedBody rendered = Text("Dobrý den,\r\nzásilka dorazila.\r\n\r\n \r\nS pozdravem\rJana\n\n");
  EXPECT_EQ(rendered.text, "Dobrý den,\nzásilka dorazila.\n\n \nS pozdravem\nJana\n\n");
  EXPECT_EQ(rendered.html, "<p>Dobrý den,<br>zásilka dorazila.</p><p>S pozdravem<br>Jana</p>");
}

TEST(PlainText, HttpUrlsBecomeLinksWithoutTheirTrailingPunctuation) {
  EXPECT_EQ(Text("Track it at https://track.example.com/p?id=1&x=2.").html,
            "<p>Track it at <a href=\"https://track.example.com/p?id=1&amp;x=2\" rel=\"noopener noreferrer nofollow\" "
            "target=\"_blank\">https://track.example.com/p?id=1&amp;x=2</a>.</p>");
  EXPECT_EQ(Text("(see HTTP://example.com/a_(b))").html,
            "<p>(see <a href=\"http://example.com/a_(b)\" rel=\"noopener noreferrer nofollow\" "
            "target=\"_blank\">HTTP://example.com/a_(b)</a>)</p>");
}

TEST(PlainText, OtherSchemesAndBareSchemesStayText) {
  EXPECT_EQ(Text("javascript:alert(1) ftp://x.cz http:// https:///x xhttp://a.cz").html,
            "<p>javascript:alert(1) ftp://x.cz http:// https:///x xhttp://a.cz</p>");
}

TEST(PlainText, CzechTextIsPreserved) {
  const RenderedBody rendered = Text("Zásilka dorazila poškozená");
  EXPECT_EQ(rendered.text, "Zásilka dorazila poškozená");
  EXPECT_EQ(rendered.html, "<p>Zásilka dorazila poškozená</p>");
}

TEST(PlainText, InvalidUtf8AndControlCharactersBecomeReplacementCharacters) {
  // A lone continuation byte, a truncated sequence, an overlong "/", a surrogate, NUL and ESC.
  const RenderedBody rendered = Text(
      "a\x80"
      "b\xC5"
      "c\xC0\xAF"
      "d\xED\xA0\x80"
      "e" +
      std::string(1, '\0') +
      "f\x1B"
      "g");
  EXPECT_EQ(rendered.text, "a\uFFFDb\uFFFDc\uFFFD\uFFFDd\uFFFD\uFFFD\uFFFDe\uFFFDf\uFFFDg");
  EXPECT_EQ(rendered.html, "<p>" + rendered.text + "</p>");
}

TEST(PlainText, ABrokenSequenceIsOneReplacementAndTheNextCharacterSurvives) {
  // "\xE2\x82" starts a three-byte sequence that "x" breaks; "\xF0\x9F\x98" one of four broken by "é".
  EXPECT_EQ(Text("\xE2\x82x\xF0\x9F\x98\xC3\xA9").text, "\uFFFDx\uFFFDé");
}

// ---- HTML bodies: what is kept ----

TEST(Html, FormattingIsKeptAndAttributesAreDropped) {
  const RenderedBody rendered = Html(
      "<p class=\"x\" style=\"color:red\" id=\"p1\">Your <b>order</b> <i>is</i> <strong "
      "onclick=\"steal()\">late</strong></p>");
  EXPECT_EQ(rendered.html, "<p>Your <b>order</b> <i>is</i> <strong>late</strong></p>");
  EXPECT_EQ(rendered.text, "Your order is late");
}

TEST(Html, TextOutsideElementsIsWrappedInAParagraphByTheParser) {
  const RenderedBody rendered = Html("Hello <em>there</em>");
  EXPECT_EQ(rendered.html, "<p>Hello <em>there</em></p>");
  EXPECT_EQ(rendered.text, "Hello there");
}

TEST(Html, SafeLinksAreKeptWithRelAndTarget) {
  const RenderedBody rendered = Html(
      "<p>See <a href=\"https://example.com/faq?a=1&amp;b=2\" title=\"t\" onmouseover=\"x()\">the FAQ</a> or "
      "<a href=\"MAILTO:help@example.com\">help@example.com</a></p>");
  EXPECT_EQ(rendered.html,
            "<p>See <a href=\"https://example.com/faq?a=1&amp;b=2\" rel=\"noopener noreferrer nofollow\" "
            "target=\"_blank\">the FAQ</a> or <a href=\"mailto:help@example.com\" rel=\"noopener noreferrer nofollow\" "
            "target=\"_blank\">help@example.com</a></p>");
  EXPECT_EQ(rendered.text, "See the FAQ (https://example.com/faq?a=1&b=2) or help@example.com");
}

TEST(Html, ALinkWhoseTextIsItsAddressIsWrittenOnce) {
  EXPECT_EQ(Html("<a href=\"https://example.com/\">https://example.com</a>").text, "https://example.com");
  EXPECT_EQ(Html("<p>Logo: <a href=\"https://example.com/\"></a></p>").text, "Logo: https://example.com/");
}

TEST(Html, DangerousHrefsAreDroppedAndTheLinkTextStays) {
  const std::string_view hrefs[] = {
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "java&#x09;script:alert(1)",
      "java&#x0A;script:alert(1)",
      " javascript:alert(1)",
      "\x01javascript:alert(1)",
      "&#x20;&#x09;javascript:alert(1)",
      "javas&#99;ript:alert(1)",
      "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
      "&#0000106avascript:alert(1)",
      "jav&#x41;script:alert(1)",
      "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
      "DATA:text/html,<script>alert(1)</script>",
      "vbscript:msgbox(1)",
      "file:///etc/passwd",
      "/relative/path",
      "//evil.example.com/",
      "#top",
      "http:/only-one-slash",
      "",
  };
  for (const std::string_view href : hrefs) {
    const std::string body = "<p><a href=\"" + std::string(href) + "\" onclick=\"x()\">click</a></p>";
    const RenderedBody rendered = Html(body);
    EXPECT_EQ(rendered.html, "<p>click</p>") << href;
    EXPECT_EQ(rendered.text, "click") << href;
  }
}

TEST(Html, AnEntityCannotSmuggleMarkupOrAQuoteOutOfAnAttribute) {
  EXPECT_EQ(SanitisedHtml("<a href=\"https://x.cz/&quot;&gt;&lt;script&gt;\">x</a>"),
            "<a href=\"https://x.cz/&quot;&gt;&lt;script&gt;\" rel=\"noopener noreferrer nofollow\" "
            "target=\"_blank\">x</a>");
  EXPECT_EQ(SanitisedHtml("<p>&lt;img src=x onerror=alert(1)&gt;</p>"), "<p>&lt;img src=x onerror=alert(1)&gt;</p>");
}

TEST(Html, TablesKeepOnlyDigitSpans) {
  const RenderedBody rendered = Html(
      "<table border=1 style=\"x\"><tr><th colspan=\"2\">Order</th></tr>"
      "<tr><td rowspan=\"3\" colspan=\"2;x\">A-1</td><td colspan=\"99999\">shipped</td></tr></table>");
  EXPECT_EQ(rendered.html,
            "<table><tr><th colspan=\"2\">Order</th></tr><tr><td rowspan=\"3\">A-1</td><td>shipped</td></tr></table>");
  EXPECT_EQ(rendered.text, "Order\nA-1\tshipped");
}

TEST(Html, CellsOutsideATableAreUnwrapped) {
  EXPECT_EQ(SanitisedHtml("<div><td>cell</td><tr>row</tr></div>"), "<div>cellrow</div>");
}

TEST(Html, ListsQuotesAndHeadingsBecomeReadableText) {
  const RenderedBody rendered = Html(
      "<h2>Your return</h2><p>Steps:</p><ol><li>Pack it</li><li>Print the <b>label</b><ul><li>A4</li></ul></li></ol>"
      "<ul><li>First</li><li>Second</li></ul>"
      "<blockquote><p>On Monday you wrote:</p><p>Where is it?<br>Thanks</p></blockquote><p>Bye</p>");
  EXPECT_EQ(
      rendered.html,
      "<h2>Your return</h2><p>Steps:</p><ol><li>Pack it</li><li>Print the <b>label</b><ul><li>A4</li></ul></li>"
      "</ol><ul><li>First</li><li>Second</li></ul><blockquote><p>On Monday you wrote:</p><p>Where is it?<br>Thanks"
      "</p></blockquote><p>Bye</p>");
  EXPECT_EQ(rendered.text,
            "Your return\n\nSteps:\n\n1. Pack it\n2. Print the label\n   - A4\n\n- First\n- Second\n\n"
            "> On Monday you wrote:\n>\n> Where is it?\n> Thanks\n\nBye");
}

TEST(Html, WhitespaceCollapsesOutsidePre) {
  const RenderedBody rendered = Html("<div>  one\n\n   two&nbsp;&nbsp;three </div>\n<pre>\n\n  a  b\n\n c</pre>");
  EXPECT_EQ(rendered.html, "<div>  one\n\n   two\u00A0\u00A0three </div>\n<pre>\n\n  a  b\n\n c</pre>");
  // The line feed right after <pre> is not the text's (browsers drop it); the second one is.
  EXPECT_EQ(rendered.text, "one two  three\n\n\n  a  b\n\n c");
}

TEST(Html, BreaksAndEmptyBlocksDoNotPileUp) {
  EXPECT_EQ(Html("<br><p></p><div>a<br><br>b</div><div><br></div><div>c<br></div><p></p><br>").text, "a\n\nb\n\nc");
  // How web mail writes a blank line, and a paragraph holding only one.
  EXPECT_EQ(Html("<div>Hi</div><div><br></div><div>Text</div>").text, "Hi\n\nText");
  EXPECT_EQ(Html("<p>a</p><p><br></p><p>b</p>").text, "a\n\n\nb");
}

TEST(Html, BlockElementsOutsideTheAllowlistBecomeDivs) {
  const RenderedBody rendered = Html("<section>one</section><article><header>two</header></article>");
  EXPECT_EQ(rendered.html, "<div>one</div><div><div>two</div></div>");
  EXPECT_EQ(rendered.text, "one\ntwo");
}

// ---- HTML bodies: what goes ----

TEST(Html, ScriptsStylesAndFramesGoWithTheirContent) {
  const RenderedBody rendered = Html(
      "<p>before</p><script>alert(1)</script><style>p { color: red }</style>"
      "<iframe src=\"https://evil.example.com\">frame text</iframe><noscript>enable js</noscript>"
      "<object data=\"x\">obj</object><form action=\"x\"><input value=\"v\"><button>Go</button>"
      "<textarea>t</textarea><select><option>o</option></select></form><template>tpl</template><p>after</p>");
  EXPECT_EQ(rendered.html, "<p>before</p><p>after</p>");
  EXPECT_EQ(rendered.text, "before\n\nafter");
}

TEST(Html, VoidElementsLibxml2DoesNotKnowDoNotSwallowWhatFollows) {
  const RenderedBody rendered = Html("<p>before</p><embed src=\"x\"><p>middle<wbr>word</p><source src=y><p>after</p>");
  EXPECT_EQ(rendered.html, "<p>before</p><p>middleword</p><p>after</p>");
  EXPECT_EQ(rendered.text, "before\n\nmiddleword\n\nafter");
}

TEST(Html, TheHeadGoesAndTheBodyStays) {
  const RenderedBody rendered = Html(
      "<!DOCTYPE html><html><head><title>Subject</title><meta charset=\"iso-8859-2\"><base href=\"https://evil/\">"
      "<link rel=stylesheet href=x><style>body{}</style></head><body bgcolor=red><p>Zásilka dorazila poškozená</p>"
      "</body></html>");
  EXPECT_EQ(rendered.html, "<p>Zásilka dorazila poškozená</p>");
  EXPECT_EQ(rendered.text, "Zásilka dorazila poškozená");
}

TEST(Html, UnknownElementsAreUnwrappedEvenWhenNested) {
  const RenderedBody rendered =
      Html("<p><font face=\"Arial\"><custom-tag data-x=1><blink>Hi</blink></custom-tag></font> you</p>");
  EXPECT_EQ(rendered.html, "<p>Hi you</p>");
  EXPECT_EQ(rendered.text, "Hi you");
}

TEST(Html, PrefixedElementsAreUnknownEvenWithAKnownLocalName) {
  // Outlook ends every paragraph with an <o:p>, which libxml2 reads as "p" in namespace "o".
  const RenderedBody rendered = Html(
      "<p class=MsoNormal>Hello<o:p>&nbsp;</o:p></p><p>Hi <x:a href=\"https://x.cz\">there</x:a><x:img alt=a></p>"
      "<svg:script>alert(1)</svg:script>");
  EXPECT_EQ(rendered.html, "<p>Hello\u00A0</p><p>Hi there</p>");
  EXPECT_EQ(rendered.text, "Hello\n\nHi there");
}

TEST(Html, UnclosedAndMisnestedTagsAreClosed) {
  EXPECT_EQ(SanitisedHtml("<p>one<p>two <b>bold <i>both</b> after"),
            "<p>one</p><p>two <b>bold <i>both</i></b> after</p>");
  EXPECT_EQ(SanitisedHtml("<ul><li>a<li>b</ul><div><span>open"),
            "<ul><li>a</li><li>b</li></ul><div><span>open</span></div>");
}

TEST(Html, EntitiesAreDecodedForTextAndEscapedAgainForHtml) {
  const RenderedBody rendered =
      Html("<p>Fish &amp; chips &lt;3 &copy; &eacute;&#x161;&#269; &unknown; &quot;q&quot;</p>");
  EXPECT_EQ(rendered.html, "<p>Fish &amp; chips &lt;3 © éšč &amp;unknown; &quot;q&quot;</p>");
  EXPECT_EQ(rendered.text, "Fish & chips <3 © éšč &unknown; \"q\"");
}

TEST(Html, CommentsCdataAndProcessingInstructionsGo) {
  const RenderedBody rendered = Html(
      "<?xml version=\"1.0\"?><p>a<!-- secret <b>note</b> -->b<![CDATA[<script>alert(1)</script>]]>c<?php echo 1; ?>d"
      "<![if !supportLists]>e<![endif]>f<!--[if mso]><p>outlook only</p><![endif]--></p>");
  EXPECT_EQ(rendered.html, "<p>abcdef</p>");
  EXPECT_EQ(rendered.text, "abcdef");
}

TEST(Html, ImagesGoAndLeaveTheirAltText) {
  const RenderedBody rendered = Html(
      "<p><img src=\"https://track.example.com/pixel.gif\" width=1 height=1><img src=x alt=\" Our logo \"> Hi</p>");
  EXPECT_EQ(rendered.html, "<p>[Our logo] Hi</p>");
  EXPECT_EQ(rendered.text, "[Our logo] Hi");
}

TEST(Html, CzechTextIsPreservedInBothRenderings) {
  const RenderedBody rendered = Html("<div>Zásilka dorazila <b>poškozená</b>. Žluťoučký kůň</div>");
  EXPECT_EQ(rendered.html, "<div>Zásilka dorazila <b>poškozená</b>. Žluťoučký kůň</div>");
  EXPECT_EQ(rendered.text, "Zásilka dorazila poškozená. Žluťoučký kůň");
}

TEST(Html, InvalidUtf8IsReplacedAndTheRestStaysUtf8) {
  // libxml2 would take the whole document for Latin-1 on meeting the first invalid byte.
  const RenderedBody rendered = Html("<p>bad \xFF\xFE byte, then Zásilka</p>");
  EXPECT_EQ(rendered.html, "<p>bad \uFFFD\uFFFD byte, then Zásilka</p>");
  EXPECT_EQ(rendered.text, "bad \uFFFD\uFFFD byte, then Zásilka");
}

TEST(Html, NothingLeftRendersEmpty) {
  const RenderedBody rendered = Html("<script>alert(1)</script><!-- x -->");
  EXPECT_EQ(rendered.html, "");
  EXPECT_EQ(rendered.text, "");
}

// The vectors of OWASP's XSS filter evasion cheat sheet and of DOMPurify's mutation-XSS reports.
TEST(Html, CheatSheetVectorsLeaveNothingActive) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"<img src=x onerror=alert(1)>", ""},
      {"<svg onload=alert(1)><text>svg text</text></svg>", ""},
      {"<a href=\"javas&#99;ript:alert(1)\">x</a>", "x"},
      {"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""},
      {"<math><mi xlink:href=\"javascript:alert(1)\">m</mi></math>", ""},
      {"<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">", ""},
      {"<body onload=alert(1)>b</body>", "b"},
      {"<div style=\"background:url(javascript:alert(1))\">d</div>", "<div>d</div>"},
      {"<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"},
      {"<<script>alert(1);//<</script>", ""},
      {"<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\"></iframe>", ""},
      {"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", ""},
      {"<a href=\"https://ok.example.com\" style=\"x\" onclick=\"alert(1)\">ok</a>",
       "<a href=\"https://ok.example.com\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">ok</a>"},
      {"<table><td background=\"javascript:alert(1)\">t</td></table>", "<table><td>t</td></table>"},
      {"<form><button formaction=javascript:alert(1)>b</button></form>", ""},
      {"<details open ontoggle=alert(1)>d</details>", "<div>d</div>"},
      {"<xss onafterscriptexecute=alert(1)>x</xss>", "x"},
      {"<p title=\"&quot;><script>alert(1)</script>\">p</p>", "<p>p</p>"},
  };
  for (const auto& [vector, expected] : vectors) {
    EXPECT_EQ(SanitisedHtml(vector), expected) << vector;
  }
}

std::string Repeated(std::string_view part, int times) {
  std::string out;
  for (int count = 0; count < times; ++count) out += part;
  return out;
}

TEST(Html, ElementsNestedAThousandDeepAreRendered) {
  const RenderedBody rendered = Html(Repeated("<div><blockquote>", 500) + "deep");
  EXPECT_EQ(rendered.text, Repeated("> ", 12) + "deep");
  EXPECT_TRUE(rendered.html.starts_with(Repeated("<div><blockquote>", 500) + "deep</blockquote></div>"))
      << rendered.html;
}

TEST(Html, ReadingStopsBeyondTheDepthLimitAndKeepsWhatCameBefore) {
  // Each end tag that closes nothing makes libxml2 look through every open element.
  const RenderedBody rendered = Html("<p>kept</p>" + Repeated("<b>", 30000) + "lost" + Repeated("</i>", 30000));
  EXPECT_EQ(rendered.text, "kept");
  EXPECT_TRUE(rendered.html.starts_with("<p>kept</p><b><b>")) << rendered.html.substr(0, 100);
}

TEST(Html, QuotesNestedDeeplyIndentNoFurtherThanTwelveLevels) {
  const RenderedBody rendered = Html(Repeated("<blockquote>", 100) + "a<br>b");
  EXPECT_EQ(rendered.text, Repeated("> ", 12) + "a\n" + Repeated("> ", 12) + "b");
}

TEST(Html, AttributesBeyondAHundredInOneTagAreIgnored) {
  // libxml2 compares each attribute of a tag with all before it.
  std::string many;
  for (int index = 0; index < 99; ++index) many += " data-" + std::to_string(index) + "=\"v w\"";
  EXPECT_EQ(SanitisedHtml("<a" + many + " href=\"https://x.cz\">kept</a>"),
            "<a href=\"https://x.cz\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">kept</a>");
  EXPECT_EQ(SanitisedHtml("<a" + many + " x=1 href=\"https://x.cz\">dropped</a>"), "dropped");
  // libxml2 reads on through a "<" inside a tag, and so does the count.
  EXPECT_EQ(SanitisedHtml("<a" + Repeated(" < x", 60) + " href=\"https://x.cz\">dropped</a>"), "dropped");
  std::string thousands = "<p";
  for (int index = 0; index < 20000; ++index) thousands += " a" + std::to_string(index);
  EXPECT_EQ(Html(thousands + ">text</p>").text, "text");
}

TEST(Html, ParserErrorsAreNotWrittenToStderrOnAnyThread) {
  testing::internal::CaptureStderr();
  std::string text;
  constexpr std::string_view kBroken = "<p <<>> \xFF &#1; &#0; <x:y:z =>a</b></i></table><?x <!x";
  std::thread worker([&text, kBroken] { text = Html(kBroken).text; });
  worker.join();
  const std::string main_text = Html(kBroken).text;
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(text, main_text);
}

}  // namespace
}  // namespace tp::richtext
