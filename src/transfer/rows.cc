#include "transfer/rows.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <span>

#include "common/channels.h"
#include "common/crypto.h"
#include "common/money.h"
#include "profiles/customers.h"
#include "profiles/identifiers.h"
#include "profiles/text.h"

namespace tp::transfer {

using nlohmann::json;
using profiles::IdentifierKind;

enum class RowConverter::Role {
  kIgnored,
  kIdentifier,  // key holds the identifier kind's name
  kName,
  kFirstName,
  kLastName,
  kCreatedAt,
  kFirstSeenAt,
  kTraitsJson,
  kTrait,
  kMessageId,
  kType,
  kEventName,
  kPreviousId,
  kTimestamp,
  kPropertiesJson,
  kProperty,
  kContextJson,
  kChannel,
  kOrderId,
  kTotal,
  kRevenue,
  kCurrency,
  kStatus,
  kProducts,
};

namespace {

using Role = RowConverter::Role;

// 2000-01-01T00:00:00Z: events and orders before it come from a device with a reset clock (events.h).
constexpr Micros kEarliestEvent = 946'684'800LL * 1'000'000;
constexpr std::size_t kMaxTraitsBytes = std::min(events::kMaxPropertiesBytes, profiles::kMaxTraitsBytes);
constexpr std::size_t kMaxOrderIdChars = events::kMaxMessageIdChars - 7;  // "refund:" + id
// Order ids derived from an orders row without one (DerivedOrderId).
constexpr std::string_view kDerivedOrderIdPrefix = "row-";

std::size_t CountChars(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

// A JSON object or array held in one cell.
Result<json> JsonCell(std::string_view text, const std::string& column, bool want_array, std::size_t max_bytes) {
  const char* what = want_array ? "a JSON array" : "a JSON object";
  if (text.size() > max_bytes) {
    return InvalidArgument(column + " is longer than " + std::to_string(max_bytes) + " bytes", column);
  }
  if (profiles::JsonDepth(text) > events::kMaxEventDepth) {
    return InvalidArgument(column + " is nested more than " + std::to_string(events::kMaxEventDepth) + " levels",
                           column);
  }
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_discarded()) return InvalidArgument(column + " must be " + std::string(what) + " (malformed JSON)", column);
  if (want_array ? !parsed.is_array() : !parsed.is_object()) {
    return InvalidArgument(column + " must be " + std::string(what), column);
  }
  return parsed;
}

Status CheckSize(const json& document, const std::string& field, std::size_t max_bytes) {
  if (document.dump().size() > max_bytes) {
    return InvalidArgument(field + " are larger than " + std::to_string(max_bytes) + " bytes as JSON", field);
  }
  return Status::Ok();
}

bool AllDigits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<Micros> ParseImportTime(std::string_view text) {
  if (AllDigits(text) && (text.size() == 10 || text.size() == 13)) {
    const Micros value = std::strtoll(std::string(text).c_str(), nullptr, 10);
    return text.size() == 10 ? value * 1'000'000 : value * 1'000;
  }
  if (const std::optional<Micros> exact = ParseTimestamp(text)) return exact;
  constexpr std::size_t kDateChars = 10, kMinutesEnd = kDateChars + 6;  // "YYYY-MM-DD" and "THH:MM"
  if (text.size() < kMinutesEnd || (text[kDateChars] != ' ' && text[kDateChars] != 'T')) return std::nullopt;
  std::string rfc3339(text.substr(0, kMinutesEnd));
  std::string_view rest = text.substr(kMinutesEnd);
  if (!rest.starts_with(":")) rfc3339 += ":00";
  while (!rest.empty() && (rest.front() == ':' || rest.front() == '.' || (rest.front() >= '0' && rest.front() <= '9'))) {
    rfc3339 += rest.front();
    rest.remove_prefix(1);
  }
  rest = Trim(rest);
  if (rest.empty() || rest == "UTC" || rest == "GMT") {
    rfc3339 += 'Z';
  } else {
    rfc3339 += rest;
  }
  return ParseTimestamp(rfc3339);
}

namespace {

Result<Micros> TimeCell(std::string_view text, const std::string& column, Micros now, Micros earliest) {
  const std::optional<Micros> parsed = ParseImportTime(text);
  if (!parsed) {
    return InvalidArgument(column + " must be a time such as 2026-11-25T10:00:00Z, 2026-11-25 10:00:00 (UTC) or "
                           "2026-11-25",
                           column);
  }
  if (*parsed < earliest) return InvalidArgument(column + " is before " + FormatTimestamp(earliest), column);
  if (*parsed > now + events::kMaxFutureSkew) return InvalidArgument(column + " is in the future", column);
  return *parsed;
}

// Exact (common/money.h), then as the JSON number the event's properties hold.
Result<double> AmountCell(std::string_view text, const std::string& column) {
  TP_ASSIGN_OR_RETURN(const std::int64_t amount, ParseAmountText(text, column));
  return static_cast<double>(amount) / static_cast<double>(kAmountScale);
}

Result<std::string> LimitedText(std::string_view text, const std::string& column, std::size_t max_chars) {
  if (CountChars(text) > max_chars) {
    return InvalidArgument(column + " is longer than " + std::to_string(max_chars) + " characters", column);
  }
  return std::string(text);
}

std::optional<IdentifierKind> IdentifierColumn(std::string_view lower) {
  for (IdentifierKind kind : profiles::AllIdentifierKinds()) {
    if (profiles::IdentifierKindName(kind) == lower) return kind;
  }
  return std::nullopt;
}

// Kinds whose normalised values never hold spaces, so a cell may list several separated by spaces (a
// CSV export writes every value of such a kind into one cell). user_id (one per profile) and phone
// numbers (written with spaces by people) take one value.
bool AllowsSeveral(IdentifierKind kind) {
  return kind == IdentifierKind::kAnonymousId || kind == IdentifierKind::kEmail ||
         kind == IdentifierKind::kMessenger || kind == IdentifierKind::kTelegram || kind == IdentifierKind::kWebchat;
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    if (j > i) parts.push_back(text.substr(i, j - i));
    i = j;
  }
  return parts;
}

// Collects identifiers and keeps the first value per kind for traits and Message fields.
struct Identifiers {
  std::vector<profiles::Identifier> all;
  std::map<IdentifierKind, std::string> first;

