// What one CSV row of an import becomes: a validated events::Message, ready for ingest::IngestMessages.
// Validation happens here, row by row, with the limits of events.h, so that one bad row is rejected on
// its own instead of failing the transaction of its whole chunk.
//
//   TP_ASSIGN_OR_RETURN(RowConverter converter, RowConverter::Create(ImportKind::kCustomers, header, now));
//   Result<events::Message> message = converter.Convert(record.fields);   // error names the column
//
// The column rules of each kind are in docs/import-export.md. A column's name matches a documented
// column in any letter case and in camelCase, snake_case or words ("userId", "user_id", "User ID"); a
// ColumnMapping names the documented column of any other ("customer_id" holds the user_id). A row
// without a message id gets one derived from its content ("import:<kind>:<sha256>"; orders
// "order:<order_id>" / "refund:<order_id>"), so importing the same file twice stores nothing the second
// time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/events.h"

namespace tp::transfer {

enum class ImportKind { kCustomers, kEvents, kOrders };
std::string_view ImportKindName(ImportKind kind);  // "customers", "events", "orders"
// kInvalidArgument field "kind" for anything else.
Result<ImportKind> ParseImportKind(std::string_view name);

// Which documented column each named column of a file holds, in the order given: {"customer_id",
// "user_id"}, {"ts", "timestamp"}; the target "ignore" leaves a column out.
using ColumnMapping = std::vector<std::pair<std::string, std::string>>;
// "customer_id=user_id,ts=timestamp" (touchpoint import --map, the API's ?map=), appended to `mapping`.
// kInvalidArgument field "map" for a pair without "=" or with an empty side.
Status ParseColumnMapping(std::string_view text, ColumnMapping& mapping);
// A JSON object {"customer_id": "user_id", …} (touchpoint import --map-file), appended to `mapping`.
// kInvalidArgument field "map" when it is not an object of strings.
Status ParseColumnMappingJson(std::string_view text, ColumnMapping& mapping);

// RFC 3339 and the times exporters write instead: a space for the T, no seconds ("2024-03-01 10:00"),
// no zone (UTC, as "Created (UTC)" columns are), " UTC" or a space before the offset
// ("2024-03-01 10:00:00 +0100"), a date alone (midnight UTC), and Unix time in seconds (10 digits) or
// milliseconds (13). Shared by every import.
std::optional<Micros> ParseImportTime(std::string_view text);
// A column name as the documented columns spell it: lower case, with camelCase and words in snake_case
// ("userId", "anonymousID", "First Name", "first-seen" → "user_id", "anonymous_id", "first_name",
// "first_seen"), which is how Segment's, spreadsheets' and exporters' spellings meet the documented ones.
std::string SnakeCase(std::string_view name);
// ASCII lower case; `text` without leading and trailing spaces and tabs.
std::string Lower(std::string_view text);
std::string_view Trim(std::string_view text);

// The mapping target (`--map column=ignore`) that drops a column.
inline constexpr std::string_view kIgnoreTarget = "ignore";

class RowConverter {
 public:
  // Checks the header and the mapping once: a duplicate column (two columns holding one documented
  // column), an unknown column (events files), or a header that cannot name an identifier at all is
  // kInvalidArgument naming the column; a mapping naming a column the header lacks, naming one column
  // twice or naming targets that are no column of the kind is kInvalidArgument field "map" naming them.
  // `now` is the receipt time of every message and the time of rows without one.
  enum class Role;  // what a column holds (rows.cc)

  static Result<RowConverter> Create(ImportKind kind, const std::vector<std::string>& header, Micros now,
                                     const ColumnMapping& mapping = {});

  ImportKind kind() const { return kind_; }
  const std::vector<std::string>& header() const { return header_; }
  // The row as a message; kInvalidArgument naming the column on a bad value or a missing requirement.
  // A row whose number of fields differs from the header's is refused too.
  Result<events::Message> Convert(const std::vector<std::string>& fields) const;

 private:
  struct Column {
    Role role;
    std::string name;  // as in the header, trimmed
    std::string key;   // trait or property key for the roles that have one
    std::string content_name;  // what the derived message id calls the column (ContentId)
  };

  Result<events::Message> ConvertCustomer(const std::vector<std::string>& fields) const;
  Result<events::Message> ConvertEvent(const std::vector<std::string>& fields) const;
  Result<events::Message> ConvertOrder(const std::vector<std::string>& fields) const;
  std::string ContentId(const std::vector<std::string>& fields) const;

  ImportKind kind_ = ImportKind::kCustomers;
  Micros now_ = 0;
  std::vector<std::string> header_;
  std::vector<Column> columns_;
  // Orders without an order_id column: each row's order id is derived from its content (DerivedOrderId).
  bool derive_order_id_ = false;
};

}  // namespace tp::transfer
