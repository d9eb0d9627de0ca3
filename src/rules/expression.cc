#include "rules/expression.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace tp::rules {

using nlohmann::json;

enum class NodeKind { kLiteral, kPath, kNot, kAnd, kOr, kCompare, kIn, kNotIn, kContains, kStartsWith };
enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe };

struct Expression::Node {
  NodeKind kind = NodeKind::kLiteral;
  CompareOp op = CompareOp::kEq;
  json literal;                       // kLiteral (a list literal is one JSON array)
  std::vector<std::string> path;      // kPath
  std::unique_ptr<const Node> left;   // operators; kNot uses only left
  std::unique_ptr<const Node> right;
};

namespace {

using Node = Expression::Node;

enum class TokenKind {
  kEnd, kNumber, kString, kName, kLParen, kRParen, kLBracket, kRBracket, kComma, kDot,
  kEq, kNe, kLt, kLe, kGt, kGe,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::size_t position = 0;  // 1-based
  std::string text;          // the source text; for a string the decoded value
  json number;
};

// Appends code point `cp` as UTF-8.
void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kEnd: return "the end";
    case TokenKind::kString: return "a string";
    default: return "\"" + token.text + "\"";
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::string field) : text_(text), field_(std::move(field)) {}

  Result<std::unique_ptr<const Node>> Run() {
    Advance();
    auto root = ParseOr(0);
    if (root && token_.kind != TokenKind::kEnd) Fail("an operator (and, or, ==, in, ...) or the end");
    if (!error_.ok()) return error_;
    return root;
  }

 private:
  // Records the first error only: later ones are consequences of it.
  std::nullptr_t Fail(std::string_view expected) { return FailAt(expected, token_); }
  std::nullptr_t FailAt(std::string_view expected, const Token& at) {
    if (error_.ok()) {
      error_ = InvalidArgument("expected " + std::string(expected) + " at position " + std::to_string(at.position) +
                                   ", found " + Describe(at),
                               field_);
    }
    token_.kind = TokenKind::kEnd;
    return nullptr;
  }
  void LexError(std::string message, std::size_t offset) {
    if (error_.ok()) error_ = InvalidArgument(message + " at position " + std::to_string(offset + 1), field_);
    token_ = Token{TokenKind::kEnd, offset + 1, {}, {}};
  }

  bool IsKeyword(std::string_view word) const { return token_.kind == TokenKind::kName && token_.text == word; }

  // Reads the next token into token_.
  void Advance() {
    if (!error_.ok()) return;
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    token_ = Token{TokenKind::kEnd, pos_ + 1, {}, {}};
    if (pos_ >= text_.size()) return;
    const std::size_t start = pos_;
    const char c = text_[pos_];
    auto next_is = [&](char expected) { return pos_ + 1 < text_.size() && text_[pos_ + 1] == expected; };
    auto punct = [&](TokenKind kind, std::size_t length) {
      token_.kind = kind;
      token_.text = std::string(text_.substr(start, length));
      pos_ += length;
    };
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '-' && pos_ + 1 < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1])))) {
      LexNumber();
    } else if (c == '"' || c == '\'') {
      LexString(c);
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
      token_.kind = TokenKind::kName;
      token_.text = std::string(text_.substr(start, pos_ - start));
    } else if (c == '(') { punct(TokenKind::kLParen, 1);
    } else if (c == ')') { punct(TokenKind::kRParen, 1);
    } else if (c == '[') { punct(TokenKind::kLBracket, 1);
    } else if (c == ']') { punct(TokenKind::kRBracket, 1);
    } else if (c == ',') { punct(TokenKind::kComma, 1);
    } else if (c == '.') { punct(TokenKind::kDot, 1);
    } else if (c == '=' && next_is('=')) { punct(TokenKind::kEq, 2);
    } else if (c == '!' && next_is('=')) { punct(TokenKind::kNe, 2);
    } else if (c == '<' && next_is('=')) { punct(TokenKind::kLe, 2);
    } else if (c == '>' && next_is('=')) { punct(TokenKind::kGe, 2);
    } else if (c == '<') { punct(TokenKind::kLt, 1);
    } else if (c == '>') { punct(TokenKind::kGt, 1);
    } else if (c == '=') {
      LexError("expected \"==\" (a single \"=\" is not an operator)", start);
    } else {
      LexError("unexpected character '" + std::string(1, c) + "'", start);
    }
  }

  void LexNumber() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      return pos_ > from;
    };
    if (text_[pos_] == '-') ++pos_;
    digits();
    bool is_integer = true;
    if (pos_ + 1 < text_.size() && text_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
      ++pos_;
      digits();
      is_integer = false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digits()) return LexError("expected the digits of an exponent", pos_);
      is_integer = false;
    }
    const std::string source(text_.substr(start, pos_ - start));
    // A number glued to a name ("6and") is a typo, not two tokens.
    if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      return LexError("expected a space or an operator after the number", pos_);
    }
    json value = is_integer ? json::parse(source, nullptr, false) : json();
    if (!value.is_number_integer()) {
      // Fractions, exponents and integers beyond 64 bits are doubles.
      value = std::strtod(source.c_str(), nullptr);
      if (!std::isfinite(value.get<double>())) return LexError("number out of range", start);
    }
    token_.kind = TokenKind::kNumber;
    token_.text = source;
    token_.number = std::move(value);
  }

  void LexString(char quote) {
    const std::size_t start = pos_++;
    std::string value;
    while (true) {
      if (pos_ >= text_.size()) return LexError("unterminated string starting", start);
      const char c = text_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ >= text_.size()) return LexError("unterminated string starting", start);
      const char escaped = text_[pos_++];
      switch (escaped) {
        case '"': value += '"'; break;
        case '\'': value += '\''; break;
        case '\\': value += '\\'; break;
        case '/': value += '/'; break;
        case 'n': value += '\n'; break;
        case 't': value += '\t'; break;
        case 'r': value += '\r'; break;
        case 'u': {
          std::uint32_t cp = 0;
          for (int digit_idx = 0; digit_idx < 4; ++digit_idx) {
            if (pos_ >= text_.size() || !std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {
              return LexError("expected four hexadecimal digits after \\u", pos_);
            }
            const char hex = text_[pos_++];
            cp = cp * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(hex))
                                                          ? hex - '0'
                                                          : std::tolower(static_cast<unsigned char>(hex)) - 'a' + 10);
          }
          if (cp >= 0xD800 && cp <= 0xDFFF) return LexError("\\u escapes of surrogates are not supported", pos_ - 6);
          AppendUtf8(value, cp);
          break;
        }
        default:
          return LexError("unknown escape \\" + std::string(1, escaped) + " (use \\\" \\' \\\\ \\n \\t \\r \\/ \\uXXXX)",
                          pos_ - 2);
      }
    }
    token_.kind = TokenKind::kString;
    token_.text = std::move(value);
  }

  bool TooDeep(int depth) {
    if (depth <= kMaxExpressionDepth) return false;
    if (error_.ok()) {
      error_ = InvalidArgument("nested deeper than " + std::to_string(kMaxExpressionDepth) + " levels at position " +
                                   std::to_string(token_.position),
                               field_);
    }
    token_.kind = TokenKind::kEnd;
    return true;
  }

  static std::unique_ptr<const Node> Binary(NodeKind kind, std::unique_ptr<const Node> left,
                                            std::unique_ptr<const Node> right, CompareOp op = CompareOp::kEq) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->op = op;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  std::unique_ptr<const Node> ParseOr(int depth) {
    auto left = ParseAnd(depth);
    while (left && IsKeyword("or")) {
      Advance();
      auto right = ParseAnd(depth);
      if (!right) return nullptr;
      left = Binary(NodeKind::kOr, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<const Node> ParseAnd(int depth) {
    auto left = ParseNot(depth);
    while (left && IsKeyword("and")) {
      Advance();
      auto right = ParseNot(depth);
      if (!right) return nullptr;
      left = Binary(NodeKind::kAnd, std::move(left), std::move(right));
    }
    return left;
  }

  std::unique_ptr<const Node> ParseNot(int depth) {
    if (!IsKeyword("not")) return ParseComparison(depth);
    if (TooDeep(depth + 1)) return nullptr;
    Advance();
    auto operand = ParseNot(depth + 1);
    if (!operand) return nullptr;
    return Binary(NodeKind::kNot, std::move(operand), nullptr);
  }

  std::unique_ptr<const Node> ParseComparison(int depth) {
    auto left = ParseOperand(depth);
    if (!left) return nullptr;
    std::optional<CompareOp> op;
    switch (token_.kind) {
      case TokenKind::kEq: op = CompareOp::kEq; break;
      case TokenKind::kNe: op = CompareOp::kNe; break;
      case TokenKind::kLt: op = CompareOp::kLt; break;
      case TokenKind::kLe: op = CompareOp::kLe; break;
      case TokenKind::kGt: op = CompareOp::kGt; break;
      case TokenKind::kGe: op = CompareOp::kGe; break;
      default: break;
    }
    NodeKind kind = NodeKind::kCompare;
    if (op) {
      kind = NodeKind::kCompare;
    } else if (IsKeyword("in")) {
      kind = NodeKind::kIn;
    } else if (IsKeyword("contains")) {
      kind = NodeKind::kContains;
    } else if (IsKeyword("starts_with")) {
      kind = NodeKind::kStartsWith;
    } else if (IsKeyword("not")) {
      Advance();
      if (!IsKeyword("in")) return Fail("\"in\" after \"not\"");
      kind = NodeKind::kNotIn;
    } else {
      return left;
    }
    Advance();
    auto right = ParseOperand(depth);
    if (!right) return nullptr;
    return Binary(kind, std::move(left), std::move(right), op.value_or(CompareOp::kEq));
  }

  static std::unique_ptr<const Node> Literal(json value) {
    auto node = std::make_unique<Node>();
    node->kind = NodeKind::kLiteral;
    node->literal = std::move(value);
    return node;
  }

  // A literal of a list: a number, a string, true, false or null.
  std::optional<json> ParseLiteral() {
    json value;
    if (token_.kind == TokenKind::kNumber) {
      value = token_.number;
    } else if (token_.kind == TokenKind::kString) {
      value = token_.text;
    } else if (IsKeyword("true")) {
      value = true;
    } else if (IsKeyword("false")) {
      value = false;
    } else if (IsKeyword("null")) {
      value = nullptr;
    } else {
      return std::nullopt;
    }
    Advance();
    return value;
  }

  std::unique_ptr<const Node> ParseOperand(int depth) {
    if (auto literal = ParseLiteral()) return Literal(std::move(*literal));
    if (token_.kind == TokenKind::kLParen) {
      if (TooDeep(depth + 1)) return nullptr;
      Advance();
      auto inner = ParseOr(depth + 1);
      if (!inner) return nullptr;
      if (token_.kind != TokenKind::kRParen) return Fail("\")\"");
      Advance();
      return inner;
    }
    if (token_.kind == TokenKind::kLBracket) {
      if (TooDeep(depth + 1)) return nullptr;
      Advance();
      json items = json::array();
      if (token_.kind != TokenKind::kRBracket) {
        while (true) {
          auto item = ParseLiteral();
          if (!item) return Fail("a number, string, true, false or null in the list");
          items.push_back(std::move(*item));
          if (token_.kind == TokenKind::kRBracket) break;
          if (token_.kind != TokenKind::kComma) return Fail("\",\" or \"]\"");
          Advance();
        }
      }
      Advance();
      return Literal(std::move(items));
    }
    if (token_.kind == TokenKind::kName && !IsReserved(token_.text)) {
      auto node = std::make_unique<Node>();
      node->kind = NodeKind::kPath;
      node->path.push_back(token_.text);
      Advance();
      while (token_.kind == TokenKind::kDot) {
        Advance();
        // After a dot any name is a field, keywords included ("case.in" is not ambiguous there), and
        // digits index a list.
        if (token_.kind == TokenKind::kName ||
            (token_.kind == TokenKind::kNumber && token_.number.is_number_unsigned())) {
          node->path.push_back(token_.text);
          Advance();
        } else {
          return Fail("a field name after \".\"");
        }
      }
      return node;
    }
    return Fail("an operand (a number, string, true, false, null, list, field name or \"(\")");
  }

  static bool IsReserved(std::string_view word) {
    for (std::string_view keyword : {"and", "or", "not", "in", "contains", "starts_with", "true", "false", "null"}) {
      if (word == keyword) return true;
    }
    return false;
  }

  std::string_view text_;
  std::string field_;
  std::size_t pos_ = 0;
  Token token_;
  Status error_;
};

const json& True() {
  static const json value(true);
  return value;
}
const json& False() {
  static const json value(false);
  return value;
}
const json& Null() {
  static const json value(nullptr);
  return value;
}
const json& Bool(bool value) { return value ? True() : False(); }

bool Equal(const json& left, const json& right) {
  if (left.is_number() && right.is_number()) {
    if (left.is_number_float() || right.is_number_float()) return left.get<double>() == right.get<double>();
    if (left.is_number_unsigned() != right.is_number_unsigned()) {
      // One side is negative or beyond int64: compare through double, exact enough for scores and counts.
      return left.get<double>() == right.get<double>();
    }
    return left == right;
  }
  return left == right;
}

// Ordering only between two numbers or two strings; anything else (null included) is unordered.
std::optional<int> Order(const json& left, const json& right) {
  if (left.is_number() && right.is_number()) {
    const double l = left.get<double>();
    const double r = right.get<double>();
    return l < r ? -1 : (l > r ? 1 : 0);
  }
  if (left.is_string() && right.is_string()) {
    const int order = left.get_ref<const std::string&>().compare(right.get_ref<const std::string&>());
    return order < 0 ? -1 : (order > 0 ? 1 : 0);
  }
  return std::nullopt;
}

char Fold(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool ContainsFolded(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t start = 0; start + needle.size() <= haystack.size(); ++start) {
    std::size_t char_idx = 0;
    while (char_idx < needle.size() && Fold(haystack[start + char_idx]) == Fold(needle[char_idx])) ++char_idx;
    if (char_idx == needle.size()) return true;
  }
  return false;
}

bool StartsFolded(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  for (std::size_t char_idx = 0; char_idx < prefix.size(); ++char_idx) {
    if (Fold(text[char_idx]) != Fold(prefix[char_idx])) return false;
  }
  return true;
}

bool ListHas(const json& list, const json& item) {
  if (!list.is_array()) return false;
  for (const json& element : list) {
    if (Equal(element, item)) return true;
  }
  return false;
}

const json& Resolve(const std::vector<std::string>& path, const json& context) {
  const json* current = &context;
  for (const std::string& segment : path) {
    if (current->is_object()) {
      const auto found = current->find(segment);
      if (found == current->end()) return Null();
      current = &*found;
    } else if (current->is_array() && !segment.empty() &&
               std::isdigit(static_cast<unsigned char>(segment.front()))) {
      const std::size_t index = std::stoull(segment);
      if (index >= current->size()) return Null();
      current = &(*current)[index];
    } else {
      return Null();
    }
  }
  return *current;
}

const json& Eval(const Node& node, const json& context) {
  switch (node.kind) {
    case NodeKind::kLiteral: return node.literal;
    case NodeKind::kPath: return Resolve(node.path, context);
    case NodeKind::kNot: return Bool(!(Eval(*node.left, context) == True()));
    case NodeKind::kAnd: return Bool(Eval(*node.left, context) == True() && Eval(*node.right, context) == True());
    case NodeKind::kOr: return Bool(Eval(*node.left, context) == True() || Eval(*node.right, context) == True());
    case NodeKind::kCompare: {
      const json& left = Eval(*node.left, context);
      const json& right = Eval(*node.right, context);
      if (node.op == CompareOp::kEq) return Bool(Equal(left, right));
      if (node.op == CompareOp::kNe) return Bool(!Equal(left, right));
      const std::optional<int> order = Order(left, right);
      if (!order) return False();
      switch (node.op) {
        case CompareOp::kLt: return Bool(*order < 0);
        case CompareOp::kLe: return Bool(*order <= 0);
        case CompareOp::kGt: return Bool(*order > 0);
        default: return Bool(*order >= 0);
      }
    }
    case NodeKind::kIn: return Bool(ListHas(Eval(*node.right, context), Eval(*node.left, context)));
    case NodeKind::kNotIn: {
      const json& list = Eval(*node.right, context);
      return Bool(list.is_array() && !ListHas(list, Eval(*node.left, context)));
    }
    case NodeKind::kContains: {
      const json& left = Eval(*node.left, context);
      const json& right = Eval(*node.right, context);
      if (left.is_string() && right.is_string()) {
        return Bool(ContainsFolded(left.get_ref<const std::string&>(), right.get_ref<const std::string&>()));
      }
      return Bool(ListHas(left, right));
    }
    case NodeKind::kStartsWith: {
      const json& left = Eval(*node.left, context);
      const json& right = Eval(*node.right, context);
      return Bool(left.is_string() && right.is_string() &&
                  StartsFolded(left.get_ref<const std::string&>(), right.get_ref<const std::string&>()));
    }
  }
  return Null();
}

}  // namespace

Result<Expression> Expression::Parse(std::string_view text, std::string field) {
  if (text.size() > kMaxExpressionChars) {
    return InvalidArgument("longer than " + std::to_string(kMaxExpressionChars) + " characters", field);
  }
  Parser parser(text, std::move(field));
  TP_ASSIGN_OR_RETURN(std::unique_ptr<const Node> root, parser.Run());
  return Expression(std::string(text), std::move(root));
}

Expression::Expression(std::string text, std::unique_ptr<const Node> root)
    : text_(std::move(text)), root_(std::move(root)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

const json& Expression::Evaluate(const json& context) const { return Eval(*root_, context); }

bool Expression::Matches(const json& context) const { return Evaluate(context) == True(); }

}  // namespace tp::rules