  Status Add(IdentifierKind kind, std::string_view cell, const std::string& column) {
    std::vector<std::string_view> values;
    if (AllowsSeveral(kind)) {
      values = SplitSpaces(cell);
    } else {
      values.push_back(cell);
    }
    for (std::string_view value : values) {
      TP_ASSIGN_OR_RETURN(profiles::Identifier identifier, profiles::NormaliseIdentifier(kind, value, column));
      if (std::find(all.begin(), all.end(), identifier) != all.end()) continue;
      first.emplace(kind, identifier.value);
      all.push_back(std::move(identifier));
    }
    return Status::Ok();
  }
  const std::string* Get(IdentifierKind kind) const {
    const auto found = first.find(kind);
    return found == first.end() ? nullptr : &found->second;
  }
};

json ImportContext(ImportKind kind) {
  return json{{"library", {{"name", "touchpoint-import"}}}, {"import", {{"kind", ImportKindName(kind)}}}};
}

struct ColumnRule {
  std::string_view name;
  Role role;
};

constexpr ColumnRule kCustomerColumns[] = {
    {"name", Role::kName},          {"first_name", Role::kFirstName},    {"last_name", Role::kLastName},
    {"created_at", Role::kCreatedAt}, {"first_seen_at", Role::kFirstSeenAt}, {"first_seen", Role::kFirstSeenAt},
    {"traits", Role::kTraitsJson},
    // Written by a customers export and computed by touchpoint: ignored, so an export can be imported.
    {"id", Role::kIgnored},         {"updated_at", Role::kIgnored},
    {"last_seen_at", Role::kIgnored}, {"channels", Role::kIgnored},      {"orders_count", Role::kIgnored},
    {"revenue", Role::kIgnored},    {"refunds_count", Role::kIgnored},   {"refunded", Role::kIgnored},
};
constexpr ColumnRule kEventColumns[] = {
    {"message_id", Role::kMessageId}, {"type", Role::kType},           {"event", Role::kEventName},
    {"name", Role::kEventName},       {"previous_id", Role::kPreviousId}, {"timestamp", Role::kTimestamp},
    {"occurred_at", Role::kTimestamp}, {"properties", Role::kPropertiesJson}, {"traits", Role::kTraitsJson},
    {"context", Role::kContextJson},  {"channel", Role::kChannel},
    // Written by an events export and assigned by touchpoint: ignored.
    {"id", Role::kIgnored},           {"customer_id", Role::kIgnored},   {"received_at", Role::kIgnored},
    {"amount", Role::kIgnored},       {"currency", Role::kIgnored},  // properties.currency holds it
};
constexpr ColumnRule kOrderColumns[] = {
    {"order_id", Role::kOrderId},
    {"total", Role::kTotal},
    {"revenue", Role::kRevenue},
    {"amount", Role::kTotal},
    {"currency", Role::kCurrency},
    {"status", Role::kStatus},
    {"timestamp", Role::kTimestamp},
    {"ordered_at", Role::kTimestamp},
    {"ts", Role::kTimestamp},
    {"products", Role::kProducts},
    {"properties", Role::kPropertiesJson},
};

std::span<const ColumnRule> ColumnRules(ImportKind kind) {
  switch (kind) {
    case ImportKind::kCustomers: return kCustomerColumns;
    case ImportKind::kEvents: return kEventColumns;
    case ImportKind::kOrders: return kOrderColumns;
  }
  return kCustomerColumns;
}

// Which identifier columns each kind reads.
bool KindReadsIdentifier(ImportKind kind, IdentifierKind identifier) {
  switch (kind) {
    case ImportKind::kCustomers:
      return true;
    case ImportKind::kEvents:
      return identifier == IdentifierKind::kUserId || identifier == IdentifierKind::kAnonymousId ||
             identifier == IdentifierKind::kEmail || identifier == IdentifierKind::kPhone;
    case ImportKind::kOrders:
      return identifier == IdentifierKind::kUserId || identifier == IdentifierKind::kAnonymousId ||
             identifier == IdentifierKind::kEmail || identifier == IdentifierKind::kPhone;
  }
  return false;
}

constexpr std::string_view kTraitPrefix = "traits.";
constexpr std::string_view kPropertyPrefix = "properties.";

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLowerOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string SnakeCase(std::string_view name) {
  std::string snake;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == ' ' || c == '-' || c == '_') {
      if (!snake.empty() && snake.back() != '_') snake += '_';
      continue;
    }
    // A capital starts a word after a lower-case letter or digit ("userId"), or ends an acronym
    // before a lower-case letter ("IDNumber").
    const bool starts_word = IsUpper(c) && i > 0 &&
                             (IsLowerOrDigit(name[i - 1]) ||
                              (IsUpper(name[i - 1]) && i + 1 < name.size() && IsLowerOrDigit(name[i + 1])));
    if (starts_word && !snake.empty() && snake.back() != '_') snake += '_';
    snake += IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
  }
  while (!snake.empty() && snake.back() == '_') snake.pop_back();
  return snake;
}

