#include "transfer/import.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <ostream>
#include <unordered_set>

#include "ingest/ingest.h"
#include "transfer/csv.h"

namespace tp::transfer {
namespace {

using Clock = std::chrono::steady_clock;

struct PendingRow {
  std::int64_t line = 0;
  std::vector<std::string> fields;
};

class Importer {
 public:
  Importer(store::Store& store, const std::string& tenant_id, const ImportOptions& options,
           const identity::AuditContext& audit)
      : store_(store), tenant_id_(tenant_id), options_(options), audit_(audit), started_(Clock::now()) {}

  Result<ImportSummary> Run(ImportKind kind, std::istream& in) {
    const Micros now = options_.now != 0 ? options_.now : NowMicros();
    const int batch = std::clamp(options_.batch_size, 1, kMaxBatchSize);
    CsvReader reader(in, {.max_record_bytes = options_.max_record_bytes});
    reader_ = &reader;
    CsvRecord record;
    // The rejects file starts with its header even when the whole file is refused.
    if (!reader.Next(record)) {
      WriteRejectsHeader(options_.rejects, {});
      if (reader.io_error()) return Unavailable("the file could not be read");
      return InvalidArgument("the file is empty: the first line must be the header", "header");
    }
    if (!record.error.empty()) {
      WriteRejectsHeader(options_.rejects, record.fields);
      return InvalidArgument("the header on line " + std::to_string(record.line) + " is malformed: " + record.error,
                             "header");
    }
    Result<RowConverter> created = RowConverter::Create(kind, record.fields, now, options_.mapping);
    WriteRejectsHeader(options_.rejects, created.ok() ? created->header() : record.fields);
    if (!created.ok()) return created.status();
    const RowConverter& converter = *created;
    header_ = converter.header();

    while (reader.Next(record)) {
      ++summary_.rows_read;
      if (!record.error.empty()) {
        const std::string field = record.error_column >= 0 && record.error_column < static_cast<int>(header_.size())
                                      ? header_[static_cast<std::size_t>(record.error_column)]
                                      : "row";
        RejectRow(record.line, field, record.error, record.fields);
        continue;
      }
      Result<events::Message> message = converter.Convert(record.fields);
      if (!message.ok()) {
        RejectRow(record.line, message.status().field().empty() ? "row" : message.status().field(),
                  message.status().message(), record.fields);
        continue;
      }
      if (!chunk_ids_.insert(message->message_id).second) {
        ++summary_.duplicates;  // the same row twice in one chunk
        continue;
      }
      messages_.push_back(std::move(message).value());
      rows_.push_back({record.line, record.fields});
      if (static_cast<int>(messages_.size()) >= batch) TP_RETURN_IF_ERROR(Flush());
    }
    if (reader.io_error()) return Unavailable("reading the file failed after " + std::to_string(summary_.rows_read) + " rows");
    TP_RETURN_IF_ERROR(Flush());
    if (options_.rejects) options_.rejects->flush();
    Report();
    TP_RETURN_IF_ERROR(store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      const nlohmann::json after{{"rows_read", summary_.rows_read}, {"loaded", summary_.loaded},
                                 {"duplicates", summary_.duplicates}, {"rejected", summary_.rejected}};
      return identity::RecordAudit(tx, audit_, std::string(ImportKindName(kind)) + ".import", "import",
                                   std::string(ImportKindName(kind)), std::nullopt, after.dump());
    }));
    return std::move(summary_);
  }

 private:
  // Loads the pending chunk in one transaction. Rows are validated before, so a failing chunk means a
  // row the validation let through that ingestion refused: the chunk is then retried row by row so
  // that only that row is rejected. Store outages stop the import.
  Status Flush() {
    if (messages_.empty()) return Status::Ok();
    ingest::IngestSummary result;
    Status status = store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(result, ingest::IngestMessages(tx, messages_, audit_));
      return Status::Ok();
    });
    if (status.ok()) {
      Count(result);
    } else if (IsRowError(status)) {
      for (std::size_t i = 0; i < messages_.size(); ++i) {
        const std::vector<events::Message> one{messages_[i]};
        Status single = store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
          TP_ASSIGN_OR_RETURN(result, ingest::IngestMessages(tx, one, audit_));
          return Status::Ok();
        });
        if (single.ok()) {
          Count(result);
        } else if (IsRowError(single)) {
          RejectRow(rows_[i].line, single.field().empty() ? "row" : single.field(), single.message(), rows_[i].fields);
        } else {
          return single;
        }
      }
    } else {
      return status;
    }
    messages_.clear();
    rows_.clear();
    chunk_ids_.clear();
    Report();
    return Status::Ok();
  }

  static bool IsRowError(const Status& status) {
    return status.code() == ErrorCode::kInvalidArgument || status.code() == ErrorCode::kConflict ||
           status.code() == ErrorCode::kFailedPrecondition || status.code() == ErrorCode::kNotFound;
  }

  void Count(const ingest::IngestSummary& result) {
    summary_.loaded += result.stored;
    summary_.duplicates += result.duplicates;
    summary_.profiles_created += result.profiles_created;
    summary_.merges += result.merges;
  }

  void RejectRow(std::int64_t line, const std::string& field, const std::string& reason,
                 const std::vector<std::string>& fields) {
    RecordReject(summary_, summary_.rejects, options_.keep_rejects, options_.rejects, {line, field, reason}, fields);
  }

  void Report() {
    summary_.bytes_read = reader_->bytes_read();
    summary_.total_bytes = options_.total_bytes;
    summary_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (options_.on_progress) options_.on_progress(summary_);
  }

  store::Store& store_;
  const std::string& tenant_id_;
  const ImportOptions& options_;
  const identity::AuditContext& audit_;
  Clock::time_point started_;
  CsvReader* reader_ = nullptr;
  std::vector<std::string> header_;
  std::vector<events::Message> messages_;
  std::vector<PendingRow> rows_;
  std::unordered_set<std::string> chunk_ids_;
  ImportSummary summary_;
};

}  // namespace

void WriteRejectsHeader(std::ostream* rejects, const std::vector<std::string>& file_header) {
  if (rejects == nullptr) return;
  std::vector<std::string> reject_header{"reject_line", "reject_field", "reject_reason"};
  reject_header.insert(reject_header.end(), file_header.begin(), file_header.end());
  std::string line;
  AppendCsvRecord(line, reject_header);
  *rejects << line;
  rejects->flush();
}

void RecordReject(ImportProgress& counts, std::vector<Reject>& kept, std::size_t keep, std::ostream* rejects,
                  Reject reject, const std::vector<std::string>& fields) {
  ++counts.rejected;
  if (rejects != nullptr) {
    std::vector<std::string> out{std::to_string(reject.line), reject.field, reject.reason};
    out.insert(out.end(), fields.begin(), fields.end());
    std::string line;
    AppendCsvRecord(line, out);
    *rejects << line;
  }
  if (kept.size() < keep) kept.push_back(std::move(reject));
}

Result<ImportSummary> ImportCsv(store::Store& store, const std::string& tenant_id, ImportKind kind, std::istream& in,
                                const ImportOptions& options, const identity::AuditContext& audit) {
  Importer importer(store, tenant_id, options, audit);
  return importer.Run(kind, in);
}

}  // namespace tp::transfer
