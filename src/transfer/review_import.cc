#include "transfer/review_import.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>

#include "feedback/reviews.h"
#include "profiles/identifiers.h"
#include "profiles/text.h"
#include "transfer/csv.h"
#include "transfer/rows.h"

namespace tp::transfer {
namespace {

using Clock = std::chrono::steady_clock;
// A review's fields by name, as the file gave them; an absent field and an empty one are alike.
using Fields = std::map<std::string, std::string, std::less<>>;

constexpr std::array<std::string_view, 12> kFieldNames = {"source", "rating", "title", "text", "date", "author",
                                                         "url", "touchpoint", "scale", "email", "phone", "user_id"};
constexpr std::array<std::pair<std::string_view, profiles::IdentifierKind>, 3> kIdentifierFields = {
    std::pair{"email", profiles::IdentifierKind::kEmail}, std::pair{"phone", profiles::IdentifierKind::kPhone},
    std::pair{"user_id", profiles::IdentifierKind::kUserId}};
constexpr int kMaxJsonDepth = 2;  // an object of scalars

bool IsKnownField(std::string_view name) {
  return std::find(kFieldNames.begin(), kFieldNames.end(), name) != kFieldNames.end();
}

std::string_view FieldOf(const Fields& fields, std::string_view name) {
  const auto found = fields.find(name);
  return found == fields.end() ? std::string_view() : std::string_view(found->second);
}

std::string_view Trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// A whole number written in decimal digits ("4", not "4.5", "four" or "4 stars").
std::optional<std::int64_t> ParseWholeNumber(std::string_view text) {
  text = Trimmed(text);
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(std::string(text));
}

Result<feedback::NewReview> ReviewFromFields(const Fields& fields, const ReviewImportOptions& options, Micros now) {
  feedback::NewReview review;
  review.source = FieldOf(fields, "source");
  const std::string_view rating = FieldOf(fields, "rating");
  if (Trimmed(rating).empty()) return InvalidArgument("rating is required", "rating");
  const std::optional<std::int64_t> stars = ParseWholeNumber(rating);
  if (!stars) return InvalidArgument("rating must be a whole number of stars", "rating");
  review.rating = *stars;
  if (const std::string_view scale = FieldOf(fields, "scale"); !Trimmed(scale).empty()) {
    const std::optional<std::int64_t> parsed = ParseWholeNumber(scale);
    if (!parsed) return InvalidArgument("the rating scale must be 5 or 10 stars", "scale");
    review.rating_scale = *parsed;
  }
  const std::string_view date = FieldOf(fields, "date");
  if (Trimmed(date).empty()) return InvalidArgument("a review needs its date", "date");
  const std::optional<Micros> reviewed_at = ParseImportTime(Trimmed(date));
  if (!reviewed_at) return InvalidArgument("date must be a time (docs/import-export.md, CSV files)", "date");
  review.reviewed_at = *reviewed_at;
  review.title = FieldOf(fields, "title");
  review.text = FieldOf(fields, "text");
  review.author = FieldOf(fields, "author");
  review.url = FieldOf(fields, "url");
  review.touchpoint = FieldOf(fields, "touchpoint");
  if (Trimmed(review.touchpoint).empty()) review.touchpoint = options.default_touchpoint;
  for (const auto& [name, kind] : kIdentifierFields) {
    const std::string_view value = Trimmed(FieldOf(fields, name));
    if (value.empty()) continue;
    TP_ASSIGN_OR_RETURN(profiles::Identifier identifier, profiles::NormaliseIdentifier(kind, value, name));
    review.identifiers.push_back(std::move(identifier));
  }
  return feedback::CleanReview(std::move(review), now);
}

// One JSON object of scalars per line; numbers keep their JSON spelling ("rating": 4 is "4").
Result<Fields> FieldsOfJsonLine(std::string_view line) {
  if (profiles::JsonDepth(line) > kMaxJsonDepth) return InvalidArgument("a review is one JSON object of strings and numbers", "row");
  const nlohmann::json document = nlohmann::json::parse(line, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return InvalidArgument("the line is not a JSON object", "row");
  }
  Fields fields;
  for (const auto& [written, value] : document.items()) {
    const std::string name = SnakeCase(written);
    if (!IsKnownField(name)) return InvalidArgument("unknown field " + written, written);
    if (fields.contains(name)) return InvalidArgument("two members name " + name, written);
    if (value.is_null()) continue;
    if (value.is_string()) {
      fields[name] = value.get<std::string>();
    } else if (value.is_number()) {
      fields[name] = value.dump();
    } else {
      return InvalidArgument(name + " must be a string or a number", name);
    }
  }
  return fields;
}

class ReviewImporter {
 public:
  ReviewImporter(store::Store& store, const std::string& tenant_id, const ReviewImportOptions& options,
                 const identity::AuditContext& audit)
      : store_(store),
        tenant_id_(tenant_id),
        options_(options),
        audit_(audit),
        now_(options.now != 0 ? options.now : NowMicros()),
        batch_(std::clamp(options.batch_size, 1, kMaxBatchSize)),
        started_(Clock::now()) {}