namespace {

// What a documented column holds, and the name a derived message id gives it.
struct Target {
  Role role = Role::kIgnored;
  std::string key;           // the identifier kind, or the trait or property key
  std::string content_name;  // see RowConverter::ContentId
};

// The documented column of a `kind` file that `name` spells, if any: "traits.<key>" and
// "properties.<key>" as written (the key keeps its case), anything else in any spelling SnakeCase meets.
std::optional<Target> DocumentedColumn(ImportKind kind, std::string_view name) {
  const std::string lower = Lower(name);
  if (kind != ImportKind::kOrders && lower.starts_with(kTraitPrefix) && name.size() > kTraitPrefix.size()) {
    return Target{Role::kTrait, std::string(name.substr(kTraitPrefix.size())), lower};
  }
  if (kind != ImportKind::kCustomers && lower.starts_with(kPropertyPrefix) && name.size() > kPropertyPrefix.size()) {
    return Target{Role::kProperty, std::string(name.substr(kPropertyPrefix.size())), lower};
  }
  const std::string snake = SnakeCase(name);
  if (const auto identifier = IdentifierColumn(snake); identifier && KindReadsIdentifier(kind, *identifier)) {
    return Target{Role::kIdentifier, snake, snake};
  }
  // A shop's orders export names its own customer number customer_id: the user id touchpoint knows
  // the customer by. (Customers and events exports write touchpoint's profile id there, ignored.)
  if (kind == ImportKind::kOrders && snake == "customer_id") {
    const std::string user_id(profiles::IdentifierKindName(IdentifierKind::kUserId));
    return Target{Role::kIdentifier, user_id, user_id};
  }
  for (const ColumnRule& rule : ColumnRules(kind)) {
    if (rule.name == snake) return Target{rule.role, "", snake};
  }
  return std::nullopt;
}

// The documented columns of a `kind` file, for error messages.
std::string DocumentedColumnNames(ImportKind kind) {
  std::string names;
  for (IdentifierKind identifier : profiles::AllIdentifierKinds()) {
    if (!KindReadsIdentifier(kind, identifier)) continue;
    names += std::string(names.empty() ? "" : ", ") + std::string(profiles::IdentifierKindName(identifier));
  }
  for (const ColumnRule& rule : ColumnRules(kind)) {
    if (rule.role != Role::kIgnored) names += ", " + std::string(rule.name);
  }
  if (kind != ImportKind::kOrders) names += ", traits.<key>";
  if (kind != ImportKind::kCustomers) names += ", properties.<key>";
  return names + ", " + std::string(kIgnoreTarget);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  return joined;
}

// The mapping's targets by the lower-case name of the column each maps; every target must be a
// documented column of `kind` (or "ignore") and every mapped column one of `header`.
Result<std::map<std::string, Target>> ResolveMapping(ImportKind kind, const ColumnMapping& mapping,
                                                     const std::vector<std::string>& header) {
  std::set<std::string> columns;
  for (const std::string& name : header) columns.insert(Lower(Trim(name)));
  std::map<std::string, Target> targets;
  std::vector<std::string> unknown_targets, missing_columns;
  for (const auto& [column, target_name] : mapping) {
    const std::string name(Trim(column));
    const std::string target_text(Trim(target_name));
    std::optional<Target> target = SnakeCase(target_text) == kIgnoreTarget ? std::optional<Target>(Target{})
                                                                             : DocumentedColumn(kind, target_text);
    if (!target) unknown_targets.push_back(target_text);
    if (!columns.contains(Lower(name))) missing_columns.push_back(name);
    if (target && !targets.emplace(Lower(name), *std::move(target)).second) {
      return InvalidArgument("the mapping maps column " + name + " twice", "map");
    }
  }
  if (!unknown_targets.empty()) {
    return InvalidArgument("the mapping names " + JoinNames(unknown_targets) + ", which " +
                               (unknown_targets.size() == 1 ? "is" : "are") + " not a column of " +
                               std::string(ImportKindName(kind)) + " files (" + DocumentedColumnNames(kind) + ")",
                           "map");
  }
  if (!missing_columns.empty()) {
    return InvalidArgument("the mapping names column " + JoinNames(missing_columns) + ", which the header does not have",
                           "map");
  }
  return targets;
}

}  // namespace

