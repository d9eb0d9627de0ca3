#include "transfer/export.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "common/clock.h"
#include "common/money.h"
#include "events/events.h"
#include "profiles/contact_data.h"
#include "profiles/customers.h"
#include "transfer/csv.h"

namespace tp::transfer {
namespace {

using nlohmann::json;

constexpr std::string_view kSelectCustomers =
    "SELECT id, name, email, phone, traits, created_at, updated_at, first_seen_at, last_seen_at, channels, "
    "orders_count, refunds_count, money FROM customers "
    "WHERE tenant_id = $1 AND merged_into IS NULL AND id > $2 ORDER BY id LIMIT $3";
constexpr std::string_view kSelectIdentifiersHead =
    "SELECT customer_id, kind, value FROM customer_identifiers WHERE tenant_id = $1 AND customer_id IN (";
constexpr std::string_view kSelectIdentifiersTail = ") ORDER BY customer_id, kind, created_at, value";
constexpr std::string_view kSelectEvents =
    "SELECT id, message_id, customer_id, type, name, user_id, anonymous_id, channel, amount, currency, "
    "reporting_amount, reporting_currency, exchange_rate, properties, context, occurred_at, received_at FROM events WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3";
constexpr std::string_view kMoreCustomers =
    "SELECT 1 FROM customers WHERE tenant_id = $1 AND merged_into IS NULL AND id > $2 ORDER BY id LIMIT 1";
constexpr std::string_view kMoreEvents = "SELECT 1 FROM events WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT 1";

// Identifier kinds in CSV column order. Contact kinds are left out for callers without contact data.
constexpr std::string_view kIdentifierKinds[] = {"user_id", "anonymous_id", "whatsapp", "messenger", "telegram",
                                                 "webchat"};

json ParsedObject(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_object() ? parsed : json::object();
}

json OptionalTime(const std::optional<std::int64_t>& micros) {
  return micros ? json(FormatTimestamp(*micros)) : json(nullptr);
}
std::string TimeText(const std::optional<std::int64_t>& micros) { return micros ? FormatTimestamp(*micros) : ""; }

std::vector<std::string> Channels(const std::string& stored) {
  std::vector<std::string> channels;
  if (!stored.empty() && stored.front() == '[') {
    const json parsed = json::parse(stored, nullptr, false);
    if (parsed.is_array()) {
      for (const json& item : parsed) {
        if (item.is_string()) channels.push_back(item.get<std::string>());
      }
    }
    return channels;
  }
  std::size_t start = 0;
  while (start <= stored.size()) {
    std::size_t comma = stored.find(',', start);
    if (comma == std::string::npos) comma = stored.size();
    std::string part = stored.substr(start, comma - start);
    part.erase(0, part.find_first_not_of(' '));
    part.erase(part.find_last_not_of(' ') + 1);
    if (!part.empty()) channels.push_back(part);
    start = comma + 1;
  }
  return channels;
}

std::string Join(const std::vector<std::string>& values, std::string_view separator) {
  std::string out;
  for (const std::string& value : values) {
    if (!out.empty()) out += separator;
    out += value;
  }
  return out;
}

class Writer {
 public:
  // `hidden` is set when contact data is left out.
  Writer(const ExportOptions& options, std::optional<profiles::ContactDataClassifier> hidden, std::ostream& out)
      : options_(options), hidden_(std::move(hidden)), out_(out) {}