  Result<ReviewImportSummary> Run(std::istream& in) {
    TP_RETURN_IF_ERROR(options_.format == ReviewFormat::kCsv ? ReadCsv(in) : ReadJsonLines(in));
    TP_RETURN_IF_ERROR(Flush());
    if (options_.rejects) options_.rejects->flush();
    Report();
    TP_RETURN_IF_ERROR(store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      const nlohmann::json after{{"rows_read", summary_.rows_read}, {"loaded", summary_.loaded},
                                 {"duplicates", summary_.duplicates}, {"rejected", summary_.rejected},
                                 {"matched", summary_.matched}};
      return identity::RecordAudit(tx, audit_, "reviews.import", "import", "reviews", std::nullopt, after.dump());
    }));
    return std::move(summary_);
  }

 private:
  Status ReadCsv(std::istream& in) {
    CsvReader reader(in, {.max_record_bytes = options_.max_record_bytes});
    CsvRecord record;
    if (!reader.Next(record)) {
      WriteRejectsHeader(options_.rejects, {});
      if (reader.io_error()) return Unavailable("the file could not be read");
      return InvalidArgument("the file is empty: the first line must be the header", "header");
    }
    WriteRejectsHeader(options_.rejects, record.fields);
    if (!record.error.empty()) {
      return InvalidArgument("the header on line " + std::to_string(record.line) + " is malformed: " + record.error,
                             "header");
    }
    std::vector<std::string> header;
    for (const std::string& column : record.fields) {
      header.push_back(SnakeCase(column));
      if (!IsKnownField(header.back())) {
        return InvalidArgument("unknown column " + column + " (docs/import-export.md, Reviews)", "header");
      }
      if (std::count(header.begin(), header.end(), header.back()) > 1) {
        return InvalidArgument("two columns name " + header.back(), "header");
      }
    }
    for (std::string_view required : {"source", "rating", "date"}) {
      if (std::find(header.begin(), header.end(), required) == header.end()) {
        return InvalidArgument("the header has no " + std::string(required) + " column", "header");
      }
    }
    while (reader.Next(record)) {
      ++summary_.rows_read;
      bytes_read_ = reader.bytes_read();
      if (!record.error.empty()) {
        const bool known_column = record.error_column >= 0 && record.error_column < static_cast<int>(header.size());
        RejectRow(record.line, known_column ? header[static_cast<std::size_t>(record.error_column)] : "row",
                  record.error, record.fields);
        continue;
      }
      if (record.fields.size() != header.size()) {
        RejectRow(record.line, "row", "the row has " + std::to_string(record.fields.size()) + " fields, the header " +
                                          std::to_string(header.size()),
                  record.fields);
        continue;
      }
      Fields fields;
      for (std::size_t column = 0; column < header.size(); ++column) fields[header[column]] = record.fields[column];
      TP_RETURN_IF_ERROR(Add(record.line, fields, record.fields));
    }
    bytes_read_ = reader.bytes_read();
    if (reader.io_error()) return Unavailable("reading the file failed after " + std::to_string(summary_.rows_read) + " rows");
    return Status::Ok();
  }