std::string_view ImportKindName(ImportKind kind) {
  switch (kind) {
    case ImportKind::kCustomers: return "customers";
    case ImportKind::kEvents: return "events";
    case ImportKind::kOrders: return "orders";
  }
  return "customers";
}

Result<ImportKind> ParseImportKind(std::string_view name) {
  for (ImportKind kind : {ImportKind::kCustomers, ImportKind::kEvents, ImportKind::kOrders}) {
    if (ImportKindName(kind) == name) return kind;
  }
  return InvalidArgument("the import kind must be customers, events or orders", "kind");
}

Status ParseColumnMapping(std::string_view text, ColumnMapping& mapping) {
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find(',', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = Trim(text.substr(begin, end - begin));
    begin = end + 1;
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    const std::string_view column = equals == std::string_view::npos ? "" : Trim(pair.substr(0, equals));
    const std::string_view target = equals == std::string_view::npos ? "" : Trim(pair.substr(equals + 1));
    if (column.empty() || target.empty()) {
      return InvalidArgument("the mapping must be COLUMN=TARGET pairs separated by commas, e.g. customer_id=user_id "
                             "(not \"" + std::string(pair) + "\")",
                             "map");
    }
    mapping.emplace_back(column, target);
  }
  return Status::Ok();
}

Status ParseColumnMappingJson(std::string_view text, ColumnMapping& mapping) {
  const json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_object()) {
    return InvalidArgument("the mapping file must hold a JSON object of column names, e.g. {\"customer_id\": \"user_id\"}",
                           "map");
  }
  for (const auto& [column, target] : parsed.items()) {
    if (!target.is_string()) return InvalidArgument("the mapping of " + column + " must be a column name", "map");
    mapping.emplace_back(column, target.get<std::string>());
  }
  return Status::Ok();
}