  Result<ExportSummary> Customers(store::Store& store, const std::string& tenant_id) {
    if (options_.format == ExportFormat::kCsv && options_.header) Line(ExportColumns(ExportKind::kCustomers));
    return Pages(store, tenant_id, kMoreCustomers, [&](store::TenantTx& tx, std::int64_t limit) -> Result<std::int64_t> {
      TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectCustomers, {summary_.last_id, limit}));
      if (rows.empty()) return 0;
      std::string sql(kSelectIdentifiersHead);
      std::vector<store::Value> params;
      for (const store::Row& row : rows) {
        if (!params.empty()) sql += ", ";
        params.emplace_back(row.Text(0));
        sql += "$" + std::to_string(params.size() + 1);
      }
      sql += kSelectIdentifiersTail;
      TP_ASSIGN_OR_RETURN(store::Rows identifier_rows, tx.Query(sql, params));
      std::map<std::string, std::map<std::string, std::vector<std::string>>> identifiers;
      for (const store::Row& row : identifier_rows) identifiers[row.Text(0)][row.Text(1)].push_back(row.Text(2));
      for (const store::Row& row : rows) CustomerRow(row, identifiers[row.Text(0)]);
      summary_.last_id = rows.back().Text(0);
      return static_cast<std::int64_t>(rows.size());
    });
  }

  Result<ExportSummary> Events(store::Store& store, const std::string& tenant_id) {
    if (options_.format == ExportFormat::kCsv && options_.header) Line(ExportColumns(ExportKind::kEvents));
    return Pages(store, tenant_id, kMoreEvents, [&](store::TenantTx& tx, std::int64_t limit) -> Result<std::int64_t> {
      TP_ASSIGN_OR_RETURN(store::Rows rows, tx.Query(kSelectEvents, {summary_.last_id, limit}));
      for (const store::Row& row : rows) EventRow(row);
      if (!rows.empty()) summary_.last_id = rows.back().Text(0);
      return static_cast<std::int64_t>(rows.size());
    });
  }

