// Imports public reviews (feedback/reviews.h) from a CSV file or JSON lines, streamed and loaded in
// chunks of ReviewImportOptions::batch_size reviews, one store transaction per chunk.
//
//   TP_ASSIGN_OR_RETURN(ReviewImportSummary summary,
//                       ImportReviews(store, tenant_id, file, {.format = ReviewFormat::kJsonLines}, audit));
//
// Fields (CSV columns, or JSON members): source, rating and date are required; title, text, author,
// url, touchpoint (else ReviewImportOptions::default_touchpoint), scale (5 or 10, default 5), and the
// customer's identifiers email, phone and user_id, which match the review to an existing customer.
// Names match in any letter case and in camelCase or words ("User ID", "userId"), and date is any time
// the other imports read (transfer/rows.h ParseImportTime: RFC 3339, a date alone, Unix seconds…). A
// CSV column or JSON member of another name is refused (the header, or the line), so a misspelt column
// is not silently dropped.
//
// Bad rows are not loaded: they go to the rejects CSV (reject_line, reject_field, reject_reason, then
// the row's fields, or for JSON lines the line itself as `record`) and the summary counts them while
// every good row loads. Importing the same file again stores nothing new (the review ids come from
// the reviews themselves): the second run counts its rows as duplicates.
//
// Errors: a missing or malformed CSV header is kInvalidArgument field "header" (nothing loaded); a
// store failure stops the import with that status, after the chunks before it were committed.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "identity/audit.h"
#include "store/store.h"
#include "transfer/import.h"

namespace tp::transfer {

enum class ReviewFormat { kCsv, kJsonLines };
// "csv" or "jsonl"; kInvalidArgument field "format".
Result<ReviewFormat> ParseReviewFormat(std::string_view name);

struct ReviewImportOptions {
  ReviewFormat format = ReviewFormat::kCsv;
  std::string default_touchpoint;   // for rows without a touchpoint
  std::ostream* rejects = nullptr;  // the rejects CSV is written here when set
  int batch_size = kDefaultBatchSize;
  std::size_t max_record_bytes = 1 << 20;
  std::size_t keep_rejects = 100;
  std::uint64_t total_bytes = 0;  // the input's size when known, for progress
  std::function<void(const ImportProgress&)> on_progress;
  Micros now = 0;  // 0: the clock
};

struct ReviewImportSummary : ImportProgress {
  std::int64_t matched = 0;     // loaded reviews matched to a customer
  std::vector<Reject> rejects;  // the first ReviewImportOptions::keep_rejects of them
};

// Records "reviews.import" with the counts.
Result<ReviewImportSummary> ImportReviews(store::Store& store, const std::string& tenant_id, std::istream& in,
                                          const ReviewImportOptions& options, const identity::AuditContext& audit);

}  // namespace tp::transfer