Result<RowConverter> RowConverter::Create(ImportKind kind, const std::vector<std::string>& header, Micros now,
                                          const ColumnMapping& mapping) {
  RowConverter converter;
  converter.kind_ = kind;
  converter.now_ = now;
  TP_ASSIGN_OR_RETURN(const auto mapped, ResolveMapping(kind, mapping, header));
  std::set<std::string> seen;
  // Which column holds each documented value (aliases such as event/name count as one), for the
  // duplicate check: an identifier kind by its name, any other value by its role.
  std::map<std::pair<Role, std::string>, std::string> holders;
  bool has_identifier = false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string name(Trim(header[i]));
    converter.header_.push_back(name);
    if (name.empty()) return InvalidArgument("column " + std::to_string(i + 1) + " of the header has no name", "header");
    const std::string lower = Lower(name);
    if (!seen.insert(lower).second) return InvalidArgument("the header names " + name + " twice", name);
    std::optional<Target> target;
    if (const auto found = mapped.find(lower); found != mapped.end()) {
      target = found->second;
    } else {
      target = DocumentedColumn(kind, name);
    }
    if (!target) {
      if (kind == ImportKind::kEvents) {
        return InvalidArgument("unknown column " + name + " (map it to a column of events, or to ignore; see "
                               "docs/import-export.md)",
                               name);
      }
      // Customers: any other column is a trait; orders: a property of the order.
      target = Target{kind == ImportKind::kCustomers ? Role::kTrait : Role::kProperty, name, lower};
    }
    const bool single = target->role != Role::kIgnored && target->role != Role::kTrait && target->role != Role::kProperty;
    if (single) {
      const std::pair<Role, std::string> value{target->role, target->role == Role::kIdentifier ? target->key : ""};
      if (const auto [holder, added] = holders.emplace(value, name); !added) {
        return InvalidArgument("the header has two columns for the same value (" + holder->second + " and " + name + ")",
                               name);
      }
    }
    if (target->role == Role::kIdentifier) has_identifier = true;
    converter.columns_.push_back(Column{target->role, name, std::move(target->key), std::move(target->content_name)});
  }
  const std::string_view hint = " (or map one of the file's columns to it, e.g. customer_id=user_id)";
  if (!has_identifier) {
    return InvalidArgument(std::string(kind == ImportKind::kCustomers
                                           ? "the header needs an identifier column: user_id, email, phone, "
                                             "anonymous_id, whatsapp, messenger or telegram"
                                           : "the header needs an identifier column: user_id, anonymous_id, email or "
                                             "phone") +
                               std::string(hint),
                           "user_id");
  }
  // Without an order id the row's content names the order, and its time is part of that content: a
  // file without either would give every re-import new orders.
  if (kind == ImportKind::kOrders && !holders.contains({Role::kOrderId, ""})) {
    if (!holders.contains({Role::kTimestamp, ""})) {
      return InvalidArgument(
          "the header needs an order_id column, or a timestamp column to derive each order's id "
          "from (or map one of the file's columns to it, e.g. id=order_id)",
          "order_id");
    }
    converter.derive_order_id_ = true;
  }
  return converter;
}

namespace {

// The order id of an orders row without one: a digest of what the row says, as parsed (so a re-export
// that spells the same time or amount differently names the same order): the customer's identifiers,
// the time to the microsecond, completed or refunded, and every property (amount, currency, products
// with their lines, other columns). Re-importing the file adds nothing; two orders alike in all of that
// are one order.
std::string DerivedOrderId(const std::vector<profiles::Identifier>& identifiers, Micros occurred_at, bool refunded,
                           const json& properties) {
  std::vector<std::string> named;
  for (const profiles::Identifier& identifier : identifiers) {
    named.push_back(std::string(profiles::IdentifierKindName(identifier.kind)) + "=" + identifier.value);
  }
  std::sort(named.begin(), named.end());
  const json content{{"identifiers", named},
                     {"occurred_at", occurred_at},
                     {"status", refunded ? "refunded" : "completed"},
                     {"properties", properties}};
  return std::string(kDerivedOrderIdPrefix) + Sha256Hex(content.dump()).substr(0, 32);
}

}  // namespace

std::string RowConverter::ContentId(const std::vector<std::string>& fields) const {
  std::vector<std::pair<std::string, std::string_view>> pairs;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].role == Role::kIgnored) continue;
    const std::string_view value = Trim(fields[i]);
    if (value.empty()) continue;
    pairs.emplace_back(columns_[i].content_name, value);
  }
  std::sort(pairs.begin(), pairs.end());
  std::string canonical;
  for (const auto& [name, value] : pairs) {
    canonical += std::to_string(name.size()) + ":" + name + "=" + std::to_string(value.size()) + ":";
    canonical += value;
    canonical += '\n';
  }
  return "import:" + std::string(ImportKindName(kind_)) + ":" + Sha256Hex(canonical);
}

