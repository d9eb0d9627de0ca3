// The one list of tables whose rows belong to a customer (they have a customer_id column). Merges move
// the rows of the tables that follow merges, the GDPR export reads every table's export columns, and
// erasure deletes or unlinks every table's rows; a schema test (privacy/change_records_test.cc) fails
// when a table with a customer_id column is missing here, so a new table cannot escape them.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace tp::profiles {

enum class OnErasure {
  kDelete,  // the rows go with the person
  kUnlink,  // the rows stay for aggregates, with customer_id and free text cleared (survey scores)
};

struct CustomerOwnedTable {
  std::string_view name;
  // Rows move to the survivor of a merge and back on unmerge (the table has origin_customer_id).
  bool follows_merges;
  OnErasure on_erasure;
  std::string_view export_columns;             // what the GDPR access export shows; empty: not exported
  std::string_view export_order;
  std::array<std::string_view, 3> json_columns;  // export columns holding JSON documents
  std::string_view unlink_assignments = {};       // kUnlink: the SET list that unlinks a row
};

std::span<const CustomerOwnedTable> CustomerOwnedTables();

}  // namespace tp::profiles
