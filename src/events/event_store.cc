// Storing and listing events.
#include <array>
#include <bit>
#include <charconv>
#include <iterator>
#include <span>

#include "common/ids.h"
#include "events/events.h"
#include "store/sql_params.h"

namespace tp::events {
namespace {

using store::Sql;
using store::SqlParams;

constexpr std::string_view kIdPrefix = "evt_";
constexpr std::string_view kInsertHead =
    "INSERT INTO events (tenant_id, id, message_id, customer_id, type, name, user_id, anonymous_id, channel, amount, "
    "currency, reporting_amount, reporting_currency, exchange_rate, properties, context, occurred_at, received_at) "
    "VALUES ";
// Without RETURNING: SQLite buffers returned rows in a temporary table, a cost per event. The count of
// inserted rows tells whether any message id was already known, which is rare.
constexpr std::string_view kInsertTail = " ON CONFLICT (tenant_id, message_id) DO NOTHING";
constexpr std::string_view kColumns =
    "id, message_id, customer_id, type, name, user_id, anonymous_id, channel, amount, currency, reporting_amount, "
    "reporting_currency, exchange_rate, properties, context, occurred_at, received_at";

Event EventFromRow(const store::Row& row) {
  const Result<EventType> type = ParseEventType(row.Text(3));
  return Event{.id = row.Text(0),
               .message_id = row.Text(1),
               .customer_id = row.Text(2),
               .type = type.ok() ? *type : EventType::kTrack,
               .name = row.Text(4),
               .user_id = row.OptionalText(5),
               .anonymous_id = row.OptionalText(6),
               .channel = row.Text(7),
               .amount = MoneyAt(row, 8),
               .reporting_amount = MoneyAt(row, 10),
               .exchange_rate = row.IsNull(12) ? "" : row.Text(12),
               .properties_json = row.Text(13),
               .context_json = row.Text(14),
               .occurred_at = row.Int(15),
               .received_at = row.Int(16)};
}

// Values per row after the tenant ($1): the columns of kInsertHead from id on.
constexpr std::size_t kValuesPerRow = 17;
// Events are inserted in chunks of power-of-two sizes up to this: few rows per statement would cost a
// round trip each, and a statement per batch size would crowd the prepared-statement caches.
constexpr std::size_t kLargestChunk = 64;
constexpr std::size_t kChunkSizes = std::countr_zero(kLargestChunk) + 1;  // 1, 2, 4, … 64

// The INSERT for `rows` (a power of two) events: the same text for every call with that many rows,
// built once.
const std::string& InsertSql(std::size_t rows) {
  static const std::array<std::string, kChunkSizes> kByPowerOfTwo = [] {
    std::array<std::string, kChunkSizes> texts;
    for (std::size_t power = 0; power < texts.size(); ++power) {
      std::string& sql = texts[power];
      sql = kInsertHead;
      int next = 2;
      for (std::size_t row = 0; row < (std::size_t{1} << power); ++row) {
        sql += row == 0 ? "($1" : ", ($1";
        for (std::size_t value = 0; value < kValuesPerRow; ++value) sql += ", $" + std::to_string(next++);
        sql += ')';
      }
      sql += kInsertTail;
    }
    return texts;
  }();
  return kByPowerOfTwo[static_cast<std::size_t>(std::countr_zero(rows))];
}

// Appends one row's values in kInsertHead's column order, moving the event's text out.
void AddRow(std::vector<store::Value>& values, Event&& event) {
  values.emplace_back(std::move(event.id));
  values.emplace_back(std::move(event.message_id));
  values.emplace_back(std::move(event.customer_id));
  values.emplace_back(std::string(EventTypeName(event.type)));
  values.emplace_back(std::move(event.name));
  values.push_back(store::Nullable(event.user_id));
  values.push_back(store::Nullable(event.anonymous_id));
  values.emplace_back(std::move(event.channel));
  for (const std::optional<Money>& money : {event.amount, event.reporting_amount}) {
    values.push_back(money ? store::Value(money->amount) : store::Value());
    values.push_back(money ? store::Value(money->currency) : store::Value());
  }
  values.push_back(event.exchange_rate.empty() ? store::Value() : store::Value(std::move(event.exchange_rate)));
  values.emplace_back(std::move(event.properties_json));
  values.emplace_back(std::move(event.context_json));
  values.emplace_back(event.occurred_at);
  values.emplace_back(event.received_at);
}

// The cursor of a time-ordered list: "<occurred_at>:<id>".
std::string TimeCursorOf(const Event& event) { return std::to_string(event.occurred_at) + ":" + event.id; }

Result<std::pair<Micros, std::string>> ParseTimeCursor(std::string_view cursor) {
  const std::size_t colon = cursor.find(':');
  Micros at = 0;
  if (colon == std::string_view::npos ||
      std::from_chars(cursor.data(), cursor.data() + colon, at).ptr != cursor.data() + colon) {
    return InvalidArgument("cursor is not one this list handed out", "cursor");
  }
  return std::pair{at, std::string(cursor.substr(colon + 1))};
}

}  // namespace

std::optional<Money> MoneyAt(const store::Row& row, int amount_column) {
  if (row.IsNull(amount_column)) return std::nullopt;
  return Money{.amount = row.Int(amount_column), .currency = row.Text(amount_column + 1)};
}

nlohmann::json AmountJson(const std::optional<Money>& amount, const std::optional<Money>& reporting_amount,
                          std::string_view exchange_rate) {
  if (!amount) return nullptr;
  return {{"amount", FormatAmount(amount->amount)},
          {"currency", amount->currency},
          {"reporting_amount", reporting_amount ? nlohmann::json(FormatAmount(reporting_amount->amount)) : nullptr},
          {"reporting_currency", reporting_amount ? nlohmann::json(reporting_amount->currency) : nullptr},
          {"exchange_rate", reporting_amount ? nlohmann::json(exchange_rate) : nullptr}};
}

Event EventFromMessage(const Message& message, std::string customer_id) {
  return Event{.id = NewId(kIdPrefix),
               .message_id = message.message_id,
               .customer_id = std::move(customer_id),
               .type = message.type,
               .name = message.name,
               .user_id = message.user_id,
               .anonymous_id = message.anonymous_id,
               .channel = message.channel,
               .amount = message.amount,
               .properties_json = !message.stored_payload.empty() ? message.stored_payload
                                  : CarriesTraits(message.type)    ? message.traits.dump()
                                                                   : message.properties.dump(),
               .context_json = !message.stored_context.empty() ? message.stored_context : message.context.dump(),
               .occurred_at = message.occurred_at,
               .received_at = message.received_at};
}

namespace {

// Inserts `chunk` (a power of two up to kLargestChunk) in one statement and appends the message ids it
// stored to `stored`.
Status InsertChunk(store::TenantTx& tx, std::span<Event> chunk, std::vector<std::string>& stored) {
  std::vector<store::Value> values;
  values.reserve(chunk.size() * kValuesPerRow + 1);
  std::vector<std::string> message_ids;
  std::vector<std::string> ids;  // fresh: those found after the INSERT are the events it stored
  message_ids.reserve(chunk.size());
  ids.reserve(chunk.size());
  for (Event& event : chunk) {
    message_ids.push_back(event.message_id);
    ids.push_back(event.id);
    AddRow(values, std::move(event));
  }
  TP_ASSIGN_OR_RETURN(const std::int64_t inserted, tx.Execute(InsertSql(chunk.size()), std::move(values)));
  if (inserted == static_cast<std::int64_t>(chunk.size())) {
    std::move(message_ids.begin(), message_ids.end(), std::back_inserter(stored));
    return Status::Ok();
  }
  if (inserted == 0) return Status::Ok();
  SqlParams params;
  const std::string list = params.BindList(ids);
  TP_ASSIGN_OR_RETURN(store::Rows rows,
                      tx.Query(Sql({"SELECT message_id FROM events WHERE tenant_id = $1 AND id IN (", list, ")"}),
                               params.values()));
  for (const store::Row& row : rows) stored.push_back(row.Text(0));
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> InsertEvents(store::TenantTx& tx, std::vector<Event> events) {
  std::vector<std::string> stored;
  stored.reserve(events.size());
  for (std::size_t next = 0; next < events.size();) {
    std::size_t chunk = kLargestChunk;
    while (chunk > events.size() - next) chunk /= 2;
    TP_RETURN_IF_ERROR(InsertChunk(tx, std::span<Event>(events).subspan(next, chunk), stored));
    next += chunk;
  }
  return stored;
}

Result<Page<Event>> ListEvents(store::TenantTx& tx, const EventQuery& query, const PageRequest& page) {
  SqlParams params;
  std::string sql = Sql({"SELECT ", kColumns, " FROM events WHERE tenant_id = $1"});
  if (query.type) sql += Sql({" AND type = ", params.Bind(std::string(EventTypeName(*query.type)))});
  if (query.name) sql += Sql({" AND name = ", params.Bind(*query.name)});
  const std::string limit = std::to_string(page.limit + 1);
  if (query.customer_id) {
    // A customer's events in the order they happened, newest first (the timeline's order).
    sql += Sql({" AND customer_id = ", params.Bind(*query.customer_id)});
    if (!page.after_id.empty()) {
      TP_ASSIGN_OR_RETURN(const auto cursor, ParseTimeCursor(page.after_id));
      const std::string at = params.Bind(cursor.first);
      sql += Sql({" AND (occurred_at < ", at, " OR (occurred_at = ", at, " AND id < ", params.Bind(cursor.second), "))"});
    }
    sql += Sql({" ORDER BY occurred_at DESC, id DESC LIMIT ", limit});
  } else {
    // Across customers in the order they arrived (ids are time-ordered), newest first: the primary key
    // serves it, so ingestion pays for no extra index.
    if (!page.after_id.empty()) sql += Sql({" AND id < ", params.Bind(page.after_id)});
    sql += Sql({" ORDER BY id DESC LIMIT ", limit});
  }
  TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(sql, params.values()));
  std::vector<Event> events;
  events.reserve(rows.size());
  for (const store::Row& row : rows) events.push_back(EventFromRow(row));
  if (query.customer_id) return MakePage(std::move(events), page.limit, TimeCursorOf);
  return MakePage(std::move(events), page.limit, [](const Event& event) { return event.id; });
}

Result<Event> GetEvent(store::TenantTx& tx, std::string_view event_id) {
  if (!LooksLikeId(event_id, kIdPrefix)) return NotFound("no such event");
  TP_ASSIGN_OR_RETURN(std::optional<store::Row> row,
                      tx.QueryOne(Sql({"SELECT ", kColumns, " FROM events WHERE tenant_id = $1 AND id = $2"}),
                                  {std::string(event_id)}));
  if (!row) return NotFound("no such event");
  return EventFromRow(*row);
}

}  // namespace tp::events