Result<events::Message> RowConverter::Convert(const std::vector<std::string>& fields) const {
  if (fields.size() != columns_.size()) {
    return InvalidArgument("the row has " + std::to_string(fields.size()) + " fields, the header " +
                               std::to_string(columns_.size()),
                           "row");
  }
  switch (kind_) {
    case ImportKind::kCustomers: return ConvertCustomer(fields);
    case ImportKind::kEvents: return ConvertEvent(fields);
    case ImportKind::kOrders: return ConvertOrder(fields);
  }
  return Internal("unknown import kind");
}

Result<events::Message> RowConverter::ConvertCustomer(const std::vector<std::string>& fields) const {
  events::Message message;
  message.type = events::EventType::kIdentify;
  message.received_at = now_;
  message.occurred_at = now_;
  message.context = ImportContext(kind_);
  Identifiers identifiers;
  json traits = json::object();
  json column_traits = json::object();
  std::string name, first_name, last_name;
  std::optional<Micros> created_at, first_seen_at;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const Column& column = columns_[i];
    const std::string_view value = Trim(fields[i]);
    if (value.empty()) continue;
    switch (column.role) {
      case Role::kIdentifier: {
        TP_RETURN_IF_ERROR(identifiers.Add(*profiles::ParseIdentifierKind(column.key), value, column.name));
        break;
      }
      case Role::kName: {
        TP_ASSIGN_OR_RETURN(name, LimitedText(value, column.name, profiles::kMaxCustomerNameChars));
        break;
      }
      case Role::kFirstName: {
        TP_ASSIGN_OR_RETURN(first_name, LimitedText(value, column.name, profiles::kMaxCustomerNameChars));
        break;
      }
      case Role::kLastName: {
        TP_ASSIGN_OR_RETURN(last_name, LimitedText(value, column.name, profiles::kMaxCustomerNameChars));
        break;
      }
      case Role::kCreatedAt: {
        TP_ASSIGN_OR_RETURN(created_at, TimeCell(value, column.name, now_, 0));
        break;
      }
      case Role::kFirstSeenAt: {
        TP_ASSIGN_OR_RETURN(first_seen_at, TimeCell(value, column.name, now_, 0));
        break;
      }
      case Role::kTraitsJson: {
        TP_ASSIGN_OR_RETURN(traits, JsonCell(value, column.name, false, kMaxTraitsBytes));
        break;
      }
      case Role::kTrait: {
        column_traits[column.key] = std::string(value);
        break;
      }
      default:
        break;
    }
  }
  if (identifiers.all.empty()) {
    return InvalidArgument("a customer needs at least one identifier: user_id, email, phone, anonymous_id, "
                           "whatsapp, messenger or telegram",
                           "user_id");
  }
  for (auto& [key, value] : column_traits.items()) traits[key] = std::move(value);
  if (name.empty() && (!first_name.empty() || !last_name.empty())) {
    name = first_name.empty() ? last_name : last_name.empty() ? first_name : first_name + " " + last_name;
    TP_ASSIGN_OR_RETURN(name, LimitedText(name, "last_name", profiles::kMaxCustomerNameChars));
  }
  if (!first_name.empty()) traits["first_name"] = first_name;
  if (!last_name.empty()) traits["last_name"] = last_name;
  if (!name.empty()) traits["name"] = name;
  if (const std::string* email = identifiers.Get(IdentifierKind::kEmail)) traits["email"] = *email;
  if (const std::string* phone = identifiers.Get(IdentifierKind::kPhone)) traits["phone"] = *phone;
  if (created_at) {
    traits["created_at"] = FormatTimestamp(*created_at);
    message.occurred_at = *created_at;
    message.customer_since = *created_at;
  }
  message.first_seen_at = first_seen_at;
  TP_RETURN_IF_ERROR(CheckSize(traits, "traits", kMaxTraitsBytes));
  if (const std::string* user_id = identifiers.Get(IdentifierKind::kUserId)) message.user_id = *user_id;
  if (const std::string* anonymous_id = identifiers.Get(IdentifierKind::kAnonymousId)) message.anonymous_id = *anonymous_id;
  message.identifiers = std::move(identifiers.all);
  message.traits = std::move(traits);
  message.message_id = ContentId(fields);
  return message;
}

