// Imports historic survey responses from a CSV file: one row per response, streamed and loaded in
// chunks of ResponseImportOptions::batch_size rows, one store transaction per chunk. Each row lands as
// a response submitted through a survey link does (surveys::StoreImportedResponses): the survey
// response with one answer per question, a feedback record per NPS/CSAT/CES score, on the customer's
// timeline, and in the change feed marked "imported" (the analytics engine follows it, the rules
// engine does not act on it: history opens no follow-up cases).
//
//   TP_ASSIGN_OR_RETURN(ResponseImportSummary summary,
//                       ImportResponses(store, tenant_id, file, {.survey_id = "svy_…", .rejects = &rejects}, audit));
//
// Columns (docs/import-export.md, "Survey responses"), in any letter case and in camelCase or words:
//   survey_id        the survey (else ResponseImportOptions::survey_id); an unknown one rejects the row
//   response_id      the source's id of the response; without it the row's content identifies it. The
//                    stored id is derived from that and submitted_at (time-ordered, as every id is)
//   score            a score of `metric` (the column, else the option, else the survey's NPS or its only metric)
//   nps, csat, ces   a score of that metric (several in one row)
//   rating.<row>     an attribute rating: the row <row> of the survey's rating matrix
//   answer.<name>    the answer to question <name> (ratings and numeric choices as numbers, several
//                    choices separated by commas)
//   comment          the reason for the score: the comment question of the row's first metric
//   submitted_at     when it was answered (required; time, timestamp, date are the same column);
//                    started_at optionally
//   touchpoint, stage, channel, language   else the survey's touchpoint and stage, channel "other"
//   user_id, email, phone, anonymous_id    the customer, matched or created as `import customers`
//                    does (ingest::IngestMessages); a row with none is an anonymous response
//   order_id, case_id (the case's team and agent answer for the response)
// A ColumnMapping names the column any other header holds ("ResponseId=response_id", "Q1=nps",
// "Q2_1=rating.ease"); "ignore" drops a column; ignore_unknown drops every column neither documented
// nor mapped (exports carry dozens of metadata columns), which are otherwise refused by name.
//
// Rows are not loaded when they fail: they go to the rejects CSV (reject_line, reject_field,
// reject_reason, then the row's fields) and are counted, while every good row loads. A score off its
// metric's scale, an unknown survey, a time that does not parse, a text over the limits and a row
// repeating the response of an earlier row of the file are rejected naming the column. Importing the
// same file again stores nothing new: the second run counts its rows as duplicates.
//
// Errors: a missing or malformed header, or a bad mapping, is kInvalidArgument (nothing loaded); a store
// failure stops the import with that status, after the chunks before it were committed (re-running is
// safe).
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "feedback/feedback.h"
#include "identity/audit.h"
#include "store/store.h"
#include "transfer/import.h"

namespace tp::transfer {

// How a file writes its NPS scores: 0–10, or Qualtrics' default recode values 1–11 (1 is 0, 11 is 10).
enum class NpsScale { kZeroToTen, kOneToEleven };
// "0-10" or "1-11"; kInvalidArgument field "nps_scale".
Result<NpsScale> ParseNpsScale(std::string_view text);

struct ResponseImportOptions {
  std::string survey_id;               // rows without a survey_id column answer this survey
  std::optional<feedback::Metric> metric;  // what the score column measures (a metric column wins)
  NpsScale nps_scale = NpsScale::kZeroToTen;
  int header_rows = 1;                 // Qualtrics writes 3: the first names the columns, the others are skipped
  bool ignore_unknown = false;         // leave out columns neither documented nor mapped
  ColumnMapping mapping;
  std::ostream* rejects = nullptr;     // the rejects CSV is written here when set
  int batch_size = kDefaultBatchSize;
  std::size_t max_record_bytes = 1 << 20;
  std::size_t keep_rejects = 100;
  std::uint64_t total_bytes = 0;  // the input's size when known, for progress
  std::function<void(const ImportProgress&)> on_progress;
  Micros now = 0;  // 0: the clock
};

struct ResponseImportSummary : ImportProgress {
  std::int64_t profiles_created = 0;
  std::int64_t anonymous = 0;   // loaded responses without a customer
  std::vector<Reject> rejects;  // the first ResponseImportOptions::keep_rejects of them
};

// Records "responses.import" with the counts.
Result<ResponseImportSummary> ImportResponses(store::Store& store, const std::string& tenant_id, std::istream& in,
                                              const ResponseImportOptions& options,
                                              const identity::AuditContext& audit);

}  // namespace tp::transfer
