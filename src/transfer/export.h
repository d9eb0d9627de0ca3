// Exports a tenant's customers (profile, identifiers, traits and computed attributes) or events as CSV
// or JSON lines, written page by page (ExportOptions::page_size rows per read transaction) so memory
// stays bounded. Merged-away profiles are not exported (their data lives on in the surviving profile).
//
//   TP_ASSIGN_OR_RETURN(ExportSummary summary,
//                       ExportData(store, tenant_id, ExportKind::kCustomers, {.format = ExportFormat::kCsv}, std::cout));
//
// Each page is its own read transaction: rows added while an export runs may or may not be in it, rows
// are never repeated or skipped (pages follow the id order). Callers who may not read contact data set
// with_contact_data = false: contact data as the tenant classifies it (profiles/contact_data.h) is left
// out of the columns, the identifiers, the names and ids that are contact text, and the traits,
// properties and context at any depth.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace tp::transfer {

enum class ExportKind { kCustomers, kEvents };
enum class ExportFormat { kCsv, kJsonLines };

std::string_view ExportKindName(ExportKind kind);  // "customers", "events"
Result<ExportKind> ParseExportKind(std::string_view name);          // kInvalidArgument field "kind"
Result<ExportFormat> ParseExportFormat(std::string_view name);      // "csv" or "jsonl"; field "format"

struct ExportOptions {
  ExportFormat format = ExportFormat::kCsv;
  bool with_contact_data = true;
  int page_size = 1000;
  bool header = true;          // CSV: write the header row
  std::string after_id;        // start after this id (resuming)
  std::int64_t max_rows = 0;   // stop after this many rows (0: all)
};

struct ExportSummary {
  std::int64_t rows = 0;
  std::string last_id;  // the id of the last row written
  bool more = false;    // max_rows stopped the export before the end
};

Result<ExportSummary> ExportData(store::Store& store, const std::string& tenant_id, ExportKind kind,
                                 const ExportOptions& options, std::ostream& out);

// The CSV columns of each kind, in order (docs/import-export.md).
const std::vector<std::string>& ExportColumns(ExportKind kind);

}  // namespace tp::transfer