 private:
  template <typename Page>
  Result<ExportSummary> Pages(store::Store& store, const std::string& tenant_id, std::string_view more_sql, Page page) {
    summary_.last_id = options_.after_id;
    const std::int64_t page_size = std::clamp(options_.page_size, 1, 10'000);
    for (;;) {
      std::int64_t limit = page_size;
      if (options_.max_rows > 0) limit = std::min(limit, options_.max_rows - summary_.rows);
      if (limit <= 0) {
        TP_RETURN_IF_ERROR(store.Read(tenant_id, [&](store::TenantTx& tx) -> Status {
          TP_ASSIGN_OR_RETURN(auto next, tx.QueryOne(more_sql, {summary_.last_id}));
          summary_.more = next.has_value();
          return Status::Ok();
        }));
        break;
      }
      std::int64_t got = 0;
      const std::string last_id = summary_.last_id;
      TP_RETURN_IF_ERROR(store.Read(tenant_id, [&](store::TenantTx& tx) -> Status {
        buffer_.clear();
        summary_.last_id = last_id;  // a retried read starts the page again
        TP_ASSIGN_OR_RETURN(got, page(tx, limit));
        return Status::Ok();
      }));
      out_ << buffer_;
      buffer_.clear();
      if (!out_) return Unavailable("writing the export failed");
      summary_.rows += got;
      if (got < limit) break;
    }
    out_.flush();
    return summary_;
  }

  void Line(const std::vector<std::string>& fields) {
    std::string text;
    AppendCsv(text, fields);
    out_ << text;
  }
  static void AppendCsv(std::string& out, const std::vector<std::string>& fields) { AppendCsvRecord(out, fields); }

  void Json(const json& object) {
    buffer_ += object.dump(-1, ' ', false, json::error_handler_t::replace);
    buffer_ += '\n';
  }

  // The identifier values of `kind` the export may show.
  std::vector<std::string> Shown(std::string_view kind, const std::vector<std::string>& values) const {
    if (!hidden_) return values;
    const Result<profiles::IdentifierKind> parsed = profiles::ParseIdentifierKind(kind);
    std::vector<std::string> shown;
    for (const std::string& value : values) {
      if (parsed.ok() && !profiles::IsContactIdentifier(*parsed, value)) shown.push_back(value);
    }
    return shown;
  }
  // A single text column: empty when it is contact data the export may not show.
  std::string ShownText(std::string text) const {
    return hidden_ && profiles::ContactDataClassifier::IsContactText(text) ? std::string() : text;
  }

  void CustomerRow(const store::Row& row, std::map<std::string, std::vector<std::string>>& identifiers) {
    const bool contact = !hidden_;
    json traits = ParsedObject(row.Text(4));
    if (hidden_) hidden_->Redact(traits);
    const std::string name = ShownText(row.Text(1));
    const std::optional<std::string> email = row.OptionalText(2);
    const std::optional<std::string> phone = row.OptionalText(3);
    // The profile's e-mail first, then the other e-mail addresses the person is known by.
    std::vector<std::string> emails;
    if (email) emails.push_back(*email);
    for (const std::string& value : identifiers["email"]) {
      if (std::find(emails.begin(), emails.end(), value) == emails.end()) emails.push_back(value);
    }
    std::vector<std::string> phones;
    if (phone) phones.push_back(*phone);
    for (const std::string& value : identifiers["phone"]) {
      if (std::find(phones.begin(), phones.end(), value) == phones.end()) phones.push_back(value);
    }
    const std::vector<std::string> channels = Channels(row.Text(9));
    profiles::ComputedAttributes computed;
    profiles::ReadMoneyColumn(row.Text(12), computed);
    const json revenue = profiles::MoneyTotalsJson(computed.revenue);
    const json refunded = profiles::MoneyTotalsJson(computed.refunded);
    if (options_.format == ExportFormat::kJsonLines) {
      json ids = json::object();
      for (const auto& [kind, values] : identifiers) {
        std::vector<std::string> shown = Shown(kind, values);
        if (!shown.empty()) ids[kind] = std::move(shown);
      }
      json object{{"id", row.Text(0)},
                  {"name", name},
                  {"email", contact && email ? json(*email) : json(nullptr)},
                  {"phone", contact && phone ? json(*phone) : json(nullptr)},
                  {"identifiers", std::move(ids)},
                  {"traits", std::move(traits)},
                  {"created_at", FormatTimestamp(row.Int(5))},
                  {"updated_at", FormatTimestamp(row.Int(6))},
                  {"first_seen_at", OptionalTime(row.OptionalInt(7))},
                  {"last_seen_at", OptionalTime(row.OptionalInt(8))},
                  {"channels", channels},
                  {"orders_count", row.Int(10)},
                  {"revenue", revenue},
                  {"refunds_count", row.Int(11)},
                  {"refunded", refunded}};
      if (!contact) object["contact_data_redacted"] = true;
      Json(object);
      return;
    }
    std::vector<std::string> fields{row.Text(0), name, contact ? Join(emails, " ") : "",
                                    contact && !phones.empty() ? phones.front() : ""};
    for (std::string_view kind : kIdentifierKinds) {
      fields.push_back(Join(Shown(kind, identifiers[std::string(kind)]), " "));
    }
    fields.push_back(FormatTimestamp(row.Int(5)));
    fields.push_back(FormatTimestamp(row.Int(6)));
    fields.push_back(TimeText(row.OptionalInt(7)));
    fields.push_back(TimeText(row.OptionalInt(8)));
    fields.push_back(Join(channels, ","));
    fields.push_back(std::to_string(row.Int(10)));
    fields.push_back(revenue.dump());
    fields.push_back(std::to_string(row.Int(11)));
    fields.push_back(refunded.dump());
    fields.push_back(traits.dump(-1, ' ', false, json::error_handler_t::replace));
    AppendCsv(buffer_, fields);
  }

  void EventRow(const store::Row& row) {
    const std::string type = row.Text(3);
    const bool carries_traits = type == "identify" || type == "group";
    json payload = ParsedObject(row.Text(13));
    json context = ParsedObject(row.Text(14));
    if (hidden_) {
      hidden_->Redact(payload);
      hidden_->Redact(context);
    }
    const std::string user_id = ShownText(row.Text(5));
    const std::string anonymous_id = ShownText(row.Text(6));
    const std::optional<Money> amount = events::MoneyAt(row, 8);
    const json amount_json = events::AmountJson(amount, events::MoneyAt(row, 10), row.IsNull(12) ? "" : row.Text(12));
    if (options_.format == ExportFormat::kJsonLines) {
      json object{{"id", row.Text(0)},
                  {"message_id", row.Text(1)},
                  {"customer_id", row.Text(2)},
                  {"type", type},
                  {"name", row.Text(4)},
                  {"user_id", user_id.empty() ? json(nullptr) : json(user_id)},
                  {"anonymous_id", anonymous_id.empty() ? json(nullptr) : json(anonymous_id)},
                  {"channel", row.Text(7)},
                  {"amount", amount_json},
                  {carries_traits ? "traits" : "properties", std::move(payload)},
                  {"context", std::move(context)},
                  {"occurred_at", FormatTimestamp(row.Int(15))},
                  {"received_at", FormatTimestamp(row.Int(16))}};
      Json(object);
      return;
    }
    const std::string payload_text = payload.dump(-1, ' ', false, json::error_handler_t::replace);
    std::vector<std::string> fields{row.Text(0), row.Text(1), row.Text(2), type, row.Text(4), user_id,
                                    anonymous_id, row.Text(7), amount ? FormatAmount(amount->amount) : "",
                                    amount ? amount->currency : "", FormatTimestamp(row.Int(15)),
                                    FormatTimestamp(row.Int(16)),
                                    carries_traits ? "" : payload_text, carries_traits ? payload_text : "",
                                    context.dump(-1, ' ', false, json::error_handler_t::replace)};
    AppendCsv(buffer_, fields);
  }

  const ExportOptions& options_;
  const std::optional<profiles::ContactDataClassifier> hidden_;
  std::ostream& out_;
  std::string buffer_;  // one page
  ExportSummary summary_;
};

}  // namespace