  Status ReadJsonLines(std::istream& in) {
    WriteRejectsHeader(options_.rejects, {"record"});
    std::streambuf& buffer = *in.rdbuf();
    std::string line;
    for (std::int64_t line_number = 1;; ++line_number) {
      line.clear();
      bool too_long = false;
      int c = buffer.sbumpc();
      if (c == std::char_traits<char>::eof()) break;
      for (; c != std::char_traits<char>::eof() && c != '\n'; c = buffer.sbumpc()) {
        ++bytes_read_;
        if (line.size() < options_.max_record_bytes) {
          line.push_back(static_cast<char>(c));
        } else {
          too_long = true;  // the rest of the line is skipped, not stored
        }
      }
      if (c == '\n') ++bytes_read_;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (Trimmed(line).empty() && !too_long) continue;
      ++summary_.rows_read;
      if (too_long) {
        RejectRow(line_number, "row", "the line is longer than " + std::to_string(options_.max_record_bytes) + " bytes",
                  {});
        continue;
      }
      Result<Fields> fields = FieldsOfJsonLine(line);
      if (!fields.ok()) {
        RejectRow(line_number, fields.status().field(), fields.status().message(), {line});
        continue;
      }
      TP_RETURN_IF_ERROR(Add(line_number, *fields, {line}));
    }
    if (in.bad()) return Unavailable("reading the file failed after " + std::to_string(summary_.rows_read) + " rows");
    return Status::Ok();
  }

  Status Add(std::int64_t line, const Fields& fields, std::vector<std::string> raw) {
    Result<feedback::NewReview> review = ReviewFromFields(fields, options_, now_);
    if (!review.ok()) {
      RejectRow(line, review.status().field().empty() ? "row" : review.status().field(), review.status().message(), raw);
      return Status::Ok();
    }
    reviews_.push_back(std::move(review).value());
    if (static_cast<int>(reviews_.size()) >= batch_) return Flush();
    return Status::Ok();
  }

  // Rows were validated before, so the only failures left are the store's, which stop the import.
  Status Flush() {
    if (reviews_.empty()) return Status::Ok();
    feedback::ReviewCounts counts;
    TP_RETURN_IF_ERROR(store_.Write(tenant_id_, [&](store::TenantTx& tx) -> Status {
      TP_ASSIGN_OR_RETURN(counts, feedback::StoreReviews(tx, reviews_, now_));
      return Status::Ok();
    }));
    summary_.loaded += counts.stored;
    summary_.duplicates += counts.duplicates;
    summary_.matched += counts.matched;
    reviews_.clear();
    Report();
    return Status::Ok();
  }

  void RejectRow(std::int64_t line, const std::string& field, const std::string& reason,
                 const std::vector<std::string>& fields) {
    RecordReject(summary_, summary_.rejects, options_.keep_rejects, options_.rejects, {line, field, reason}, fields);
  }

  void Report() {
    summary_.bytes_read = bytes_read_;
    summary_.total_bytes = options_.total_bytes;
    summary_.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    if (options_.on_progress) options_.on_progress(summary_);
  }

  store::Store& store_;
  const std::string& tenant_id_;
  const ReviewImportOptions& options_;
  const identity::AuditContext& audit_;
  const Micros now_;
  const int batch_;
  Clock::time_point started_;
  std::uint64_t bytes_read_ = 0;
  std::vector<feedback::NewReview> reviews_;
  ReviewImportSummary summary_;
};

}  // namespace

Result<ReviewFormat> ParseReviewFormat(std::string_view name) {
  if (name == "csv") return ReviewFormat::kCsv;
  if (name == "jsonl") return ReviewFormat::kJsonLines;
  return InvalidArgument("format must be csv or jsonl", "format");
}

Result<ReviewImportSummary> ImportReviews(store::Store& store, const std::string& tenant_id, std::istream& in,
                                          const ReviewImportOptions& options, const identity::AuditContext& audit) {
  ReviewImporter importer(store, tenant_id, options, audit);
  return importer.Run(in);
}

}  // namespace tp::transfer
