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

Result<Micros> TimeCell(std::string_view text, const std::string& column, Micros now, Micros earliest) {
  const std::optional<Micros> parsed = ParseTimestamp(text);
  if (!parsed) return InvalidArgument(column + " must be an RFC 3339 timestamp, e.g. 2026-11-25T10:00:00Z", column);
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
    {"created_at", Role::kCreatedAt}, {"traits", Role::kTraitsJson},
    // Written by a customers export and computed by touchpoint: ignored, so an export can be imported.
    {"id", Role::kIgnored},         {"updated_at", Role::kIgnored},      {"first_seen_at", Role::kIgnored},
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
    {"order_id", Role::kOrderId},   {"total", Role::kTotal},        {"revenue", Role::kRevenue},
    {"currency", Role::kCurrency},  {"status", Role::kStatus},      {"timestamp", Role::kTimestamp},
    {"ordered_at", Role::kTimestamp}, {"products", Role::kProducts}, {"properties", Role::kPropertiesJson},
};

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

Result<RowConverter> RowConverter::Create(ImportKind kind, const std::vector<std::string>& header, Micros now) {
  RowConverter converter;
  converter.kind_ = kind;
  converter.now_ = now;
  std::set<std::string> seen;
  std::set<Role> seen_roles;
  bool has_identifier = false;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string name(Trim(header[i]));
    converter.header_.push_back(name);
    if (name.empty()) return InvalidArgument("column " + std::to_string(i + 1) + " of the header has no name", "header");
    const std::string lower = Lower(name);
    if (!seen.insert(lower).second) return InvalidArgument("the header names " + name + " twice", name);
    Column column{Role::kIgnored, name, ""};
    bool known = false;
    if (const auto identifier = IdentifierColumn(lower); identifier && KindReadsIdentifier(kind, *identifier)) {
      column.role = Role::kIdentifier;
      column.key = lower;
      known = true;
      has_identifier = true;
    }
    const std::span<const ColumnRule> rules = kind == ImportKind::kCustomers ? std::span<const ColumnRule>(kCustomerColumns)
                                              : kind == ImportKind::kEvents  ? std::span<const ColumnRule>(kEventColumns)
                                                                             : std::span<const ColumnRule>(kOrderColumns);
    for (const ColumnRule& rule : rules) {
      if (!known && rule.name == lower) {
        column.role = rule.role;
        known = true;
      }
    }
    if (!known && kind != ImportKind::kOrders && lower.starts_with("traits.") && name.size() > 7) {
      column.role = Role::kTrait;
      column.key = name.substr(7);
      known = true;
    }
    if (!known && kind != ImportKind::kCustomers && lower.starts_with("properties.") && name.size() > 11) {
      column.role = Role::kProperty;
      column.key = name.substr(11);
      known = true;
    }
    if (!known) {
      if (kind == ImportKind::kEvents) {
        return InvalidArgument("unknown column " + name + " (see docs/import-export.md for the columns of events)", name);
      }
      // Customers: any other column is a trait; orders: a property of the order.
      column.role = kind == ImportKind::kCustomers ? Role::kTrait : Role::kProperty;
      column.key = name;
    }
    // Aliases (event/name, timestamp/occurred_at) may not both be given.
    const bool single = column.role != Role::kIgnored && column.role != Role::kIdentifier &&
                        column.role != Role::kTrait && column.role != Role::kProperty;
    if (single && !seen_roles.insert(column.role).second) {
      return InvalidArgument("the header has two columns for the same value (" + name + ")", name);
    }
    converter.columns_.push_back(std::move(column));
  }
  if (!has_identifier) {
    return InvalidArgument(kind == ImportKind::kCustomers
                               ? "the header needs an identifier column: user_id, email, phone, anonymous_id, "
                                 "whatsapp, messenger or telegram"
                               : "the header needs an identifier column: user_id, anonymous_id, email or phone",
                           "user_id");
  }
  if (kind == ImportKind::kOrders && !seen_roles.contains(Role::kOrderId)) {
    return InvalidArgument("the header needs an order_id column", "order_id");
  }
  return converter;
}

std::string RowConverter::ContentId(const std::vector<std::string>& fields) const {
  std::vector<std::pair<std::string, std::string_view>> pairs;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].role == Role::kIgnored) continue;
    const std::string_view value = Trim(fields[i]);
    if (value.empty()) continue;
    pairs.emplace_back(Lower(columns_[i].name), value);
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
  std::optional<Micros> created_at;
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
  }
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
  if (order_id.empty()) return InvalidArgument("an order needs an order_id", "order_id");
  if (!identifiers.Get(IdentifierKind::kUserId) && !identifiers.Get(IdentifierKind::kEmail) &&
      !identifiers.Get(IdentifierKind::kPhone)) {
    return InvalidArgument("an order needs user_id, email or phone", "user_id");
  }
  if (!total && !revenue) return InvalidArgument("an order needs a total or revenue", "total");
  for (auto& [key, value] : column_properties.items()) properties[key] = std::move(value);
  properties["order_id"] = order_id;
  if (total) properties["total"] = *total;
  if (revenue) properties["revenue"] = *revenue;
  if (!currency.empty()) properties["currency"] = currency;
  if (products) properties["products"] = std::move(*products);
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