Result<events::Message> RowConverter::ConvertEvent(const std::vector<std::string>& fields) const {
  events::Message message;
  message.received_at = now_;
  message.occurred_at = now_;
  Identifiers identifiers;
  json properties = json::object(), column_properties = json::object();
  json traits = json::object(), column_traits = json::object();
  json context = json::object();
  std::string previous_id_column;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const Column& column = columns_[i];
    const std::string_view value = Trim(fields[i]);
    if (value.empty()) continue;
    switch (column.role) {
      case Role::kIdentifier: {
        TP_RETURN_IF_ERROR(identifiers.Add(*profiles::ParseIdentifierKind(column.key), value, column.name));
        break;
      }
      case Role::kMessageId: {
        TP_ASSIGN_OR_RETURN(message.message_id, LimitedText(value, column.name, events::kMaxMessageIdChars));
        break;
      }
      case Role::kType: {
        Result<events::EventType> type = events::ParseEventType(Lower(value));
        if (!type.ok()) {
          return InvalidArgument("type must be identify, track, page, screen, group or alias", column.name);
        }
        message.type = *type;
        break;
      }
      case Role::kEventName: {
        TP_ASSIGN_OR_RETURN(message.name, LimitedText(value, column.name, events::kMaxEventNameChars));
        break;
      }
      case Role::kPreviousId: {
        TP_ASSIGN_OR_RETURN(message.previous_id, LimitedText(value, column.name, profiles::kMaxIdentifierChars));
        previous_id_column = column.name;
        break;
      }
      case Role::kTimestamp: {
        TP_ASSIGN_OR_RETURN(message.occurred_at, TimeCell(value, column.name, now_, kEarliestEvent));
        break;
      }
      case Role::kPropertiesJson: {
        TP_ASSIGN_OR_RETURN(properties, JsonCell(value, column.name, false, events::kMaxPropertiesBytes));
        break;
      }
      case Role::kProperty: {
        column_properties[column.key] = std::string(value);
        break;
      }
      case Role::kTraitsJson: {
        TP_ASSIGN_OR_RETURN(traits, JsonCell(value, column.name, false, events::kMaxPropertiesBytes));
        break;
      }
      case Role::kTrait: {
        column_traits[column.key] = std::string(value);
        break;
      }
      case Role::kContextJson: {
        TP_ASSIGN_OR_RETURN(context, JsonCell(value, column.name, false, events::kMaxContextBytes));
        break;
      }
      case Role::kChannel: {
        TP_ASSIGN_OR_RETURN(const Channel channel, ParseChannel(value, column.name));  // common/channels.h
        message.channel = ChannelName(channel);
        break;
      }
      default:
        break;
    }
  }
  if (identifiers.all.empty()) {
    return InvalidArgument("an event needs user_id, anonymous_id, email or phone", "user_id");
  }
  for (auto& [key, value] : column_properties.items()) properties[key] = std::move(value);
  for (auto& [key, value] : column_traits.items()) traits[key] = std::move(value);
  const bool carries_traits = message.type == events::EventType::kIdentify || message.type == events::EventType::kGroup;
  if (carries_traits && !properties.empty()) {
    return InvalidArgument("identify and group rows carry traits, not properties", "properties");
  }
  if (!carries_traits && !traits.empty()) {
    return InvalidArgument("only identify and group rows carry traits", "traits");
  }
  switch (message.type) {
    case events::EventType::kTrack:
      if (message.name.empty()) return InvalidArgument("a track event needs an event name", "event");
      break;
    case events::EventType::kGroup:
      if (message.name.empty()) return InvalidArgument("a group row needs the group id in the name column", "name");
      break;
    case events::EventType::kAlias:
      if (!message.previous_id) return InvalidArgument("an alias row needs previous_id", "previous_id");
      break;
    default:
      break;
  }
  const std::string* user_id = identifiers.Get(IdentifierKind::kUserId);
  if (message.type == events::EventType::kAlias && !user_id) {
    return InvalidArgument("an alias row needs user_id", "user_id");
  }
  if (message.type == events::EventType::kIdentify) {
    if (const std::string* email = identifiers.Get(IdentifierKind::kEmail)) traits["email"] = *email;
    if (const std::string* phone = identifiers.Get(IdentifierKind::kPhone)) traits["phone"] = *phone;
  }
  TP_RETURN_IF_ERROR(CheckSize(properties, "properties", events::kMaxPropertiesBytes));
  TP_RETURN_IF_ERROR(CheckSize(traits, "traits", events::kMaxPropertiesBytes));
  TP_RETURN_IF_ERROR(CheckSize(context, "context", events::kMaxContextBytes));
  if (user_id) message.user_id = *user_id;
  if (const std::string* anonymous_id = identifiers.Get(IdentifierKind::kAnonymousId)) message.anonymous_id = *anonymous_id;
  message.identifiers = std::move(identifiers.all);
  message.properties = std::move(properties);
  message.traits = std::move(traits);
  if (context.empty()) context = ImportContext(kind_);
  message.context = std::move(context);
  if (message.message_id.empty()) message.message_id = ContentId(fields);
  TP_RETURN_IF_ERROR(events::ApplyOrderFields(message));
  return message;
}