std::string_view ExportKindName(ExportKind kind) { return kind == ExportKind::kCustomers ? "customers" : "events"; }

Result<ExportKind> ParseExportKind(std::string_view name) {
  if (name == "customers") return ExportKind::kCustomers;
  if (name == "events") return ExportKind::kEvents;
  return InvalidArgument("the export kind must be customers or events", "kind");
}

Result<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "jsonl") return ExportFormat::kJsonLines;
  return InvalidArgument("the format must be csv or jsonl", "format");
}

const std::vector<std::string>& ExportColumns(ExportKind kind) {
  static const std::vector<std::string> kCustomers{
      "id",         "name",          "email",         "phone",        "user_id",      "anonymous_id",
      "whatsapp",   "messenger",     "telegram",      "webchat",      "created_at",   "updated_at",
      "first_seen_at", "last_seen_at", "channels",    "orders_count", "revenue",      "refunds_count",
      "refunded",   "traits"};
  static const std::vector<std::string> kEvents{"id",          "message_id",  "customer_id", "type",   "name",
                                                "user_id",     "anonymous_id", "channel",    "amount", "currency", "occurred_at",
                                                "received_at", "properties",  "traits",      "context"};
  return kind == ExportKind::kCustomers ? kCustomers : kEvents;
}

Result<ExportSummary> ExportData(store::Store& store, const std::string& tenant_id, ExportKind kind,
                                 const ExportOptions& options, std::ostream& out) {
  std::optional<profiles::ContactDataClassifier> hidden;
  if (!options.with_contact_data) {
    TP_RETURN_IF_ERROR(store.Read(tenant_id, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(hidden, profiles::LoadContactDataClassifier(tx));
      return Status::Ok();
    }));
  }
  Writer writer(options, std::move(hidden), out);
  return kind == ExportKind::kCustomers ? writer.Customers(store, tenant_id) : writer.Events(store, tenant_id);
}

}  // namespace tp::transfer
