// Imports a CSV file of customers, events or orders (rows.h says what a row becomes). The file is read
// as a stream and loaded in chunks of ImportOptions::batch_size rows, one store transaction per chunk
// through ingest::IngestMessages, so memory stays bounded however large the file is.
//
//   std::ofstream rejects("rejects.csv");
//   TP_ASSIGN_OR_RETURN(ImportSummary summary,
//                       ImportCsv(store, tenant_id, ImportKind::kCustomers, file, {.rejects = &rejects}, audit));
//
// Rows that do not parse or validate are not loaded: they go to the rejects CSV (reject_line,
// reject_field, reject_reason, then the row's original fields) and the summary counts them, while every
// good row loads. Importing the same file again stores nothing new (message ids are derived from the
// row content, and ingestion skips known ids): the second run counts its rows as duplicates.
//
// Errors: a missing or malformed header or a bad mapping is kInvalidArgument (nothing is loaded, the
// rejects CSV holds its header only); a store failure stops the import with that status, after the
// chunks before it were committed (re-running is safe).
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"
#include "transfer/rows.h"

namespace tp::transfer {

inline constexpr int kDefaultBatchSize = 1000;
inline constexpr int kMaxBatchSize = 10'000;

struct ImportProgress {
  std::uint64_t bytes_read = 0;
  std::uint64_t total_bytes = 0;  // 0 when unknown
  std::int64_t rows_read = 0;     // data rows, the header not counted
  std::int64_t loaded = 0;        // rows whose message was new
  std::int64_t duplicates = 0;    // rows whose message the tenant already had (or an earlier row of the file)
  std::int64_t rejected = 0;
  double seconds = 0;
};

struct Reject {
  std::int64_t line = 0;  // physical line of the file the row starts on
  std::string field;      // the column at fault ("row" for the row as a whole)
  std::string reason;
};

// The rejects CSV every import writes when asked (`rejects` set): the input's own header after
// reject_line, reject_field and reject_reason, then one line per rejected row, so that a fixed row can
// be loaded again as it is. The header comes first even when the whole file is refused.
void WriteRejectsHeader(std::ostream* rejects, const std::vector<std::string>& file_header);
// Counts a rejected row in `counts`, keeps it in `kept` while that holds fewer than `keep`, and writes
// it with the row's fields to the rejects CSV when there is one.
void RecordReject(ImportProgress& counts, std::vector<Reject>& kept, std::size_t keep, std::ostream* rejects,
                  Reject reject, const std::vector<std::string>& fields);

struct ImportSummary : ImportProgress {
  std::int64_t profiles_created = 0;
  std::int64_t merges = 0;
  std::vector<Reject> rejects;  // the first ImportOptions::keep_rejects of them
};

struct ImportOptions {
  std::ostream* rejects = nullptr;  // the rejects CSV is written here when set
  ColumnMapping mapping;            // which documented column the file's other columns hold (rows.h)
  int batch_size = kDefaultBatchSize;
  std::size_t max_record_bytes = 1 << 20;
  std::size_t keep_rejects = 100;
  std::uint64_t total_bytes = 0;  // the input's size when known, for progress
  // Called after every chunk and once at the end.
  std::function<void(const ImportProgress&)> on_progress;
  Micros now = 0;  // 0: the clock
};

Result<ImportSummary> ImportCsv(store::Store& store, const std::string& tenant_id, ImportKind kind, std::istream& in,
                                const ImportOptions& options, const identity::AuditContext& audit);

}  // namespace tp::transfer