Result<events::Message> RowConverter::ConvertOrder(const std::vector<std::string>& fields) const {
  events::Message message;
  message.type = events::EventType::kTrack;
  message.received_at = now_;
  message.occurred_at = now_;
  message.context = ImportContext(kind_);
  Identifiers identifiers;
  json properties = json::object(), column_properties = json::object();
  std::string order_id, currency;
  std::optional<double> total, revenue;
  std::optional<json> products;
  bool refunded = false;
  bool has_timestamp = false;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const Column& column = columns_[i];
    const std::string_view value = Trim(fields[i]);
    if (value.empty()) continue;
    switch (column.role) {
      case Role::kIdentifier: {
        TP_RETURN_IF_ERROR(identifiers.Add(*profiles::ParseIdentifierKind(column.key), value, column.name));
        break;
      }
      case Role::kOrderId: {
        TP_ASSIGN_OR_RETURN(order_id, LimitedText(value, column.name, kMaxOrderIdChars));
        break;
      }
      case Role::kTotal: {
        TP_ASSIGN_OR_RETURN(total, AmountCell(value, column.name));
        break;
      }
      case Role::kRevenue: {
        TP_ASSIGN_OR_RETURN(revenue, AmountCell(value, column.name));
        break;
      }
      case Role::kCurrency: {
        std::string upper(value);
        for (char& c : upper) {
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        }
        if (upper.size() != 3 || !std::all_of(upper.begin(), upper.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
          return InvalidArgument("currency must be a three-letter ISO 4217 code such as EUR", column.name);
        }
        currency = upper;
        break;
      }
      case Role::kStatus: {
        const std::string status = Lower(value);
        if (status == "refunded") {
          refunded = true;
        } else if (status != "completed") {
          return InvalidArgument("status must be completed or refunded", column.name);
        }
        break;
      }
      case Role::kTimestamp: {
        TP_ASSIGN_OR_RETURN(message.occurred_at, TimeCell(value, column.name, now_, kEarliestEvent));
        has_timestamp = true;
        break;
      }
      case Role::kProducts: {
        TP_ASSIGN_OR_RETURN(products, JsonCell(value, column.name, true, events::kMaxPropertiesBytes));
        break;
      }
      case Role::kPropertiesJson: {
        TP_ASSIGN_OR_RETURN(properties, JsonCell(value, column.name, false, events::kMaxPropertiesBytes));
        break;
      }
      case Role::kProperty: {
        column_properties[column.key] = std::string(value);
        break;
      }
      default:
        break;
    }
  }
  if (order_id.empty() && !derive_order_id_) return InvalidArgument("an order needs an order_id", "order_id");
  if (derive_order_id_ && !has_timestamp) {
    return InvalidArgument("an order without an order_id needs its timestamp", "timestamp");
  }
  if (!identifiers.Get(IdentifierKind::kUserId) && !identifiers.Get(IdentifierKind::kEmail) &&
      !identifiers.Get(IdentifierKind::kPhone)) {
    return InvalidArgument("an order needs user_id, email or phone", "user_id");
  }
  if (!total && !revenue) return InvalidArgument("an order needs a total or revenue", "total");
  for (auto& [key, value] : column_properties.items()) properties[key] = std::move(value);
  if (total) properties["total"] = *total;
  if (revenue) properties["revenue"] = *revenue;
  if (!currency.empty()) properties["currency"] = currency;
  if (products) properties["products"] = std::move(*products);
  if (order_id.empty()) order_id = DerivedOrderId(identifiers.all, message.occurred_at, refunded, properties);
  properties["order_id"] = order_id;
  TP_RETURN_IF_ERROR(CheckSize(properties, "properties", events::kMaxPropertiesBytes));
  message.name = std::string(refunded ? events::kOrderRefunded : events::kOrderCompleted);
  if (const std::string* user_id = identifiers.Get(IdentifierKind::kUserId)) message.user_id = *user_id;
  if (const std::string* anonymous_id = identifiers.Get(IdentifierKind::kAnonymousId)) message.anonymous_id = *anonymous_id;
  message.identifiers = std::move(identifiers.all);
  message.properties = std::move(properties);
  TP_RETURN_IF_ERROR(events::ApplyOrderFields(message));  // the message id and amount, as on every path
  return message;
}

}  // namespace tp::transfer
